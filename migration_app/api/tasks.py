"""Sessions of a task, and re-associating them with a migrated task (docs/reassociate-task.md:
the task id travels URL-encoded in the path, `md%23123` for `md#123`)."""

from uuid import UUID

from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.selectors import task_run_summary
from projects_app.schemas import ErrorOut, In
from projects_app.selectors import workspace_list_for_user
from sessions_app.selectors import find_sessions_by_task_id
from sessions_app.task_ids import InvalidTaskId, normalise_task_id

router = Router(tags=["tasks"])


class TaskSessionOut(Schema):
    id: str
    title: str
    task_id: str
    workspace_id: UUID
    status: str


class ReassociateIn(In):
    old_task_id: str
    new_task_id: str
    dry_run: bool = False


class TaskRunOut(Schema):
    run_id: str
    kind: str
    status: str
    dry_run: bool
    sessions_found: int
    sessions_updated: int
    sessions_would_update: int
    sessions_unchanged: int
    sessions_failed: int
    updated_sessions: list[str]
    errors: list[str]
    error: str
    progress_done: int
    progress_total: int


def _visible_workspace_ids(user) -> list | None:
    """None for staff (every workspace), else the ids of the caller's workspaces."""
    if user.is_staff:
        return None
    return list(workspace_list_for_user(user=user).values_list("pk", flat=True))


@router.get("/tasks/{task_id}/sessions", response={200: list[TaskSessionOut], 400: ErrorOut})
@paginate
def task_sessions_list(request, task_id: str):
    """Sessions pointing at the task, stored qualified (`mt#123`) or plain (`123`), by id."""
    try:
        canonical = normalise_task_id(task_id)
    except InvalidTaskId as exc:
        raise HttpError(400, str(exc)) from None
    sessions = find_sessions_by_task_id(
        task_id=canonical, workspace_ids=_visible_workspace_ids(request.auth)
    )
    return sessions.order_by("id").values("id", "title", "task_id", "workspace_id", "status")


@router.post("/tasks/reassociate", response={200: TaskRunOut, 202: TaskRunOut, 400: ErrorOut})
def task_reassociate(request, payload: ReassociateIn):
    """Point the caller's sessions of `old_task_id` at `new_task_id`; the run's summary (202
    when it runs in the background)."""
    user = request.auth
    run = migration_run_dispatch(
        kind=MigrationRun.Kind.REASSOCIATE_TASK,
        mapping=[(payload.old_task_id, payload.new_task_id)],
        workspace_ids=_visible_workspace_ids(user),
        dry_run=payload.dry_run,
        actor=user.get_username(),
        origin=MigrationRun.Origin.API,
    )
    return Status(200 if run.is_finished else 202, task_run_summary(run=run))
