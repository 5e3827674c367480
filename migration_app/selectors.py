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


def migration_run_list(*, user) -> QuerySet[MigrationRun]:
    """Runs the user may see: all for active staff, none for anyone else."""
    if not user or not user.is_authenticated or not user.is_active or not user.is_staff:
        return MigrationRun.objects.none()
    return MigrationRun.objects.order_by("-started_at", "id")
