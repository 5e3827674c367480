"""What one arawn import run carries from step to step."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import ItemRecord, migration_items_record
from projects_app.models import Workspace

Outcome = MigrationItem.Outcome
DEFAULT_BATCH_SIZE = 500
IN_CHUNK = 5_000  # values per IN list, far below SQLite's 32,766 parameters
# Conversations get ids derived from what they hold, so a re-run finds them by key.
_CONVERSATION_NS = uuid.UUID("0b7f5d8e-3c41-4e6a-9d2a-5a1e7c0f4b21")


def session_conversation_id(session_id: str) -> uuid.UUID:
    return uuid.uuid5(_CONVERSATION_NS, f"arawn-session:{session_id}")


def workstream_conversation_id(workstream_id: str) -> uuid.UUID:
    return uuid.uuid5(_CONVERSATION_NS, f"arawn-workstream:{workstream_id}")


def rows_in(queryset, field: str, values: list, *columns: str) -> list:
    """`columns` of the rows whose `field` is among `values`, asked IN_CHUNK at a time."""
    return [
        row
        for start in range(0, len(values), IN_CHUNK)
        for row in queryset.filter(**{f"{field}__in": values[start : start + IN_CHUNK]})
        .order_by()
        .values_list(*columns)
    ]


@dataclass
class ArawnState:
    run: MigrationRun
    workspace: Workspace
    db_path: str
    tree: str
    batch_size: int
    now: dt.datetime
    # Workstream ids usable in the hub (imported, already there, or scratch).
    workstreams: set[str] = field(default_factory=set)
    # Session id -> the hub workstream it is in (imported now or before).
    session_ws: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    copy_errors: list[str] = field(default_factory=list)  # the first few, for the report

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def record(self, items: list[ItemRecord]) -> None:
        if items:
            migration_items_record(run=self.run, items=items, created_at=self.now)
