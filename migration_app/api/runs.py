"""The migration journal over the API: list runs, one run with its items, undo. A run can
touch sessions of many workspaces, so only staff see runs (anyone else: an empty list, 404)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import migration_item_list, migration_run_list
from migration_app.services import migration_undo
from projects_app.pagination import MAX_OFFSET
from projects_app.schemas import ErrorOut, Out
from projects_app.selectors import object_get

router = Router(tags=["migrations"])

RunKind = Literal[tuple(MigrationRun.Kind.values)]
RunStatus = Literal[tuple(MigrationRun.Status.values)]
ItemOutcome = Literal[tuple(MigrationItem.Outcome.values)]


class MigrationRunOut(Out):
    id: UUID
    kind: str
    status: str
    dry_run: bool
    params: Any
    actor: str
    origin: str
    counts: Any
    progress_done: int
    progress_total: int
    error: str
    started_at: datetime
    finished_at: datetime | None = None


class MigrationItemOut(Out):
    id: int
    subject_type: str
    subject_id: str
    outcome: str
    reason: str
    before: Any = None
    after: Any = None
    created_at: datetime


class MigrationItemPage(Out):
    items: list[MigrationItemOut]
    count: int


class MigrationRunDetailOut(MigrationRunOut):
    items: MigrationItemPage


class ItemFilter(Schema):
    outcome: ItemOutcome | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/migrations", response=list[MigrationRunOut])
@paginate
def migration_run_list_view(request, kind: RunKind | None = None, status: RunStatus | None = None):
    filters = {"kind": kind, "status": status}
    return migration_run_list(user=request.auth).filter(**{k: v for k, v in filters.items() if v})


@router.get("/migrations/{run_id}", response={200: MigrationRunDetailOut, 404: ErrorOut})
def migration_run_detail(request, run_id: UUID, filters: Query[ItemFilter]):
    """A run with one page of its items (`limit`/`offset`), optionally of one `outcome`."""
    run = object_get(migration_run_list(user=request.auth), key=run_id)
    items = migration_item_list(run=run, outcome=filters.outcome)
    page = items[filters.offset : filters.offset + filters.limit]
    fields = {name: getattr(run, name) for name in MigrationRunOut.model_fields}
    return {**fields, "items": {"items": list(page), "count": items.count()}}


@router.post(
    "/migrations/{run_id}/undo",
    response={200: MigrationRunOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def migration_run_undo(request, run_id: UUID):
    """Undo a finished run from its journal; undoing an undone run changes nothing."""
    run = object_get(migration_run_list(user=request.auth), key=run_id)
    return migration_undo(run=run)
