"""What one minsky import run keeps while it works: its state, the session row format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import connection

from migration_app.models import MigrationItem, MigrationRun
from projects_app.models import Workspace
from sessions_app.models import Session

Outcome = MigrationItem.Outcome
DEFAULT_BATCH_SIZE = 500
IN_CHUNK = 5_000  # values per IN list, far below SQLite's parameter limit
PASSWORDS: dict[str, str] = {}  # URL without password -> password, this process only
EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


def in_chunks(values: Iterable, size: int = IN_CHUNK) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


class RowFormat:
    """The session table's columns, their prepared defaults and the value adapters, looked
    up once per run (the `connection` proxy costs a lookup on every use)."""

    _MAPPED = (
        "id", "num", "workspace_id", "project_id", "status", "legacy_status",
        "activity_state", "is_terminated", "task_id", "branch", "workspace_path",
        "agent_session_id", "issue_url", "created_at", "updated_at", "activity_last_at",
        "source", "source_path", "metadata",
    )  # fmt: skip

    def __init__(self) -> None:
        fields = Session._meta.concrete_fields
        defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
        self.columns = [c for c in defaults if c not in self._MAPPED] + list(self._MAPPED)
        self.fixed = [defaults[c] for c in self.columns if c not in self._MAPPED]
        ops = connection.ops
        self.adapt_datetime = ops.adapt_datetimefield_value
        self.adapt_json = ops.adapt_json_value
        self.json_encoder = Session._meta.get_field("metadata").encoder
        self.workspace = Session._meta.get_field("workspace")


@dataclass
class RunState:
    run: MigrationRun
    workspace: Workspace
    location: str
    now: dt.datetime
    losers: dict[int, tuple[str, int]] = field(default_factory=dict)
    seen_projects: set[str] = field(default_factory=set)
    repo_projects: dict[str, str] = field(default_factory=dict)  # repoUrl -> project id
    next_num: dict[str, int] = field(default_factory=dict)  # project id -> next number
    counts: dict[str, int] = field(default_factory=dict)
    row_format: RowFormat = field(default_factory=RowFormat)

    def __post_init__(self) -> None:
        self.workspace_db_id = self.row_format.workspace.get_db_prep_save(
            self.workspace.pk, connection
        )

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
