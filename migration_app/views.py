"""The old TokenDance route `/execution/<session_id>/`, kept working after the migration."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from projects_app.selectors import workspace_list_for_user
from sessions_app.models import Session


@staff_member_required
def execution_redirect(request, session_id: str):
    """302 to the migrated session's project page; 404 when it is not migrated (or not visible)."""
    sessions = Session.objects.filter(pk=session_id, project__isnull=False)
    visible = sessions.filter(workspace__in=workspace_list_for_user(user=request.user))
    project_id = visible.values_list("project_id", flat=True).first()
    if project_id is None:
        raise Http404("This session has not been migrated to a project.")
    return HttpResponseRedirect(reverse("admin:projects_app_project_change", args=[project_id]))
