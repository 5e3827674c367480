"""Starting a run from a changelist action: dispatch it, say what happened, show its page."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationRun
from migration_app.services import MigrationError


def selected_ids_to_carry(request, queryset) -> list:
    """The selection a confirmation page re-posts: every id, or, when "select all" was
    used, one id (Django re-reads the selection from the changelist's filters)."""
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    return list(ids[:1] if request.POST.get("select_across") == "1" else ids)


def action_page(model_admin, request, template: str, **context) -> TemplateResponse:
    """A page of a changelist action that re-posts the selection (the delete_selected
    pattern): the admin's context, the selection's checkbox name and select-across flag."""
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across") == "1",
        **context,
    }
    return TemplateResponse(request, template, context)


def run_start(
    model_admin, request, *, kind: str, summary: Callable[[MigrationRun], str], **params
) -> HttpResponseRedirect | None:
    """Dispatch a run of `kind`; its page when it started, None (back to the list) when
    refused. `summary(run)` words the result of a run that finished in the request."""
    try:
        run = migration_run_dispatch(
            kind=kind,
            actor=request.user.get_username(),
            origin=MigrationRun.Origin.ADMIN,
            **params,
        )
    except (MigrationError, ValidationError) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        model_admin.message_user(request, f"Refused: {text}", messages.ERROR)
        return None
    if not run.is_finished:
        text = (
            f"{run.progress_total} items will be migrated in the background (a worker runs "
            "them: `make worker`); this page shows the progress."
        )
        model_admin.message_user(request, text, messages.INFO)
    elif run.status == MigrationRun.Status.SUCCEEDED:
        model_admin.message_user(request, summary(run), messages.SUCCESS)
    else:
        model_admin.message_user(request, summary(run), messages.WARNING)
    return HttpResponseRedirect(reverse("admin:migration_app_migrationrun_change", args=[run.pk]))
