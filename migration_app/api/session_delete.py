"""DELETE /api/v1/sessions/{session_id}: staff delete a session as a journaled run, which
`POST /api/v1/migrations/{run_id}/undo` reverts. It joins the sessions router (same Router
and path string as sessions_app/api.py's)."""

from django.core.exceptions import PermissionDenied

from migration_app.api.runs import MigrationRunOut
from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from projects_app.schemas import ErrorOut
from sessions_app.api import router as sessions_router
from sessions_app.selectors import session_get


@sessions_router.delete(
    "/sessions/{session_id}",
    response={200: MigrationRunOut, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a session (staff); journaled, undo with POST /migrations/{id}/undo",
)
def session_delete(request, session_id: str, dry_run: bool = False):
    """Staff only: a member of the session's workspace gets 403, anyone else 404."""
    session = session_get(user=request.auth, session_id=session_id)
    if not request.auth.is_staff:
        raise PermissionDenied("Only staff may delete sessions.")
    return migration_run_dispatch(
        kind=MigrationRun.Kind.SESSION_DELETE,
        session_ids=[session.pk],
        dry_run=dry_run,
        actor=request.auth.get_username(),
        origin=MigrationRun.Origin.API,
    )
