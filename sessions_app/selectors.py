"""Read-side queries of the sessions app."""

from django.db.models import QuerySet

from sessions_app.models import Session


def session_list_for_admin() -> QuerySet[Session]:
    """Sessions with every relation the changelist shows, joined in one query."""
    return Session.objects.select_related("workspace", "project", "workstream")
