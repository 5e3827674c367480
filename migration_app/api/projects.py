"""POST /api/v1/sessions/{session_id}/migrate-to-project: one session → its project
(docs/session-to-project.md, "Three ways to run it")."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import MigrationConflict, MigrationError
from migration_app.services.session_to_project import KIND, session_to_project_preview
from projects_app.schemas import ErrorOut
from sessions_app.selectors import session_get

router = Router(tags=["projects"])


class MigratedProjectOut(Schema):
    id: str | None
    workspace_id: str
    title: str
    description: str
    project_type: str
    status: str
    intent: str
    context: dict[str, Any]
    settings: dict[str, Any]
    conversation_id: str | None
    created_at: datetime | None
    updated_at: datetime | None


class MigrateToProjectOut(Schema):
    run_id: str
    dry_run: bool
    outcome: str
    reason: str
    messages_relinked: int
    artifacts_relinked: int
    project: MigratedProjectOut


@router.post(
    "/sessions/{session_id}/migrate-to-project",
    response={200: MigrateToProjectOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Migrate a session to a project (TokenDance's project-first migration)",
)
def migrate_session_to_project(request, session_id: str, dry_run: bool = False):
    session = session_get(user=request.auth, session_id=session_id)
    run = migration_run_dispatch(
        kind=KIND,
        session_ids=[session.pk],
        dry_run=dry_run,
        actor=request.auth.get_username(),
        origin=MigrationRun.Origin.API,
    )
    item = run.items.get()
    if item.outcome == MigrationItem.Outcome.FAILED:
        raise MigrationError(item.reason)
    session.refresh_from_db()
    if item.outcome == MigrationItem.Outcome.SKIPPED and session.project_id is None:
        raise MigrationConflict(f"Session {session.pk} is not migrated: {item.reason}.")
    if dry_run and item.outcome == MigrationItem.Outcome.MIGRATED:
        [plan] = session_to_project_preview(session_ids=[session.pk])
        project = plan.project
        project.id = None  # planned, not created
    else:
        project = session.project
    fields = [name for name in MigratedProjectOut.model_fields if name != "conversation_id"]
    conversation_id = session.conversation_id  # on a dry run, None when it would be created
    return {
        "run_id": str(run.pk),
        "dry_run": run.dry_run,
        "outcome": item.outcome,
        "reason": item.reason,
        "messages_relinked": run.counts.get("messages_relinked", 0),
        "artifacts_relinked": run.counts.get("artifacts_relinked", 0),
        "project": {
            **{name: getattr(project, name) for name in fields},
            "workspace_id": str(project.workspace_id),
            "conversation_id": None if conversation_id is None else str(conversation_id),
        },
    }
