"""Read-side queries of the migration journal."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from migration_app.models import MigrationItem, MigrationRun


def migration_item_list(*, run: MigrationRun, outcome: str | None = None) -> QuerySet:
    items = MigrationItem.objects.filter(run=run)
    if outcome:
        items = items.filter(outcome=outcome)
    return items.order_by("id")


def migration_item_page(
    *, run: MigrationRun, outcome: str | None = None, page: int | str = 1, per_page: int = 100
) -> Page:
    return Paginator(migration_item_list(run=run, outcome=outcome), per_page).get_page(page)


def task_run_summary(*, run: MigrationRun) -> dict:
    """The result of a reassociate_task / task_backend run, as commands and the API report it."""
    counts = run.counts or {}
    return {
        "run_id": str(run.id),
        "kind": run.kind,
        "status": run.status,
        "dry_run": run.dry_run,
        "sessions_found": counts.get("sessions_found", 0),
        "sessions_updated": counts.get("sessions_updated", 0),
        "sessions_would_update": counts.get("sessions_would_update", 0),
        "sessions_unchanged": counts.get("sessions_unchanged", 0),
        "sessions_failed": counts.get("sessions_failed", 0),
        "updated_sessions": counts.get("updated_sessions", []),
        "errors": counts.get("errors", []),
        "error": run.error,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
    }
