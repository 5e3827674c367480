"""Read-side queries of the projects app."""

from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from config.compiled_query import CompiledQuery, CompiledRows
from projects_app import change_triggers
from projects_app.models import (
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Workspace,
)


def workspace_list_for_user(*, user) -> QuerySet[Workspace]:
    """The workspaces a user may see: all for staff, else those they are a member of."""
    if not user or not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_staff:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def workspace_default() -> Workspace:
    return Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)


def workspace_get_for_user(*, user, workspace_id) -> Workspace:
    """One workspace the user may see; Workspace.DoesNotExist (404) otherwise."""
    return workspace_list_for_user(user=user).get(pk=workspace_id)


def workspace_scope(queryset: QuerySet, *, user, field: str = "workspace") -> QuerySet:
    """Rows of the workspaces the user may see (staff: every row, without a subquery)."""
    if user and user.is_authenticated and user.is_active and user.is_staff:
        return queryset
    return queryset.filter(**{f"{field}__in": workspace_list_for_user(user=user)})


def scope_user_inputs(user) -> dict | None:
    """What workspace_scope reads from a signed-in user, as plain values: arguments of a
    compiled query (config/compiled_query.py) that builds its scope from
    scope_user_stand_in. None for no user or an anonymous one."""
    if not user or not user.is_authenticated:
        return None
    return {"staff": bool(user.is_staff), "active": bool(user.is_active), "user_id": user.pk}


def scope_user_stand_in(*, staff: bool, active: bool, user_id):
    """A user carrying only what scope_user_inputs took, for building a compiled query
    with the real selectors: the scope stays workspace_scope's own rule."""
    return get_user_model()(pk=user_id, is_staff=staff, is_active=active)


def project_list(*, user, workspace_id=None, status: str | None = None) -> QuerySet[Project]:
    projects = workspace_scope(Project.objects.all(), user=user)
    if workspace_id is not None:
        projects = projects.filter(workspace_id=workspace_id)
    if status:
        projects = projects.filter(status=status)
    return projects.order_by("-created_at", "id")


# The list endpoint's fields, in ProjectOut's order (projects_app/schemas.py).
PROJECT_LIST_FIELDS = (
    "id", "workspace_id", "title", "description", "project_type", "status", "intent",
    "context", "settings", "path", "repo_origin_url", "kind", "config", "registered_at",
    "archived_at", "source", "created_at", "updated_at",
)  # fmt: skip


def _project_list_query(*, staff, active, user_id, workspace_id, status, filters):
    user = scope_user_stand_in(staff=staff, active=active, user_id=user_id)
    return project_list(
        user=user,
        workspace_id=workspace_id if "workspace_id" in filters else None,
        status=status if "status" in filters else None,
    ).values_list(*PROJECT_LIST_FIELDS)


# The project list is the API's busiest page: compiled once per scope and filter shape.
_project_list_compiled = CompiledQuery(
    _project_list_query, params={"user_id": int, "workspace_id": UUID, "status": str}
)


def project_list_rows(*, user, workspace_id=None, status: str | None = None) -> "CompiledRows":
    """project_list as dicts of PROJECT_LIST_FIELDS, pageable by the API's paginator."""
    scope = scope_user_inputs(user)
    if scope is None:
        return CompiledRows.empty()
    # The same conditions as project_list's.
    filters = frozenset(
        [*(["workspace_id"] if workspace_id is not None else []), *(["status"] if status else [])]
    )
    return CompiledRows(
        _project_list_compiled,
        PROJECT_LIST_FIELDS,
        **scope,
        workspace_id=workspace_id,
        status=status,
        filters=filters,
    )


def project_list_token() -> str | None:
    """The project list's change token (models.ChangeToken); None where pages are not
    kept: PostgreSQL (no query), or SQLite while a trigger is missing."""
    return change_triggers.list_token_read(connection)


def project_get(*, user, project_id: str) -> Project:
    return workspace_scope(Project.objects.all(), user=user).get(pk=project_id)


def conversation_list(*, project: Project) -> QuerySet[Conversation]:
    return project.conversations.order_by("-created_at", "id")


def conversation_get(*, project: Project, conversation_id) -> Conversation:
    return project.conversations.get(pk=conversation_id)


def message_list(*, conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).order_by("created_at", "id")


def artifact_list(
    *, project: Project, all_versions: bool = False, lineage=None
) -> QuerySet[Artifact]:
    artifacts = project.artifacts.all()
    if not all_versions:
        artifacts = artifacts.filter(is_latest=True)
    if lineage is not None:
        artifacts = artifacts.filter(lineage=lineage)
    return artifacts.order_by("name", "lineage", "-version")


def project_version_list(*, project: Project) -> QuerySet[ProjectVersion]:
    return project.versions.order_by("-version_number")
