"""Session changelist action "Migrate to project": preview page, confirm, run page (the
`delete_selected` pattern; docs/session-to-project.md, "Three ways to run it")."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from migration_app.admin.run_start import action_page, run_start, selected_ids_to_carry
from migration_app.dispatch import runs_in_background
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.session_to_project import KIND, session_to_project_preview
from migration_app.services.session_to_project.plan import selection_counts

# The preview plans at most this many sessions; a larger selection shows these and a count.
PREVIEW_MAX = 200


class MigrateToProjectMixin:
    """Adds the action to a Session ModelAdmin (see migration_app/admin/sessions.py)."""

    def has_migrate_to_project_permission(self, request) -> bool:
        return request.user.has_perms(["sessions_app.change_session", "projects_app.add_project"])

    @admin.action(description="Migrate to project", permissions=["migrate_to_project"])
    def migrate_to_project(self, request, queryset):
        # Django hides the action without the permission; check again for crafted POSTs.
        if not self.has_migrate_to_project_permission(request):
            raise PermissionDenied
        if request.POST.get("post") == "yes":
            session_ids = sorted(queryset.values_list("pk", flat=True))
            return run_start(self, request, kind=KIND, summary=_summary, session_ids=session_ids)
        sample = list(queryset.order_by("pk").values_list("pk", flat=True)[:PREVIEW_MAX])
        plans = session_to_project_preview(session_ids=sample)
        outcome = MigrationItem.Outcome
        by_outcome = {o: [p for p in plans if p.outcome == o] for o in outcome.values}
        counts = selection_counts(queryset)
        exact = len(plans) == counts["selected"]  # every session planned: no estimate
        counts["to_fail"] = len(by_outcome[outcome.FAILED])
        counts["to_skip"] = counts["selected"] - counts["to_migrate"]
        counts["to_migrate"] -= counts["to_fail"]
        return action_page(
            self,
            request,
            "admin/sessions_app/session/migrate_to_project_preview.html",
            title="Migrate sessions to projects",
            session_ids=selected_ids_to_carry(request, queryset),
            counts=counts,
            exact=exact,
            previewed_count=len(plans),
            background=runs_in_background(
                size=counts["selected"], origin=MigrationRun.Origin.ADMIN
            ),
            sync_limit=settings.SESSIONHUB_SYNC_ACTION_LIMIT,
            to_migrate=by_outcome[outcome.MIGRATED],
            to_skip=by_outcome[outcome.SKIPPED],
            to_fail=by_outcome[outcome.FAILED],
        )


def _summary(run: MigrationRun) -> str:
    counts = run.counts
    return (
        f"{counts.get('migrated', 0)} migrated, {counts.get('skipped', 0)} skipped, "
        f"{counts.get('failed', 0)} failed."
    )
