"""PATCH /api/v1/sessions/{session_id}: edit a session; a new workstream moves its files.
It joins the sessions router (same Router and path string as sessions_app/api.py's)."""

from datetime import datetime
from typing import Any

from ninja import Schema

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.services.attach_workstream import KIND, attach_result
from projects_app.schemas import ErrorOut, In
from sessions_app.api import router as sessions_router
from sessions_app.names import validate_name
from sessions_app.selectors import session_get, workstream_get
from sessions_app.services import session_patch, session_patch_validate


class SessionPatchIn(In):
    workstream_id: str | None = None
    title: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None


class SessionPatchOut(Schema):
    id: str
    workstream_id: str
    title: str
    task_id: str
    metadata: dict[str, Any]
    updated_at: datetime
    files_migrated: int | None = None  # regular files, counted recursively
    top_level_entries: int | None = None  # what arawn called files_migrated
    bytes_migrated: int | None = None
    new_work_path: str | None = None  # relative to the data dir
    allowed_paths: list[str] | None = None  # relative to the workstream dir
    migration_run_id: str | None = None


@sessions_router.patch(
    "/sessions/{session_id}",
    response={200: SessionPatchOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Update a session; moving it from scratch to a workstream moves its files",
)
def session_update(request, session_id: str, payload: SessionPatchIn):
    """A workstream of another workspace: 409 when the caller sees both workspaces (the
    run refuses it with its reason), 404 like a missing one when the caller does not."""
    target = payload.workstream_id
    if target is not None:
        validate_name(target)  # 400 before any lookup or path
    session = session_get(user=request.auth, session_id=session_id)
    workstream = None if target is None else workstream_get(user=request.auth, workstream_id=target)
    changes = {"title": payload.title, "task_id": payload.task_id, "metadata": payload.metadata}
    session_patch_validate(session=session, **changes)  # before any file moves
    attach = None
    if workstream is not None and workstream.pk != session.workstream_id:
        validate_name(session.pk)
        run = migration_run_dispatch(
            kind=KIND,
            workstream_id=workstream.pk,
            session_ids=[session.pk],
            expected={session.pk: session.workstream_id},
            actor=getattr(request.auth, "username", ""),
            origin=MigrationRun.Origin.API,
        )
        attach = attach_result(run=run, session_id=session.pk)
    session = session_patch(session=session, **changes)
    body = SessionPatchOut.model_validate(session, from_attributes=True).model_dump()
    if attach is not None:
        body.update(migration_run_id=str(attach.run.pk), allowed_paths=attach.allowed_paths)
        if attach.moved_files:
            body.update(
                files_migrated=attach.files_migrated,
                top_level_entries=attach.top_level_entries,
                bytes_migrated=attach.bytes,
                new_work_path=attach.new_work_path,
            )
    return body
