"""A session record as the values of one database row, in the database's own forms.

Pure and free of Django, so the parse helper can prepare rows while the importer writes.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from migration_app.legacy.records import SessionRecord

# A row is written with these columns, in this order: what the mapping sets, what only
# the importer knows (it depends on the run and on what is stored), then every other
# column of the table at its database default (SessionRowFormat.defaults).
MAPPED_COLUMNS = (
    "id", "project_id", "display_name", "prompt", "status", "legacy_status",
    "activity_state", "kind", "harness", "agent_session_id", "issue_id", "issue_url",
    "branch", "workspace_path", "runtime_handle_id", "is_terminated", "terminated_at",
    "archived_at", "activity_last_at", "first_signal_at", "created_at", "updated_at",
    "completed_at", "source", "source_path", "metadata",
)  # fmt: skip
RUN_COLUMNS = ("num", "workspace_id")


@dataclass(frozen=True)
class SessionRowFormat:
    defaults: dict[str, Any]  # database values of the columns the mapping does not set
    harnesses: frozenset[str]  # agents that are a harness of ours; others map to ''
    naive_utc_dates: bool  # SQLite stores naive UTC text; other databases get an offset

    @property
    def columns(self) -> tuple[str, ...]:
        """Attribute names, in the order of session_row_values."""
        return MAPPED_COLUMNS + RUN_COLUMNS + tuple(self.defaults)


def _mapped_values(record: SessionRecord, harnesses: frozenset[str]) -> list[Any]:
    """MAPPED_COLUMNS as Python values (lengths cut to the columns' sizes)."""
    return [
        record.id,
        record.project_id,
        record.display_name[:500],
        record.prompt,
        record.status,
        record.legacy_status[:100],
        record.activity_state,
        record.kind,
        record.agent if record.agent in harnesses else "",  # harness
        record.agent_session_id[:255],
        record.issue_id[:255],
        record.issue_url[:1024],
        record.branch[:500],
        record.workspace_path[:1024],
        "",  # runtime_handle_id
        record.is_terminated,
        record.terminated_at,
        record.archived_at,
        record.activity_last_at,
        record.first_signal_at,
        record.created_at,
        record.updated_at,
        record.completed_at,
        record.source,
        record.source_path[:2048],
        record.metadata,
    ]


def session_row_mapping(record: SessionRecord, harnesses: frozenset[str]) -> dict[str, Any]:
    """The mapped columns by name, as Python values (what the ORM would be given)."""
    return dict(zip(MAPPED_COLUMNS, _mapped_values(record, harnesses), strict=True))


def session_row_values(record: SessionRecord, row_format: SessionRowFormat) -> list[Any]:
    """The row's database values in `row_format.columns` order; RUN_COLUMNS are None."""
    values = []
    for value in _mapped_values(record, row_format.harnesses):
        if isinstance(value, dt.datetime):
            # The readers give UTC already (records.parse_iso); others are converted.
            value = value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)
            naive = row_format.naive_utc_dates
            value = (value.replace(tzinfo=None) if naive else value).isoformat(" ")
        elif isinstance(value, dict):  # metadata
            value = json.dumps(value)
        values.append(value)
    return [*values, *[None] * len(RUN_COLUMNS), *row_format.defaults.values()]


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
    agent_session_id: str
    row: list[Any]
    # Claude Code transcript to relocate: where it is now ('' when there is none to look
    # for) and whether a file was there when the session was read.
    transcript_source: str = ""
    transcript_source_found: bool = False
    # Where it goes ('' when not looked up here) and whether a file is there already.
    transcript_dest: str = ""
    transcript_dest_found: bool = False
    # What the session's item should say (SessionRecord.notes).
    notes: tuple[str, ...] = ()


def session_parsed(
    record: SessionRecord, row_format: SessionRowFormat, **transcript: Any
) -> ParsedSession:
    """`transcript`: the transcript_* fields of ParsedSession, when looked up."""
    own = ParsedSession._fields[: ParsedSession._fields.index("row")]
    taken = (getattr(record, name) for name in own)
    row = session_row_values(record, row_format)
    return ParsedSession(*taken, row=row, notes=tuple(record.notes), **transcript)
