"""What one TokenDance import run knows while it works: id maps and shared helpers."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import Max

from migration_app.legacy.tokendance_db import RowProblem, Source
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE, Outcome, RunState
from sessions_app.models import Session

# Ids the import makes up (a session's own conversation, a session file's artifact) are
# derived from the source's ids, so a re-run or a run after kill -9 makes the same ones.
ID_NAMESPACE = uuid.UUID("6f1d3c52-2a55-4c1e-9a8e-7d1f0b3e5a10")


def derived_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, "\x1f".join(parts))


def as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_db_values(values: list) -> list | None:
    """The database values of these ids as a UUID primary key stores them (what
    `UUIDField.get_db_prep_value` gives), or None when one is not a UUID. The usual
    spelling is converted as text: a re-run converts every message id (220,000 at 10,000
    sessions), and a `UUID` and Django's preparation of each cost 1.2 of 4.4 s profiled."""
    native = connection.features.has_native_uuid_field
    if all(isinstance(value, str) for value in values) and all(map(_CANONICAL.fullmatch, values)):
        return values if native else [value.replace("-", "") for value in values]
    out = []
    for value in values:
        if isinstance(value, str) and _CANONICAL.fullmatch(value):
            out.append(value if native else value.replace("-", ""))
        elif (key := as_uuid(value)) is not None:
            out.append(str(key) if native else key.hex)
        else:
            return None
    return out


@dataclass
class ConversationRef:
    project_id: str | None
    workspace_id: Any


@dataclass
class State(RunState):
    source: Source
    location: str = ""  # as shown to people: no password
    target_workspace: Any = None  # --workspace: every row goes into this workspace (pk)
    path_map: list[tuple[str, str]] = field(default_factory=list)
    batch_size: int = DEFAULT_BATCH_SIZE
    # TokenDance workspace id -> our workspace pk, and its (mapped) filesystem path.
    workspaces: dict[str, Any] = field(default_factory=dict)
    workspace_paths: dict[str, str] = field(default_factory=dict)
    projects: dict[str, Any] = field(default_factory=dict)  # project id -> workspace pk
    conversations: dict[str, ConversationRef] = field(default_factory=dict)
    # Session id -> the conversation TokenDance's own migration made for it.
    migrated_by_origin: dict[str, str] = field(default_factory=dict)
    # (child, parent) pairs whose parent was not imported yet when the child was.
    pending_parents: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    # The last session number given in a project (sessions linked to a migrated project).
    project_nums: dict[str, int] = field(default_factory=dict)

    def project_num_next(self, project_id: str | None) -> int:
        if project_id is None:
            return 0
        if project_id not in self.project_nums:
            top = Session.objects.filter(project_id=project_id).aggregate(top=Max("num"))["top"]
            self.project_nums[project_id] = -1 if top is None else top
        self.project_nums[project_id] += 1
        return self.project_nums[project_id]


def rejected(subject_type: str, problem: RowProblem | str, subject_id: str = "") -> ItemRecord:
    if isinstance(problem, RowProblem):
        return ItemRecord(subject_type, problem.row_id, Outcome.FAILED, str(problem))
    return ItemRecord(subject_type, subject_id, Outcome.FAILED, problem)


def skipped(subject_type: str, row: dict) -> ItemRecord:
    return ItemRecord(subject_type, str(row["id"]), Outcome.SKIPPED, "already imported")


def missing(table: str, row: dict, column: str, what: str) -> RowProblem:
    """The row names a `what` (in `column`) that is not there."""
    return RowProblem(table, str(row["id"]), column, f"no {what} {row[column]!r}")


def stamped(obj, row: dict):
    """`obj` with the row's created_at (else the model's default) and updated_at (else
    created_at)."""
    if row["created_at"]:
        obj.created_at = row["created_at"]
    obj.updated_at = row["updated_at"] or obj.created_at
    return obj


@functools.cache
def _max_length(model: type[models.Model], field_name: str) -> int | None:
    return model._meta.get_field(field_name).max_length


def too_long(model: type[models.Model], table: str, row: dict, columns: dict[str, str]):
    """The first value longer than our column allows, as a RowProblem (else None).

    `columns`: our field name -> the source column it comes from.
    """
    for field_name, column in columns.items():
        value = row.get(column)
        limit = _max_length(model, field_name)
        if isinstance(value, str) and limit and len(value) > limit:
            return RowProblem(
                table, str(row.get("id")), column, f"{len(value)} characters, over {limit}"
            )
    return None


def notes_join(notes: list[str]) -> str:
    return "; ".join(note for note in notes if note)
