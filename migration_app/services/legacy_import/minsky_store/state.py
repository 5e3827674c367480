"""What one minsky import run keeps while it works: its state, the session row format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from migration_app.services.legacy_import.shared import RunState
from projects_app.models import Workspace
from sessions_app.models import Session

PASSWORDS: dict[str, str] = {}  # URL without password -> password, this process only
EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


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
class MinskyState(RunState):
    workspace: Workspace
    location: str
    losers: dict[int, tuple[str, int]] = field(default_factory=dict)
    seen_projects: set[str] = field(default_factory=set)
    repo_projects: dict[str, str] = field(default_factory=dict)  # repoUrl -> project id
    next_num: dict[str, int] = field(default_factory=dict)  # project id -> next number
    row_format: RowFormat = field(default_factory=RowFormat)

    def __post_init__(self) -> None:
        self.workspace_db_id = self.row_format.workspace.get_db_prep_save(
            self.workspace.pk, connection
        )
