"""TokenDance's session → project rules as pure functions (legacy-formats.md §7.3–§7.6).

No ORM and no settings: the service feeds these plain values and dicts. Every enum is
case-folded on read, because real TokenDance rows hold `PENDING` as well as `pending`
(§8 #13).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

INTENT_MAX_CHARS = 500
FAILURES_MAX = 10
NO_INTENT = "No intent recorded"
UNTITLED = "Untitled"
INITIAL_CONVERSATION = "Initial conversation"

# §7.3, kept exactly: `failed` stays in progress so the user can retry.
PROJECT_STATUS_BY_SESSION_STATUS = {
    "pending": "draft",
    "active": "in_progress",  # deprecated spelling of running
    "running": "in_progress",
    "completed": "completed",
    "failed": "in_progress",
    "cancelled": "archived",
    "archived": "archived",
}
PROJECT_STATUS_UNKNOWN = "draft"
CONVERSATION_COMPLETED_FOR = frozenset({"completed", "archived"})

# §7.4, evaluated top to bottom, first match wins. skill_id is matched on the raw
# (case-sensitive) value; the title is lower-cased first. The title rules can never
# give document or data_analysis, and 分析 ("analysis") gives research: as the origin.
SKILL_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("research", "deep_research"), "research"),
    (("ppt", "slides"), "slides"),
    (("code",), "code"),
    (("data", "analysis"), "data_analysis"),
    (("doc", "document"), "document"),
)
TITLE_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("research", "调研", "分析"), "research"),
    (("ppt", "slides", "演示", "幻灯片"), "slides"),
    (("code", "代码", "编程"), "code"),
)
DEFAULT_PROJECT_TYPE = "quick_task"

FAILED_TOOL_STATUSES = frozenset({"error", "failed"})


class MalformedToolCalls(ValueError):
    """A message's tool_calls is not a list of objects; the session cannot be migrated."""


def fold(value: Any) -> str:
    """An enum label as compared: TokenDance rows hold `PENDING` as well as `pending`."""
    return str(value or "").strip().casefold()


def project_status_for(session_status: str | None) -> str:
    """Project status for a session status, matched case-insensitively; unknown → draft."""
    return PROJECT_STATUS_BY_SESSION_STATUS.get(fold(session_status), PROJECT_STATUS_UNKNOWN)


def conversation_status_for(session_status: str | None) -> str:
    return "completed" if fold(session_status) in CONVERSATION_COMPLETED_FOR else "active"


def project_type_infer(*, skill_id: str | None, title: str | None) -> str:
    skill = skill_id or ""
    if skill:
        for needles, project_type in SKILL_RULES:
            if any(needle in skill for needle in needles):
                return project_type
    lowered = (title or "").lower()
    for needles, project_type in TITLE_RULES:
        if any(needle in lowered for needle in needles):
            return project_type
    return DEFAULT_PROJECT_TYPE


def intent_extract(*, first_user_message: str | None, title: str | None) -> str:
    """The first non-empty user message cut to 500 characters, else the title, else a fixed text.

    The caller finds the first user message (role compared case-insensitively, in
    created_at order); this decides the fallbacks.
    """
    if first_user_message:
        return first_user_message[:INTENT_MAX_CHARS]
    if title:
        return title
    return NO_INTENT


def project_title_for(title: str | None) -> str:
    return title or UNTITLED


def conversation_title_for(title: str | None) -> str:
    return title or INITIAL_CONVERSATION


@dataclass(frozen=True)
class ToolCallMessage:
    """What the failure extraction needs of one message that carries tool_calls."""

    tool_calls: Any
    created_at: datetime | None


def _failure_message(call: dict) -> str:
    # Present keys win even when null: a null `error` reads "None", as in the origin.
    if "error" in call:
        return str(call["error"])
    if "result" in call:
        return str(call["result"])
    return "Unknown error"


def naive_utc_iso(stamp: datetime) -> str:
    """TokenDance's form of a failure's timestamp: naive ISO in UTC (`2026-01-20T09:02:00`),
    as its script writes `created_at.isoformat()` of a naive column (§7.6)."""
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp.isoformat()


def failures_extract(
    messages: Iterable[ToolCallMessage], *, now: datetime, limit: int = FAILURES_MAX
) -> list[dict]:
    """The first `limit` failed tool calls, in message order (§7.6).

    The origin keeps the first ten although it calls them "the most recent"; we keep
    its behaviour. Raises MalformedToolCalls when tool_calls is not a list of objects.
    """
    failures: list[dict] = []
    for message in messages:
        calls = message.tool_calls
        if calls is None:
            continue
        if not isinstance(calls, list):
            raise MalformedToolCalls(
                f"tool_calls is a {type(calls).__name__}, expected a list of objects"
            )
        for call in calls:
            if not isinstance(call, dict):
                raise MalformedToolCalls(
                    f"a tool call is a {type(call).__name__}, expected an object"
                )
            if fold(call.get("status")) not in FAILED_TOOL_STATUSES:
                continue
            if len(failures) >= limit:
                # Keep validating the rest: a malformed later message still fails the session.
                continue
            stamp = naive_utc_iso(message.created_at or now)
            failures.append(
                {
                    # A present-but-null name stays null, as in the origin.
                    "type": call.get("name", "unknown_tool"),
                    "message": _failure_message(call),
                    "learning": None,
                    "timestamp": stamp,
                }
            )
    return failures


def project_context_for(failures: Sequence[dict]) -> dict:
    return {
        "decisions": [],
        "failures": list(failures),
        "key_findings": [],
        "tags": ["migrated"],
    }


def summary_report(counts: dict[str, Any], errors: Sequence[str], *, max_errors: int = 10) -> str:
    """The origin's end-of-run summary, in our words."""
    lines = [
        f"Total sessions:     {counts.get('total', 0)}",
        f"Migrated:           {counts.get('migrated', 0)}",
        f"Skipped:            {counts.get('skipped', 0)}",
        f"Failed:             {counts.get('failed', 0)}",
        f"Messages re-linked: {counts.get('messages_relinked', 0)}",
        f"Artifacts re-linked: {counts.get('artifacts_relinked', 0)}",
        f"Errors:             {counts.get('failed', len(errors))}",
    ]
    for error in list(errors)[:max_errors]:
        lines.append(f"  - {error}")
    if max(len(errors), counts.get("failed", 0)) > max_errors:
        lines.append("  ... and more")
    return "\n".join(lines)
