"""Undo of a minsky import: refused while a later run changed its sessions."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import MigrationConflict, UndoResult
from migration_app.services.legacy_import.minsky_store.state import IN_CHUNK, Outcome
from migration_app.services.unused_rows import PROJECT_USERS, unused_rows_delete
from projects_app.models import Project, Source
from sessions_app.models import Session


def _migrated_ids(run: MigrationRun, subject_type: str) -> Iterator[list[tuple[int, str, dict]]]:
    last = 0
    while chunk := list(
        run.items.filter(subject_type=subject_type, outcome=Outcome.MIGRATED, pk__gt=last)
        .order_by("pk")
        .values_list("pk", "subject_id", "after")[:IN_CHUNK]
    ):
        last = chunk[-1][0]
        yield chunk


def _later_run_changing(run: MigrationRun) -> MigrationRun | None:
    """A later real run, not undone, that changed one of this run's sessions."""
    for chunk in _migrated_ids(run, "session"):
        item = (
            MigrationItem.objects.filter(
                subject_type="session", outcome=Outcome.MIGRATED,
                subject_id__in=[sid for _, sid, _ in chunk],
                run__dry_run=False, run__started_at__gte=run.started_at,
            )
            .exclude(run=run)
            .exclude(run__status=MigrationRun.Status.UNDONE)
            .select_related("run")
            .order_by("run__started_at")
            .first()
        )  # fmt: skip
        if item is not None:
            return item.run
    return None


def minsky_store_undo(run: MigrationRun) -> UndoResult:
    later = _later_run_changing(run)
    if later is not None:
        raise MigrationConflict(
            f"Run {later.pk} ({later.get_kind_display()}, started "
            f"{later.started_at:%Y-%m-%d %H:%M:%S} UTC) changed sessions of this import "
            "since; undo that run first, then this one."
        )
    result = UndoResult()
    for chunk in _migrated_ids(run, "session"):
        with transaction.atomic():
            ids = [sid for _, sid, _ in chunk]
            ours = Session.objects.filter(pk__in=ids, source=Source.MINSKY,
                                          source_path=run.params["path"])  # fmt: skip
            deleted = ours.count()
            ours.delete()
            if deleted < len(ids):
                result.notes.append(f"{len(ids) - deleted} session(s) were removed since")
            result.restored += deleted
            MigrationItem.objects.filter(pk__in=[pk for pk, _, _ in chunk]).update(
                outcome=Outcome.UNDONE
            )
    for chunk in _migrated_ids(run, "project"):
        with transaction.atomic():
            ids = [pid for _, pid, _ in chunk]
            result.restored += unused_rows_delete(
                model=Project, ids=ids, relations=PROJECT_USERS, notes=result.notes
            )
            MigrationItem.objects.filter(pk__in=[pk for pk, _, _ in chunk]).update(
                outcome=Outcome.UNDONE
            )
    return result
