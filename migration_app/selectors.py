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


def legacy_import_rejected_page(*, run: MigrationRun, page: int | str = 1, per_page: int = 100):
    """The files and project entries a legacy import rejected, with their reasons."""
    rejected = migration_item_list(run=run, outcome=MigrationItem.Outcome.FAILED)
    return Paginator(rejected, per_page).get_page(page)
