"""The session changelist with the migration actions, and each session's runs.

sessions_app cannot import migration_app, so the actions join the Session admin here:
this subclass replaces the registration made by sessions_app.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from migration_app.admin.attach_workstream import AttachWorkstreamAdminMixin
from migration_app.admin.migrate_to_project import MigrateToProjectMixin
from migration_app.admin.reassociate_task import ReassociateTaskAdminMixin
from migration_app.legacy.status_map import legacy_status_words
from migration_app.selectors import migration_runs_of_subject
from migration_app.session_export import ExportRefused, session_export
from sessions_app.admin import SessionAdmin
from sessions_app.models import Session


class LegacyStatusFilter(admin.SimpleListFilter):
    """The status word the origin itself showed (ao's `merged`, `ci_failed`, …). A fixed
    list: no DISTINCT over a table of a million sessions to build it."""

    title = "legacy status"
    parameter_name = "legacy_status"

    def lookups(self, request, model_admin):
        return [(word, word) for word in legacy_status_words()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(legacy_status=value) if value else queryset


class SessionMigrationAdmin(
    AttachWorkstreamAdminMixin, MigrateToProjectMixin, ReassociateTaskAdminMixin, SessionAdmin
):
    actions = ["reassociate_task", "migrate_to_project", "attach_to_workstream"]
    # Last: a long list of words, below the short filters staff use most.
    list_filter = [*SessionAdmin.list_filter, LegacyStatusFilter]

    readonly_fields = [*SessionAdmin.readonly_fields, "runs"]
    fieldsets = [*SessionAdmin.fieldsets, ("Migrations", {"fields": ["runs"]})]

    @admin.display(description="runs")
    def runs(self, session: Session) -> str:
        runs = migration_runs_of_subject(subject_type="session", subject_id=session.pk)
        url = "admin:migration_app_migrationrun_change"
        links = format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}">{}</a> — {}',
            ((reverse(url, args=[run.pk]), run, outcome) for run, outcome in runs),
        )
        return links or "—"

    # The transcript's downloads: the original bytes and the readable renderings, all
    # made by the export service (export_session), streamed.
    DOWNLOADS = {
        "jsonl": ("original JSONL", "application/x-ndjson", "jsonl"),
        "markdown": ("Markdown", "text/markdown; charset=utf-8", "md"),
        "html": ("HTML", "text/html; charset=utf-8", "html"),
    }

    def get_urls(self):
        download = path(
            "<path:object_id>/transcript/<str:fmt>/",
            self.admin_site.admin_view(self.transcript_download),
            name="sessions_app_session_transcript_download",
        )
        return [download, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        name = "admin:sessions_app_session_transcript_download"
        downloads = [
            {"format": fmt, "label": label, "url": reverse(name, args=[object_id, fmt])}
            for fmt, (label, _, _) in self.DOWNLOADS.items()
        ]
        context = {"transcript_downloads": downloads, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def transcript_download(self, request, object_id: str, fmt: str):
        session = self.get_object(request, object_id)
        if session is None or fmt not in self.DOWNLOADS:
            raise Http404("No such session or format.")
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        _, content_type, suffix = self.DOWNLOADS[fmt]
        try:
            chunks = session_export(session_id=session.pk, fmt=fmt)
        except ExportRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            change = reverse("admin:sessions_app_session_change", args=[quote(session.pk)])
            return HttpResponseRedirect(change)
        name = f"session-{session.pk}.{suffix}".replace('"', "")
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingHttpResponse(chunks, content_type=content_type, headers=disposition)


admin.site.unregister(Session)
admin.site.register(Session, SessionMigrationAdmin)
