"""Read-side queries of the sessions app."""

from collections.abc import Iterable

from django.db import connections
from django.db.models import QuerySet

from sessions_app.models import Session
from sessions_app.task_ids import InvalidTaskId, stored_forms


def session_list_for_admin() -> QuerySet[Session]:
    """Sessions with every relation the changelist shows, joined in one query."""
    return Session.objects.select_related("workspace", "project", "workstream")


# `qualifier:value` searches of one indexed field (the admin's plain search scans).
SEARCH_QUALIFIERS = {"id": "id__startswith", "task": "task_id", "issue": "issue_id"}


def session_search_qualified(*, queryset: QuerySet[Session], term: str) -> QuerySet | None:
    """`id:<prefix>`, `task:<id>` or `issue:<id>` filtered on that field; None otherwise.

    `task:` finds the task's every stored form (`task:mt#123` also finds `123`).
    """
    qualifier, colon, value = term.strip().partition(":")
    qualifier = qualifier.strip().lower()
    lookup = SEARCH_QUALIFIERS.get(qualifier)
    value = value.strip()
    if not (colon and lookup and value):
        return None
    if qualifier == "task":
        try:
            return queryset.filter(task_id__in=stored_forms(value))
        except InvalidTaskId:
            return queryset.filter(task_id=value)
    queryset = queryset.filter(**{lookup: value})
    if (
        qualifier == "id"
        and connections[queryset.db].vendor == "sqlite"
        and value[-1] < "\U0010ffff"
    ):
        # SQLite's LIKE is case-insensitive and never uses the primary key; the range
        # [prefix, prefix with its last character incremented) does, in byte order.
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        queryset = queryset.filter(id__gte=value, id__lt=upper)
    return queryset


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
