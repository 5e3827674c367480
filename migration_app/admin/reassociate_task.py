"""Admin action "Re-associate task": form -> preview -> confirm -> the MigrationRun page
(docs/reassociate-task.md). The page keeps the selection in hidden inputs (the
`delete_selected` pattern) and every POST re-checks the change permission."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied

from migration_app.admin.run_start import action_page, run_start
from migration_app.dispatch import runs_in_background
from migration_app.models import MigrationRun
from migration_app.selectors import task_reassociation_preview
from sessions_app.task_ids import InvalidTaskId, normalise_task_id, try_normalise_task_id

MAX_TASKS = 50
FORM_TEMPLATE = "admin/sessions_app/session/reassociate_task_form.html"
PREVIEW_TEMPLATE = "admin/sessions_app/session/reassociate_task_preview.html"


class ReassociateTaskAdminMixin:
    """Mixed into SessionMigrationAdmin (migration_app/admin/sessions.py)."""

    @admin.action(description="Re-associate task", permissions=["change"])
    def reassociate_task(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        values = queryset.order_by().values_list("task_id", flat=True).distinct()
        values = list(values[: MAX_TASKS * 20 + 1])
        canonical = {value: try_normalise_task_id(value) for value in values if value}
        olds = sorted({task_id for task_id in canonical.values() if task_id is not None})
        if not olds:
            self.message_user(
                request, "None of the selected sessions has a task id.", messages.WARNING
            )
            return None
        if len(olds) > MAX_TASKS:
            self.message_user(
                request,
                f"The selection spans {len(olds)} tasks; select sessions of at most "
                f"{MAX_TASKS} tasks at a time.",
                messages.ERROR,
            )
            return None

        only_selected = request.POST.get("only_selected") == "on"
        new_ids = [request.POST.get(f"new_{i}", "").strip() for i in range(len(olds))]
        errors = {}
        submitted = "preview" in request.POST or "confirm" in request.POST
        # The mapping is posted by position; if the selection's tasks changed since the
        # form was drawn, a position could name another task: ask again.
        if submitted and [request.POST.get(f"old_{i}") for i in range(len(olds))] != olds:
            self.message_user(
                request,
                "The tasks of the selection changed meanwhile; check the mapping again.",
                messages.WARNING,
            )
            submitted = False
        if submitted:
            for i, new in enumerate(new_ids):
                try:
                    normalise_task_id(new)
                except InvalidTaskId as exc:
                    errors[i] = str(exc) if new else "Enter the new task id."
        ready = submitted and not errors
        mapping = list(zip(olds, new_ids, strict=True))
        selected = list(queryset.values_list("pk", flat=True)) if only_selected else None

        if ready and "confirm" in request.POST:
            return run_start(
                self,
                request,
                kind=MigrationRun.Kind.REASSOCIATE_TASK,
                summary=_summary,
                mapping=mapping,
                session_ids=selected,
            )

        context = {
            "title": "Re-associate task",
            "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "rows": [
                {"index": i, "old": old, "new": new, "error": errors.get(i, "")}
                for i, (old, new) in enumerate(mapping)
            ],
            "only_selected": only_selected,
            "unreadable": [value for value, task_id in canonical.items() if task_id is None],
            "empty": len(values) - len(canonical),
            "selected_count": queryset.count(),
        }
        if ready:
            preview = task_reassociation_preview(mapping=mapping, session_ids=selected)
            total = sum(p["found"] - p["unchanged"] for p in preview)
            background = runs_in_background(size=total, origin=MigrationRun.Origin.ADMIN)
            context.update(preview=preview, preview_total=total, background=background)
        return action_page(self, request, PREVIEW_TEMPLATE if ready else FORM_TEMPLATE, **context)


def _summary(run: MigrationRun) -> str:
    return (
        f"Re-associated {run.counts.get('sessions_updated', 0)} of "
        f"{run.counts.get('sessions_found', 0)} sessions ({run.status})."
    )
