"""MigrationRun and MigrationItem are read-only: the journal is written by services only."""

from contextlib import suppress

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_POST

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import (
    migration_item_page,
    migration_run_figures,
    migration_run_progress_view,
)
from migration_app.services.journal import MigrationError, migration_undo
from projects_app.admin_display import ReadableList, ellipsis_column, short_id_column

UNDO_PERMISSION = "migration_app.undo_migrationrun"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    has_change_permission = has_delete_permission = has_add_permission


@admin.register(MigrationRun)
class MigrationRunAdmin(ReadableList, ReadOnlyAdmin):
    list_display = [
        "run_id", "kind", "status", "dry_run", "origin", "actor", "progress",
        "started_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["kind", "status", "dry_run", "origin"]
    search_fields = ["=id", "actor"]
    date_hierarchy = "started_at"
    run_id = short_id_column(ordering=None)

    @admin.display(description="progress")
    def progress(self, run: MigrationRun) -> str:
        return f"{run.progress_done}/{run.progress_total}"

    run_page_template = "admin/migration_app/migrationrun/run_page.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's own page (no form: the journal is written by services only)."""
        run = self.get_object(request, object_id)
        if run is None or not self.has_view_permission(request, run):
            return super().change_view(request, object_id, form_url, extra_context)
        outcome = request.GET.get("outcome")
        outcome = outcome if outcome in MigrationItem.Outcome.values else None
        page = migration_item_page(run=run, outcome=outcome, page=request.GET.get("page", 1))
        context = {
            **self.admin_site.each_context(request),
            "title": str(run),
            "opts": self.opts,
            "run": run,
            "selection": _params_summary(run.params),
            "figures": migration_run_figures(run=run),
            "outcome": outcome,
            "outcomes": MigrationItem.Outcome.values,
            "items_page": page,
            "items": [(item, _item_links(item)) for item in page],
            "can_undo": request.user.has_perm(UNDO_PERMISSION)
            and run.is_finished
            and not run.dry_run
            and run.status != MigrationRun.Status.UNDONE,
            "undo_url": reverse(f"admin:{self._view_name('undo')}", args=[run.pk]),
            "progress_url": reverse(f"admin:{self._view_name('progress')}", args=[run.pk]),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.run_page_template, context)

    def progress_view(self, request, object_id):
        run = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return JsonResponse(migration_run_progress_view(run=run))

    def get_urls(self):
        undo = self.admin_site.admin_view(require_POST(self.undo_view))
        progress = self.admin_site.admin_view(self.progress_view)
        return [
            path("<path:object_id>/undo/", undo, name=self._view_name("undo")),
            path("<path:object_id>/progress/", progress, name=self._view_name("progress")),
            *super().get_urls(),
        ]

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
            text = f"Run undone: {run.counts.get('undone', 0)} item(s) restored."
            self.message_user(request, text, messages.SUCCESS)
        return redirect(reverse(f"admin:{self._view_name('change')}", args=[run.pk]))


def _params_summary(params: dict) -> list[tuple[str, str]]:
    """The run's request, short: a list shows its length and first values, never every id."""
    summary = []
    for name, value in (params or {}).items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list | dict):
            first = ", ".join(str(v) for v in list(value)[:3])
            more = "…" if len(value) > 3 else ""
            value = f"{len(value)}: {first}{more}"
        summary.append((name.replace("_", " "), str(value)))
    return summary


def _item_links(item: MigrationItem) -> list[tuple[str, str]]:
    """Links to what a migrated item made or moved: its session, then its project."""
    if item.outcome != MigrationItem.Outcome.MIGRATED:
        return []
    after = item.after if isinstance(item.after, dict) else {}
    kind = item.subject_type
    session = {"session": item.subject_id, "entry": after.get("session")}.get(kind)
    project = {"project": item.subject_id, "session": after.get("project_id")}.get(kind)
    links = []
    for label, url_name, target in [
        ("session", "admin:sessions_app_session_change", session),
        ("project", "admin:projects_app_project_change", project),
    ]:
        if target:
            with suppress(NoReverseMatch):
                links.append((label, reverse(url_name, args=[target])))
    return links


@admin.register(MigrationItem)
class MigrationItemAdmin(ReadableList, ReadOnlyAdmin):
    list_display = ["id", "run", "subject_type", "subject", "outcome", "short_reason", "created_at"]
    list_filter = ["outcome", "subject_type", "run__kind"]
    search_fields = ["=run__id", "subject_id"]
    list_select_related = ["run"]
    raw_id_fields = ["run"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    subject = ellipsis_column("subject_id", 50, ordering="subject_id", left=True)
    short_reason = ellipsis_column("reason", 80)
