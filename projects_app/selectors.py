"""Read-side queries of the projects app."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.text import capfirst

from projects_app.models import (
    Artifact,
    Conversation,
    Message,
    Project,
    ProjectVersion,
    Workspace,
)

# Django's own messages for `.get()` and get_object_or_404 finding nothing.
_DJANGO_DEFAULTS = ("matching query does not exist.", "matches the given query.")


def not_found(model: type[Model], key) -> ObjectDoesNotExist:
    """The model's DoesNotExist naming what was asked for: "Session 'x' not found."

    It says nothing about whether the row exists in a workspace the caller cannot see.
    """
    return model.DoesNotExist(f"{capfirst(model._meta.verbose_name)} '{key}' not found.")


def object_get(queryset: QuerySet, *, key):
    """The row of `queryset` whose pk is `key`, else `not_found(model, key)`."""
    try:
        return queryset.get(pk=key)
    except queryset.model.DoesNotExist:
        raise not_found(queryset.model, key) from None


def not_found_detail(exc: ObjectDoesNotExist | Http404) -> str:
    """What the API says for a DoesNotExist or Http404: its own message when it names the
    subject, else the model's name ("Project not found.")."""
    message = str(exc.args[0]) if exc.args else ""
    if message and not message.endswith(_DJANGO_DEFAULTS):
        return message
    model_name = type(exc).__qualname__.rpartition(".DoesNotExist")[0]
    return f"{model_name} not found." if model_name else "Not found."


def workspace_list_for_user(*, user) -> QuerySet[Workspace]:
    """The workspaces a user may see: all for staff, else those they are a member of."""
    if not user or not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_staff:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def workspace_get_for_user(*, user, workspace_id) -> Workspace:
    """One workspace the user may see; Workspace.DoesNotExist (404) otherwise."""
    return object_get(workspace_list_for_user(user=user), key=workspace_id)


def workspace_scope(
    queryset: QuerySet, *, user, field: str = "workspace", workspace_id=None
) -> QuerySet:
    """Rows of the workspaces the user may see (staff: every row, without a subquery); with
    `workspace_id`, of that one only."""
    if workspace_id is not None:
        queryset = queryset.filter(**{f"{field}_id": workspace_id})
    if user and user.is_authenticated and user.is_active and user.is_staff:
        return queryset
    return queryset.filter(**{f"{field}__in": workspace_list_for_user(user=user)})


def project_list(*, user, workspace_id=None, status: str | None = None) -> QuerySet[Project]:
    projects = workspace_scope(Project.objects.all(), user=user, workspace_id=workspace_id)
    if status:
        projects = projects.filter(status=status)
    return projects.order_by("-created_at", "id")


def project_get(*, user, project_id: str) -> Project:
    return object_get(workspace_scope(Project.objects.all(), user=user), key=project_id)


def conversation_list(*, project: Project) -> QuerySet[Conversation]:
    return project.conversations.order_by("-created_at", "id")


def conversation_get(*, project: Project, conversation_id) -> Conversation:
    return object_get(project.conversations.all(), key=conversation_id)


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
