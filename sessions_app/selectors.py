"""Read-side queries of the sessions app."""

from collections.abc import Iterable

from django.db.models import QuerySet

from sessions_app.models import Session
from sessions_app.task_ids import InvalidTaskId, stored_forms


def session_list_for_admin() -> QuerySet[Session]:
    """Sessions with every relation the changelist shows, joined in one query."""
    return Session.objects.select_related("workspace", "project", "workstream")


def find_sessions_by_task_id(
    *, task_id: str, workspace_ids: Iterable | None = None
) -> QuerySet[Session]:
    """Sessions pointing at a task, whether stored qualified (`mt#123`) or plain (`123`).

    One indexed `task_id IN (...)` lookup over the task's stored forms (task_ids.stored_forms).
    An invalid task id finds nothing. `workspace_ids` (None = every workspace) scopes the
    result to the workspaces a caller may see.
    """
    try:
        forms = stored_forms(task_id)
    except InvalidTaskId:
        return Session.objects.none()
    sessions = Session.objects.filter(task_id__in=forms)
    if workspace_ids is not None:
        sessions = sessions.filter(workspace_id__in=workspace_ids)
    return sessions


def has_sessions_for_task(*, task_id: str, workspace_ids: Iterable | None = None) -> bool:
    return find_sessions_by_task_id(task_id=task_id, workspace_ids=workspace_ids).exists()
