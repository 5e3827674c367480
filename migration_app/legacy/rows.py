"""A session record as the values of one database row, in the database's own forms.

Pure and free of Django, so the parse helper can prepare rows while the importer writes
(see `migration_app.services.parse_ahead`). The importer describes its table once in a
SessionRowFormat, built from the model with Django's own value adaptation for the
columns the mapping leaves at their defaults.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from migration_app.legacy.records import SessionRecord

# Filled in by the importer: they depend on the run and on what is already stored.
RUN_COLUMNS = ("num", "workspace_id")
DATE_COLUMNS = (
    "terminated_at", "archived_at", "activity_last_at", "first_signal_at", "created_at",
    "updated_at", "completed_at",
)  # fmt: skip
# What session_row_mapping sets; every other column gets the model's default.
MAPPED_COLUMNS = frozenset(
    {
        "id", "project_id", "display_name", "prompt", "status", "legacy_status",
        "activity_state", "kind", "harness", "agent_session_id", "issue_id", "issue_url",
        "branch", "workspace_path", "runtime_handle_id", "is_terminated", "terminated_at",
        "archived_at", "activity_last_at", "first_signal_at", "created_at", "updated_at",
        "completed_at", "source", "source_path", "metadata",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SessionRowFormat:
    columns: tuple[str, ...]  # attribute names, in INSERT order
    defaults: dict[str, Any]  # database values of the columns the mapping does not set
    harnesses: frozenset[str]  # agents that are a harness of ours; others map to ''
    naive_utc_dates: bool  # SQLite stores naive UTC text; other databases get an offset


def _date(value: dt.datetime | None, naive_utc: bool) -> str | None:
    if value is None:
        return None
    # The readers give UTC already (records.parse_iso); others are converted.
    utc = value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)
    return (utc.replace(tzinfo=None) if naive_utc else utc).isoformat(" ")


def session_row_mapping(record: SessionRecord, harnesses: frozenset[str]) -> dict[str, Any]:
    """The mapped columns as Python values (lengths cut to the columns' sizes)."""
    return {
        "id": record.id,
        "project_id": record.project_id,
        "display_name": record.display_name[:500],
        "prompt": record.prompt,
        "status": record.status,
        "legacy_status": record.legacy_status[:100],
        "activity_state": record.activity_state,
        "kind": record.kind,
        "harness": record.agent if record.agent in harnesses else "",
        "agent_session_id": record.agent_session_id[:255],
        "issue_id": record.issue_id[:255],
        "issue_url": record.issue_url[:1024],
        "branch": record.branch[:500],
        "workspace_path": record.workspace_path[:1024],
        "runtime_handle_id": "",
        "is_terminated": record.is_terminated,
        "terminated_at": record.terminated_at,
        "archived_at": record.archived_at,
        "activity_last_at": record.activity_last_at,
        "first_signal_at": record.first_signal_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "completed_at": record.completed_at,
        "source": record.source,
        "source_path": record.source_path[:2048],
        "metadata": record.metadata,
    }


def session_row_values(record: SessionRecord, row_format: SessionRowFormat) -> list[Any]:
    """The row's database values in `row_format.columns` order; RUN_COLUMNS are None."""
    values = session_row_mapping(record, row_format.harnesses)
    naive_utc = row_format.naive_utc_dates
    for name in DATE_COLUMNS:
        values[name] = _date(values[name], naive_utc)
    values["metadata"] = json.dumps(values["metadata"])
    values.update(row_format.defaults)
    return [values.get(column) for column in row_format.columns]  # RUN_COLUMNS: None


class ParsedSession(NamedTuple):
    """What the importer needs of one session file: the fields its decisions read, and the
    row to insert. Small on purpose: it crosses from the parse helper in every batch."""

    id: str
    project_id: str
    source_path: str
    num_hint: int | None
    kind: str
    created_at: dt.datetime
    is_terminated: bool
    agent: str
    agent_session_id: str
    workspace_path: str
    row: list[Any]
    # Claude Code transcript to relocate: where it is now ('' when there is none to look
    # for) and whether a file was there when the session was read.
    transcript_source: str = ""
    transcript_source_found: bool = False


def session_parsed(
    record: SessionRecord,
    row_format: SessionRowFormat,
    *,
    transcript_source: str = "",
    transcript_source_found: bool = False,
) -> ParsedSession:
    return ParsedSession(
        id=record.id,
        project_id=record.project_id,
        source_path=record.source_path,
        num_hint=record.num_hint,
        kind=record.kind,
        created_at=record.created_at,
        is_terminated=record.is_terminated,
        agent=record.agent,
        agent_session_id=record.agent_session_id,
        workspace_path=record.workspace_path,
        row=session_row_values(record, row_format),
        transcript_source=transcript_source,
        transcript_source_found=transcript_source_found,
    )
