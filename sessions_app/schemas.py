"""Request and response shapes of the session and workstream endpoints."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field

from projects_app.schemas import In, Out
from sessions_app.models import Workstream

WorkstreamState = Literal[tuple(Workstream.State.values)]


class SessionCreateIn(In):
    """The old session-centric create (deprecated: create a project instead)."""

    workspace_id: UUID
    title: str = Field(..., max_length=500)


class SessionOut(Out):
    id: str
    num: int
    workspace_id: UUID
    project_id: str | None
    workstream_id: str
    conversation_id: UUID | None
    title: str
    display_name: str
    status: str
    legacy_status: str
    activity_state: str
    kind: str
    harness: str
    agent_session_id: str
    issue_id: str
    issue_url: str
    task_id: str
    branch: str
    workspace_path: str
    runtime_handle_id: str
    skill_id: str
    is_terminated: bool
    terminated_at: datetime | None
    archived_at: datetime | None
    activity_last_at: datetime | None
    first_signal_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    source: str
    source_path: str
    metadata: Any


class WorkstreamIn(In):
    id: str = Field(..., min_length=1, max_length=100)
    workspace_id: UUID
    title: str = Field("", max_length=300)
    summary: str = ""


class WorkstreamOut(Out):
    id: str
    workspace_id: UUID
    title: str
    summary: str
    is_scratch: bool
    state: str
    created_at: datetime
    updated_at: datetime


class TranscriptMessageOut(Out):
    """One message of a session's transcript; `subagent` names the subagent whose
    conversation holds it (null: the session's own conversation)."""

    id: UUID
    conversation_id: UUID
    subagent: str | None
    role: str
    content: str
    tool_calls: Any = None
    tool_call_id: str
    model: str | None
    usage: dict | None
    tokens_used: int
    is_error: bool
    created_at: datetime


class TranscriptPageOut(Out):
    items: list[TranscriptMessageOut]
    next_cursor: str | None


class UsageRowOut(Out):
    """Token sums of one group (or a total): input is the uncached input; `cost_micro_usd`
    is an estimate in millionths of a dollar, null when no record of the group has a price;
    `unpriced_tokens` are the tokens of records with no price (unknown models, undivided
    totals); `cache_write_1h` is the part of `cache_write` written to Claude's 1-hour
    cache (priced at its rate; the rest at the 5-minute rate). Group keys: `day`,
    `session`, `project`, `workspace`, `model`, `source`, as grouped."""

    day: str | None = None
    session: str | None = None
    project: str | None = None
    workspace: UUID | None = None
    model: str | None = None
    source: str | None = None
    input: int
    output: int
    cache_write: int
    cache_write_1h: int
    cache_read: int
    total: int
    cost_micro_usd: int | None
    unpriced_tokens: int
    records: int


class UsageOut(Out):
    group_by: str
    tz: str
    items: list[UsageRowOut]
    price_versions: list[str]


class SubagentUsageOut(Out):
    subagent: str
    by_model: list[UsageRowOut]


class SessionUsageTotalsOut(Out):
    all: UsageRowOut
    own: UsageRowOut
    subagents: UsageRowOut


class SessionUsageOut(Out):
    session_id: str
    by_model: list[UsageRowOut]
    own: list[UsageRowOut]
    subagents: list[SubagentUsageOut]
    totals: SessionUsageTotalsOut
    price_versions: list[str]
