"""Read-side queries of the projects app."""

from django.db.models import QuerySet

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


def workspace_get_for_user(*, user, workspace_id) -> Workspace:
    """One workspace the user may see; Workspace.DoesNotExist (404) otherwise."""
    return workspace_list_for_user(user=user).get(pk=workspace_id)


def workspace_scope(queryset: QuerySet, *, user, field: str = "workspace") -> QuerySet:
    """Rows of the workspaces the user may see (staff: every row, without a subquery)."""
    if user and user.is_authenticated and user.is_active and user.is_staff:
        return queryset
    return queryset.filter(**{f"{field}__in": workspace_list_for_user(user=user)})


def project_list(*, user, workspace_id=None, status: str | None = None) -> QuerySet[Project]:
    projects = workspace_scope(Project.objects.all(), user=user)
    if workspace_id is not None:
        projects = projects.filter(workspace_id=workspace_id)
    if status:
        projects = projects.filter(status=status)
    return projects.order_by("-created_at", "id")


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
