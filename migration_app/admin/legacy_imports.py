"""The "Legacy imports" admin: the runs of `migrate_legacy`, each with its rejected files."""

from django.contrib import admin
from django.utils.html import format_html

from migration_app.admin.runs import MigrationRunAdmin
from migration_app.models import LegacyImport, MigrationItem, MigrationRun
from migration_app.selectors import migration_item_page
from projects_app.admin_display import ellipsis


@admin.register(LegacyImport)
class LegacyImportAdmin(MigrationRunAdmin):
    list_display = [
        "run_id", "source", "status", "dry_run", "sessions", "rejected", "actor",
        "started_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["status", "dry_run"]
    run_page_template = "admin/migration_app/legacyimport/run_page.html"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=MigrationRun.Kind.LEGACY_IMPORT)

    @admin.display(description="source")
    def source(self, run: MigrationRun) -> str:
        path = ellipsis(run.params.get("path", ""), 40, left=True)
        return format_html("{} {}", run.params.get("source", ""), path)

    @admin.display(description="sessions")
    def sessions(self, run: MigrationRun) -> str:
        """Done work for a real run; a dry run's counts are what it would have done."""
        count = (run.counts or {}).get("session_migrated", 0)
        return f"{count:,} planned" if run.dry_run else f"{count:,} migrated"

    @admin.display(description="rejected")
    def rejected(self, run: MigrationRun) -> str:
        count = (run.counts or {}).get(MigrationItem.Outcome.FAILED, 0)
        return f"{count:,} would be" if run.dry_run and count else f"{count:,}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            # The files and project entries the import rejected, with their reasons.
            page = request.GET.get("rejected_page", 1)
            rejected = migration_item_page(run=run, outcome=MigrationItem.Outcome.FAILED, page=page)
            extra_context = {**(extra_context or {}), "rejected_page": rejected}
        return super().change_view(request, object_id, form_url, extra_context=extra_context)
