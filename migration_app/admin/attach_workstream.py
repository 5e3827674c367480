"""Session changelist action "Attach to workstream": choose -> preview -> confirm -> run page.

The delete_selected pattern: every step re-POSTs the selection to the changelist with
`action=attach_to_workstream`; `preview=yes` shows the plan, `post=yes` runs it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from migration_app.admin.run_start import action_page, run_start, selected_ids_to_carry
from migration_app.models import MigrationRun
from migration_app.services import MigrationError
from migration_app.services.attach_workstream import KIND, attach_preview
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Workstream

PREVIEW_ROWS = 200


class WorkstreamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, workstream: Workstream) -> str:
        return f"{workstream.id} (workspace {workstream.workspace.slug})"


class AttachWorkstreamForm(forms.Form):
    workstream = WorkstreamChoiceField(
        queryset=Workstream.objects.filter(state=Workstream.State.ACTIVE)
        .exclude(id=SCRATCH_WORKSTREAM_ID)
        .select_related("workspace"),
        empty_label=None,
        help_text="Files of scratch sessions move to workstreams/<workstream>/work/<session>/. "
        "Only sessions of the workstream's workspace can be attached to it.",
    )


class AttachWorkstreamAdminMixin:
    # Attaching rewrites the session row and moves its files: it needs change rights.
    @admin.action(permissions=["change"], description="Attach to workstream")
    def attach_to_workstream(self, request, queryset):
        if not self.has_change_permission(request):  # re-checked: a crafted POST gets 403
            raise PermissionDenied
        form = AttachWorkstreamForm(request.POST if "workstream" in request.POST else None)
        step, extra = "form", {}
        if form.is_bound and form.is_valid():
            workstream = form.cleaned_data["workstream"]
            if request.POST.get("post") == "yes":
                session_ids = list(queryset.order_by("id").values_list("id", flat=True))
                return run_start(
                    self,
                    request,
                    kind=KIND,
                    summary=_summary,
                    workstream_id=workstream.id,
                    session_ids=session_ids,
                )
            try:
                extra["preview"] = attach_preview(
                    workstream_id=workstream.id, sessions=queryset, sample=PREVIEW_ROWS
                )
            except (MigrationError, ValidationError, Workstream.DoesNotExist) as exc:
                self.message_user(request, f"Attach refused: {exc}", messages.ERROR)
                return None
            step = "preview"
        return action_page(
            self,
            request,
            f"admin/sessions_app/session/attach_workstream_{step}.html",
            title="Attach to workstream",
            form=form,
            count=queryset.count(),
            selected_ids=selected_ids_to_carry(request, queryset),
            **extra,
        )


def _summary(run: MigrationRun) -> str:
    counts = run.counts
    return (
        f"Attached {counts.get('sessions_attached', 0)} sessions to {run.params['workstream']} "
        f"({counts.get('files', 0)} files, {counts.get('bytes', 0)} bytes); "
        f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed."
    )
