"""MigrationRun and MigrationItem are read-only: the journal is written by services only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import migration_item_page
from migration_app.services.journal import MigrationError, migration_undo

UNDO_PERMISSION = "migration_app.undo_migrationrun"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MigrationRun)
class MigrationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id", "kind", "status", "dry_run", "origin", "actor", "progress",
        "started_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["kind", "status", "dry_run", "origin"]
    search_fields = ["=id", "actor"]
    date_hierarchy = "started_at"
    fields = [
        "id", "kind", "status", "dry_run", "origin", "actor", "params", "counts",
        "progress_done", "progress_total", "error", "started_at", "finished_at",
    ]  # fmt: skip
    change_form_template = "admin/migration_app/migrationrun/change_form.html"

    @admin.display(description="id")
    def short_id(self, run: MigrationRun) -> str:
        return str(run.id)[:8]

    @admin.display(description="progress")
    def progress(self, run: MigrationRun) -> str:
        return f"{run.progress_done}/{run.progress_total}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if run is not None:
            outcome = request.GET.get("outcome") or None
            if outcome not in MigrationItem.Outcome.values:
                outcome = None
            context.update(
                run=run,
                outcome=outcome,
                outcomes=MigrationItem.Outcome.values,
                items_page=migration_item_page(
                    run=run, outcome=outcome, page=request.GET.get("page", 1)
                ),
                can_undo=self._can_undo(request, run),
                undo_url=reverse(f"admin:{self._view_name('undo')}", args=[run.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    @staticmethod
    def _can_undo(request, run: MigrationRun) -> bool:
        return (
            request.user.has_perm(UNDO_PERMISSION)
            and run.is_finished
            and not run.dry_run
            and run.status != MigrationRun.Status.UNDONE
        )

    def get_urls(self):
        undo = self.admin_site.admin_view(require_POST(self.undo_view))
        undo_path = path("<path:object_id>/undo/", undo, name=self._view_name("undo"))
        return [undo_path, *super().get_urls()]

    def _view_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def undo_view(self, request, object_id):
        if not request.user.has_perm(UNDO_PERMISSION):
            raise PermissionDenied
        run = get_object_or_404(MigrationRun, pk=object_id)
        try:
            run = migration_undo(run=run)
        except MigrationError as exc:
            self.message_user(request, f"Not undone: {exc}", messages.ERROR)
        else:
            restored = run.counts.get("undone", 0)
            self.message_user(
                request, f"Run undone: {restored} item(s) restored.", messages.SUCCESS
            )
        return redirect(reverse(f"admin:{self._view_name('change')}", args=[run.pk]))


@admin.register(MigrationItem)
class MigrationItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "subject_type", "subject_id", "outcome", "reason", "created_at"]
    list_filter = ["outcome", "subject_type", "run__kind"]
    search_fields = ["=run__id", "subject_id"]
    list_select_related = ["run"]
    raw_id_fields = ["run"]
    date_hierarchy = "created_at"
    show_full_result_count = False
