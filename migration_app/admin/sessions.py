"""The session changelist with the migration actions, and each session's runs.

sessions_app cannot import migration_app, so the actions join the Session admin here:
this subclass replaces the registration made by sessions_app.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from migration_app.admin.attach_workstream import AttachWorkstreamAdminMixin
from migration_app.admin.migrate_to_project import MigrateToProjectMixin
from migration_app.admin.reassociate_task import ReassociateTaskAdminMixin
from migration_app.selectors import migration_runs_of_subject
from sessions_app.admin import SessionAdmin
from sessions_app.models import Session


class SessionMigrationAdmin(
    AttachWorkstreamAdminMixin, MigrateToProjectMixin, ReassociateTaskAdminMixin, SessionAdmin
):
    actions = ["reassociate_task", "migrate_to_project", "attach_to_workstream"]
    readonly_fields = [*SessionAdmin.readonly_fields, "runs"]
    fieldsets = [*SessionAdmin.fieldsets, ("Migrations", {"fields": ["runs"]})]

    @admin.display(description="runs")
    def runs(self, session: Session) -> str:
        runs = migration_runs_of_subject(subject_type="session", subject_id=session.pk)
        if not runs:
            return "—"
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}">{}</a> — {}',
            (
                (reverse("admin:migration_app_migrationrun_change", args=[run.pk]), run, outcome)
                for run, outcome in runs
            ),
        )


admin.site.unregister(Session)
admin.site.register(Session, SessionMigrationAdmin)
