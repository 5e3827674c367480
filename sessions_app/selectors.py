"""Read-side queries of the sessions app."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from projects_app.models import Project
from projects_app.selectors import not_found, object_get, workspace_scope
from projects_app.services import ConflictError
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.task_ids import InvalidTaskId, stored_forms, task_id_storage_form


def session_list(*, user, workspace_id=None) -> QuerySet[Session]:
    """The caller's sessions, newest first (the ao-rs store's order)."""
    sessions = workspace_scope(Session.objects.all(), user=user, workspace_id=workspace_id)
    return sessions.order_by("-created_at", "id")


def session_get(*, user, session_id: str) -> Session:
    # The conversation comes along: the messages endpoint needs it, the join is cheap.
    sessions = Session.objects.select_related("conversation")
    return object_get(workspace_scope(sessions, user=user), key=session_id)


def id_prefix_q(prefix: str) -> Q:
    """Ids starting with `prefix`, case-sensitively, answerable from the primary-key index.

    PostgreSQL: LIKE 'p%' (Django gives CharField keys a pattern-ops index). SQLite: its
    LIKE ignores ASCII case, so a byte range is added; under SQLite's BINARY collation
    [p, p + U+10FFFF) is exactly the strings starting with p, and it uses the index.
    """
    condition = Q(pk__startswith=prefix)
    if connection.vendor == "sqlite":
        condition &= Q(pk__gte=prefix, pk__lt=prefix + "\U0010ffff")
    return condition


def session_get_by_prefix(*, user, id_or_prefix: str) -> Session:
    """An exact id, else the one session whose id starts with the prefix (the ao-rs rule).

    None → Session.DoesNotExist; several → ConflictError carrying the match count; an
    empty prefix matches nothing. Only the caller's sessions count, so the answer never
    reveals sessions of other workspaces.
    """
    if not id_or_prefix or not id_or_prefix.strip():
        raise not_found(Session, id_or_prefix)
    visible = workspace_scope(Session.objects.all(), user=user)
    exact = next(iter(visible.filter(pk=id_or_prefix).order_by()[:1]), None)
    if exact is not None:
        return exact
    matching = visible.filter(id_prefix_q(id_or_prefix))
    # Two rows are enough to tell "one" from "several"; count only when ambiguous.
    candidates = list(matching.order_by("pk")[:2])
    if not candidates:
        raise not_found(Session, id_or_prefix)
    if len(candidates) > 1:
        matches = matching.count()
        raise ConflictError(
            f"The id prefix {id_or_prefix!r} is ambiguous: {matches} sessions match.",
            extra={"matches": matches},
        )
    return candidates[0]


def session_list_for_project(*, project: Project, archived: bool | None = None) -> QuerySet:
    """A project's sessions, newest first (the ao-rs store's `list_for_project`);
    `archived=True` only the archived ones (`list_archived`), `False` the others."""
    sessions = Session.objects.filter(project=project)
    if archived is not None:
        sessions = sessions.filter(archived_at__isnull=not archived)
    return sessions.order_by("-created_at", "id")


def session_list_for_issue(*, user, issue_id: str, active: bool | None = None) -> QuerySet:
    """Sessions on an issue; `active=True`: the non-terminated, non-archived ones only
    (what a spawner checks for duplicates)."""
    sessions = workspace_scope(Session.objects.all(), user=user).filter(issue_id=issue_id)
    if active is True:
        sessions = sessions.filter(is_terminated=False, archived_at__isnull=True)
    elif active is False:
        sessions = sessions.exclude(is_terminated=False, archived_at__isnull=True)
    return sessions.order_by("-created_at", "id")


def workstream_list(*, user, workspace_id=None, state: str | None = None) -> QuerySet:
    workstreams = Workstream.objects.filter(state=state) if state else Workstream.objects.all()
    return workspace_scope(workstreams, user=user, workspace_id=workspace_id).order_by("id")


def workstream_get(*, user, workstream_id: str) -> Workstream:
    """A workstream of the caller's workspaces, or the shared scratch one."""
    workstreams = workspace_scope(Workstream.objects.all(), user=user)
    scratch = Workstream.objects.filter(pk=SCRATCH_WORKSTREAM_ID)
    return object_get(workstreams | scratch, key=workstream_id)


def workstream_exists(*, workstream_id: str) -> bool:
    return Workstream.objects.filter(pk=workstream_id).exists()


def session_search_qualified(*, queryset: QuerySet[Session], term: str) -> QuerySet | None:
    """`id:<prefix>`, `task:<id>` or `issue:<id>` filtered on that one indexed field (the
    admin's plain search scans); None otherwise.

    `task:` finds the task's every stored form (`task:mt#123` also finds `123`).
    """
    qualifier, colon, value = term.strip().partition(":")
    qualifier, value = qualifier.strip().lower(), value.strip()
    if not (colon and value):
        return None
    if qualifier == "id":
        return queryset.filter(id_prefix_q(value))
    if qualifier == "issue":
        return queryset.filter(issue_id=value)
    if qualifier != "task":
        return None
    try:
        return queryset.filter(task_id__in=stored_forms(value))
    except InvalidTaskId:
        return queryset.filter(task_id=value)


def find_sessions_by_task_id(
    *, task_id: str, workspace_ids: Iterable | None = None
) -> QuerySet[Session]:
    """Sessions pointing at a task: one indexed lookup of its stored forms (stored_forms).
    `workspace_ids` (None = every workspace) scopes it to what a caller may see."""
    try:
        forms = stored_forms(task_id)
    except InvalidTaskId:
        # A bare word (`update-test`) names no task, but minsky stores such plain local
        # ids (its storage rule 6) and looks them up verbatim: so do we. Else nothing.
        bare = task_id.strip() if isinstance(task_id, str) else ""
        if not bare or "#" in bare or task_id_storage_form(bare) != bare:
            return Session.objects.none()
        forms = [bare]
    sessions = Session.objects.filter(task_id__in=forms)
    if workspace_ids is not None:
        sessions = sessions.filter(workspace_id__in=workspace_ids)
    return sessions


def has_sessions_for_task(*, task_id: str, workspace_ids: Iterable | None = None) -> bool:
    return find_sessions_by_task_id(task_id=task_id, workspace_ids=workspace_ids).exists()
