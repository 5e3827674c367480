"""Read-side queries of the projects app."""

from django.db.models import QuerySet

from projects_app.models import Workspace


def workspace_list_for_user(*, user) -> QuerySet[Workspace]:
    """The workspaces a user may see: all for staff, else those they are a member of."""
    if not user or not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_staff:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def workspace_default() -> Workspace:
    return Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)
