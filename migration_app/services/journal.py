"""The migration journal: start a run, record items in batches, report progress, finish, undo.

Every migration service records its work here. `migration_undo` dispatches to the undo
function that each kind registers with `undo_handler`.
"""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from config.bound_cursor import query_log
from migration_app.models import MigrationItem, MigrationRun

Outcome = MigrationItem.Outcome


class MigrationError(Exception):
    """A migration cannot be carried out as asked (bad input, wrong state)."""


class MigrationConflict(MigrationError):
    """Another run or a concurrent change got there first."""


@dataclass(frozen=True)
class ItemRecord:
    """One journal line, before it is written."""

    subject_type: str
    subject_id: str
    outcome: str
    reason: str = ""
    before: Any = None
    after: Any = None


@dataclass
class UndoResult:
    restored: int = 0
    notes: list[str] = field(default_factory=list)


UndoFunction = Callable[[MigrationRun], UndoResult]
_UNDO_HANDLERS: dict[str, UndoFunction] = {}


def undo_handler(kind: str) -> Callable[[UndoFunction], UndoFunction]:
    """Register the undo of one migration kind (used as a decorator)."""

    def register(function: UndoFunction) -> UndoFunction:
        _UNDO_HANDLERS[kind] = function
        return function

    return register


def migration_run_start(
    *,
    kind: str,
    params: dict | None = None,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
    dry_run: bool = False,
    progress_total: int = 0,
) -> MigrationRun:
    return MigrationRun.objects.create(
        kind=kind,
        status=MigrationRun.Status.RUNNING,
        params=params or {},
        actor=actor,
        origin=origin,
        dry_run=dry_run,
        progress_total=progress_total,
    )


def migration_items_record(
    *, run: MigrationRun, items: Iterable[ItemRecord], created_at=None
) -> int:
    """Write a batch of items in one statement; returns how many were written.

    COPY on PostgreSQL, one executemany on SQLite (faster there than a multi-row INSERT,
    which SQLite must parse afresh for every batch size). The ORM's bulk_create splits at
    Django's conservative 999-parameter SQLite limit and spends most of a large batch
    preparing fields, so the rows are adapted here directly.
    """
    created_at = connection.ops.adapt_datetimefield_value(created_at or timezone.now())
    run_id = MigrationItem._meta.get_field("run").get_db_prep_save(run.pk, connection)
    rows = [
        (
            run_id, item.subject_type, item.subject_id, item.outcome, item.reason,
            None if item.before is None else json.dumps(item.before),
            None if item.after is None else json.dumps(item.after),
            created_at,
        )
        for item in items
    ]  # fmt: skip
    if not rows:
        return 0
    table = connection.ops.quote_name(MigrationItem._meta.db_table)
    columns = "run_id, subject_type, subject_id, outcome, reason, before, after, created_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({columns}) FROM STDIN"
            started = time.monotonic()
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            query_log(sql, started)  # COPY bypasses Django's cursor
            return len(rows)
        placeholders = ", ".join(["%s"] * len(rows[0]))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
    return len(rows)


def migration_run_progress(
    *, run: MigrationRun, advance: int = 0, total: int | None = None
) -> None:
    """Move the progress counter by `advance` (one UPDATE, safe from several workers)."""
    changes: dict[str, Any] = {"progress_done": F("progress_done") + advance}
    if total is not None:
        changes["progress_total"] = total
        run.progress_total = total
    MigrationRun.objects.filter(pk=run.pk).update(**changes)
    run.progress_done += advance


def migration_run_counts(*, run: MigrationRun) -> dict[str, int]:
    """Items per outcome, every outcome present (0 when none)."""
    counts = {outcome: 0 for outcome in Outcome.values}
    per_outcome = run.items.values("outcome").annotate(n=Count("id")).order_by()
    for row in per_outcome:
        counts[row["outcome"]] = row["n"]
    return counts


def migration_run_finish(
    *, run: MigrationRun, extra_counts: dict[str, Any] | None = None, error: str = ""
) -> MigrationRun:
    """Close the run: counts from its items, status from the counts.

    An error that stopped the whole run makes it `failed`; any failed item makes it
    `partial`; otherwise it `succeeded`.
    """
    counts = migration_run_counts(run=run)
    if extra_counts:
        counts.update(extra_counts)
    if error:
        status = MigrationRun.Status.FAILED
    elif counts[Outcome.FAILED]:
        status = MigrationRun.Status.PARTIAL
    else:
        status = MigrationRun.Status.SUCCEEDED
    run.counts = counts
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    if not error:
        run.progress_done = max(run.progress_done, run.progress_total)
    run.save(update_fields=["counts", "status", "error", "finished_at", "progress_done"])
    return run


INTERRUPTED = "interrupted: the process ended before the run finished"


def migration_runs_close_interrupted(*, kind: str) -> int:
    """Close the runs of `kind` still marked running as failed, with their counts so far.

    Only for a caller that holds the lock that lets one run of this kind at a time: then
    a run still marked running belongs to a process that died (kill -9, power loss).
    Closed, such a run shows what it did and can be undone. Returns how many were closed.
    """
    stale = MigrationRun.objects.filter(kind=kind, status=MigrationRun.Status.RUNNING)
    closed = 0
    for run in stale.order_by("started_at"):
        migration_run_finish(run=run, error=INTERRUPTED)
        closed += 1
    return closed


def migration_undo(*, run: MigrationRun) -> MigrationRun:
    """Undo a finished run through the undo its kind registered; a second undo is a no-op."""
    run = MigrationRun.objects.get(pk=run.pk)
    if run.status == MigrationRun.Status.UNDONE:
        return run
    if run.dry_run:
        raise MigrationError("A dry run changed nothing, so there is nothing to undo.")
    if not run.is_finished:
        raise MigrationConflict("The run is still in progress; undo it once it has finished.")
    handler = _UNDO_HANDLERS.get(run.kind)
    if handler is None:
        raise MigrationError(f"No undo is registered for migrations of kind {run.kind!r}.")
    result = handler(run)
    with transaction.atomic():
        # Compare-and-set: only one concurrent undo marks the run.
        MigrationRun.objects.filter(pk=run.pk).exclude(status=MigrationRun.Status.UNDONE).update(
            status=MigrationRun.Status.UNDONE,
            counts={**run.counts, "undone": result.restored, "undo_notes": result.notes},
        )
    run.refresh_from_db()
    return run
