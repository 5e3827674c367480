"""The migration journal: every migration kind registers its plan, execute and undo here.

A run goes plan → execute → (undo), whoever starts it; docs/how-a-migration-runs.md
describes each step, the two ways of a dry run and the kind's options.
"""

import contextlib
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun, MigrationSelection
from migration_app.selectors import keyset_pages
from migration_app.services.locks import kind_lock_try
from projects_app.bulk import (
    IN_CHUNK,
    rows_insert,
    rows_insert_matching,
    rows_select_matching,
)

Outcome = MigrationItem.Outcome


class MigrationError(Exception):
    """A migration cannot be carried out as asked (bad input, wrong state)."""


class MigrationConflict(MigrationError):
    """Another run or a concurrent change got there first."""


@dataclass
class UndoResult:
    restored: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Planned:
    """What a kind's plan function returns: the run's params (JSON), its size, and the ids
    it was asked to cover when the request names them (kept as rows, not in params)."""

    params: dict[str, Any]
    total: int = 0
    selection: Sequence[str] | None = None


class DryRun(Enum):
    ROLLED_BACK = "rolled back"  # database-only work: execute for real, then roll back
    PLANNED_BY_KIND = "planned by the kind"  # file work: execute checks, moves nothing


@dataclass(frozen=True)
class MigrationKind:
    name: str
    plan: Callable[..., Planned]  # keyword arguments of the request -> Planned
    execute: Callable[[MigrationRun], dict[str, Any]]  # -> counts beyond the item counts
    undo: Callable[[MigrationRun], UndoResult]
    dry_run: DryRun = DryRun.ROLLED_BACK
    # One run at a time: executed under the kind's lock, which also tells a run left
    # `running` by a dead process (closed as interrupted) from a live one.
    one_at_a_time: bool = False
    # A run still under way elsewhere (background batches waiting for workers) is not
    # closed as interrupted by the next run that takes the lock.
    still_open: Callable[[MigrationRun], bool] | None = None
    # Held around a real run's execute and its closing (attach: the run's own file lock),
    # so whoever finds it free knows the run's process is gone, not about to close it.
    run_lock: Callable[[MigrationRun], contextlib.AbstractContextManager] | None = None


_KINDS: dict[str, MigrationKind] = {}


def migration_kind_register(kind: MigrationKind) -> None:
    _KINDS[kind.name] = kind


def migration_kind_get(name: str) -> MigrationKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise MigrationError(f"No migration of kind {name!r} is registered.") from None


# --- items and progress ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemRecord:
    """One journal line, before it is written."""

    subject_type: str
    subject_id: str
    outcome: str
    reason: str = ""
    before: Any = None
    after: Any = None


# Set while a rolled-back dry run executes: its items wait for the rollback in this
# temporary file, pickled a batch at a time, so memory stays bounded.
_held_items: ContextVar[IO[bytes] | None] = ContextVar("held_items", default=None)
_ITEM_COLUMNS = (
    "run", "subject_type", "subject_id", "outcome", "reason", "before", "after", "created_at",
)  # fmt: skip


def migration_items_record(
    *, run: MigrationRun, items: Iterable[ItemRecord], created_at=None
) -> int:
    """Write a batch of items in one statement (projects_app/bulk.py); returns how many."""
    items = list(items)
    held = _held_items.get()
    if held is not None:
        pickle.dump(items, held, pickle.HIGHEST_PROTOCOL)
        return len(items)
    ops = connection.ops
    created_at = ops.adapt_datetimefield_value(created_at or timezone.now())
    run_id = MigrationItem._meta.get_field("run").get_db_prep_save(run.pk, connection)
    json_field = MigrationItem._meta.get_field("after")
    rows = [
        (
            run_id, item.subject_type, item.subject_id, item.outcome, item.reason,
            None if item.before is None else ops.adapt_json_value(item.before, json_field.encoder),
            None if item.after is None else ops.adapt_json_value(item.after, json_field.encoder),
            created_at,
        )
        for item in items
    ]  # fmt: skip
    rows_insert(MigrationItem, _ITEM_COLUMNS, rows)
    return len(rows)


def migration_items_record_matching(
    *,
    run: MigrationRun,
    item: ItemRecord,
    model,
    keys: Sequence[str],
    equal: dict[str, str],
    created_at=None,
) -> int:
    """`item` (its subject_id aside) once for each row of `model` among `keys` whose text
    fields hold `equal`'s values, the row's key as subject: one INSERT … SELECT, no item
    built here (projects_app/bulk.py); a dry run holds them as any items. Returns how many."""
    if _held_items.get() is not None:
        found = rows_select_matching(model, keys, equal)
        return migration_items_record(run=run, items=[replace(item, subject_id=k) for k in found])
    fixed = {"run": run.pk, "subject_type": item.subject_type, "outcome": item.outcome,
             "reason": item.reason, "created_at": created_at or timezone.now()}  # fmt: skip
    return rows_insert_matching(
        MigrationItem, fixed, "subject_id", source=model, keys=keys, equal=equal
    )


_progress_listener: ContextVar[Callable[[MigrationRun], None] | None] = ContextVar(
    "progress_listener", default=None
)


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
    listener = _progress_listener.get()
    if listener is not None:
        listener(run)


def migration_run_counts(*, run: MigrationRun) -> dict[str, int]:
    """Items per outcome (every outcome, 0 when none) and per `<subject type>_<outcome>`."""
    counts = {outcome: 0 for outcome in Outcome.values}
    rows = run.items.values("subject_type", "outcome").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["outcome"]] += row["n"]
        counts[f"{row['subject_type']}_{row['outcome']}"] = row["n"]
    return counts


# --- the run ----------------------------------------------------------------------------


def migration_run_plan(
    *,
    kind: str,
    dry_run: bool = False,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
    **request: Any,
) -> MigrationRun:
    """Check the request through the kind's plan and record the run, `planned`."""
    planned = migration_kind_get(kind).plan(**request)
    params = dict(planned.params)
    if planned.selection is not None:
        params["selected"] = len(planned.selection)
    with transaction.atomic():
        run = MigrationRun.objects.create(
            kind=kind,
            status=MigrationRun.Status.PLANNED,
            dry_run=dry_run,
            params=params,
            actor=actor,
            origin=origin,
            progress_total=planned.total,
        )
        if planned.selection is not None:
            run_id = MigrationSelection._meta.get_field("run").get_db_prep_save(run.pk, connection)
            rows = [(run_id, subject_id) for subject_id in planned.selection]
            rows_insert(MigrationSelection, ("run", "subject_id"), rows)
    return run


def migration_selection_count(*, queryset, subject_ids: Sequence[str]) -> int:
    """How many rows of `queryset` have their pk among `subject_ids` (counted in chunks: a
    plan may name more ids than one statement may carry)."""
    return sum(
        queryset.filter(pk__in=subject_ids[start : start + IN_CHUNK]).count()
        for start in range(0, len(subject_ids), IN_CHUNK)
    )


def migration_run_selection(*, run: MigrationRun):
    """The ids the run was asked to cover (a values queryset: usable as a subquery); None
    when its request named no ids."""
    if run.params.get("selected") is None:
        return None
    return MigrationSelection.objects.filter(run=run).values("subject_id")


def migration_run_selection_batches(*, run: MigrationRun, size: int) -> Iterator[list[str]]:
    """The selection in id order, `size` at a time."""
    selection = MigrationSelection.objects.filter(run=run).values_list("subject_id", flat=True)
    return keyset_pages(selection, size=size, key="subject_id")


def migration_run_execute(
    *, run_id, on_progress: Callable[[MigrationRun], None] | None = None
) -> MigrationRun:
    """Carry out a planned run (in the request, a command or the worker); returns it closed.
    A run found finished is returned as it is (a retried task delivery); an error that stops
    the whole run is recorded (status failed) and raised again."""
    run = MigrationRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    kind = migration_kind_get(run.kind)
    run_lock = kind.run_lock if kind.run_lock and not run.dry_run else contextlib.nullcontext
    # The run is closed under its locks: released before, the next run of the kind (or a
    # recovery) could take them and close it as interrupted while it was succeeding.
    with _one_at_a_time(kind, run), run_lock(run):
        claimed = MigrationRun.objects.filter(pk=run.pk, status=MigrationRun.Status.PLANNED).update(
            status=MigrationRun.Status.RUNNING
        )
        if not claimed:
            raise MigrationConflict(f"Run {run.pk} is {run.status}, not planned.")
        run.status = MigrationRun.Status.RUNNING
        listening = _progress_listener.set(on_progress)
        try:
            if run.dry_run and kind.dry_run is DryRun.ROLLED_BACK:
                extra = _execute_rolled_back(kind, run)
            else:
                extra = kind.execute(run)
        except Exception as exc:
            # Counts the kind kept on the run while it worked stay with the failed run.
            migration_run_finish(
                run=run, extra_counts=run.counts, error=f"{type(exc).__name__}: {exc}"
            )
            raise
        finally:
            _progress_listener.reset(listening)
        return migration_run_finish(run=run, extra_counts=extra)


def _execute_rolled_back(kind: MigrationKind, run: MigrationRun) -> dict[str, Any]:
    """The real execute inside one transaction that is rolled back; its items (and its
    progress) are written afterwards, also when it fails. Side effects registered with
    on_commit never run."""
    with tempfile.TemporaryFile() as held:
        holding = _held_items.set(held)
        try:
            with transaction.atomic():
                extra = kind.execute(run)
                transaction.set_rollback(True)
        finally:
            _held_items.reset(holding)
            held.seek(0)
            with contextlib.suppress(EOFError):
                while True:
                    items = pickle.load(held)
                    with transaction.atomic():
                        migration_items_record(run=run, items=items)
            MigrationRun.objects.filter(pk=run.pk).update(progress_done=run.progress_done)
    return extra


@contextlib.contextmanager
def _one_at_a_time(kind: MigrationKind, run: MigrationRun) -> Iterator[None]:
    if not kind.one_at_a_time:
        yield
        return
    release = kind_lock_try(kind.name)
    if release is None:
        # Refused before it started: the planned run leaves no trace.
        MigrationRun.objects.filter(pk=run.pk, status=MigrationRun.Status.PLANNED).delete()
        raise MigrationConflict(
            f"Another {kind.name} run is in progress against this database; wait for it "
            "to finish and start this one again."
        )
    try:
        migration_runs_close_interrupted(kind=kind.name, exclude=run)
        yield
    finally:
        release()


def migration_run_finish(
    *, run: MigrationRun, extra_counts: dict[str, Any] | None = None, error: str = ""
) -> MigrationRun:
    """Close the run: counts from its items; `failed` when an error stopped it, `partial`
    when an item failed, else `succeeded`."""
    run.counts = {**migration_run_counts(run=run), **(extra_counts or {})}
    if error:
        run.status = MigrationRun.Status.FAILED
    elif run.counts[Outcome.FAILED]:
        run.status = MigrationRun.Status.PARTIAL
    else:
        run.status = MigrationRun.Status.SUCCEEDED
    run.error = error
    run.finished_at = timezone.now()
    if not error:
        run.progress_done = max(run.progress_done, run.progress_total)
    fields = ["counts", "status", "error", "finished_at", "progress_done", "progress_total"]
    with transaction.atomic():
        run.save(update_fields=fields)
        # From now on the items hold the ids the run covered.
        MigrationSelection.objects.filter(run=run).delete()
    return run


INTERRUPTED = "interrupted: the process ended before the run finished"
NEVER_STARTED = "interrupted: the command ended between its plan and its start"


def migration_runs_close_interrupted(*, kind: str, exclude: MigrationRun | None = None) -> int:
    """Close, as failed, the runs of `kind` that a dead process left open; returns how many.
    Only for a caller holding the kind's lock: then a run still running, or a command's run
    still planned, belongs to a process that died (docs/how-a-migration-runs.md)."""
    Status = MigrationRun.Status
    never_started = Q(status=Status.PLANNED, origin=MigrationRun.Origin.CLI)
    stale = MigrationRun.objects.filter(Q(status=Status.RUNNING) | never_started, kind=kind)
    if exclude is not None:
        stale = stale.exclude(pk=exclude.pk)
    still_open = migration_kind_get(kind).still_open
    closing = [run for run in stale.order_by("started_at") if not (still_open and still_open(run))]
    for run in closing:
        error = INTERRUPTED if run.status == Status.RUNNING else NEVER_STARTED
        migration_run_finish(run=run, error=error)
    return len(closing)


def migration_items_undo(
    *,
    run: MigrationRun,
    undoers: dict[str, Callable[[list[MigrationItem], list[str]], int]],
    chunk_sizes: dict[str, int] | None = None,
) -> UndoResult:
    """The usual undo loop: the run's migrated items of each subject type, in the order of
    `undoers`, a chunk at a time (500 unless `chunk_sizes` says otherwise); each chunk is
    undone by its undoer (returns how many it restored, appends notes) and marked undone
    in one transaction, so an undo that stops can be run again."""
    result = UndoResult()
    migrated = run.items.filter(outcome=Outcome.MIGRATED)
    for subject_type, undo_chunk in undoers.items():
        size = (chunk_sizes or {}).get(subject_type, 500)
        for chunk in keyset_pages(migrated.filter(subject_type=subject_type), size=size):
            with transaction.atomic():
                result.restored += undo_chunk(chunk, result.notes)
                run.items.filter(pk__in=[i.pk for i in chunk]).update(outcome=Outcome.UNDONE)
    return result


def migration_undo(*, run: MigrationRun) -> MigrationRun:
    """Undo a finished run through its kind's undo; a second undo is a no-op."""
    run = MigrationRun.objects.get(pk=run.pk)
    if run.status == MigrationRun.Status.UNDONE:
        return run
    if run.dry_run:
        raise MigrationError("A dry run changed nothing, so there is nothing to undo.")
    if not run.is_finished:
        raise MigrationConflict("The run is still in progress; undo it once it has finished.")
    result = migration_kind_get(run.kind).undo(run)
    # Compare-and-set: only one concurrent undo marks the run.
    MigrationRun.objects.filter(pk=run.pk).exclude(status=MigrationRun.Status.UNDONE).update(
        status=MigrationRun.Status.UNDONE,
        counts={**run.counts, "undone": result.restored, "undo_notes": result.notes},
    )
    run.refresh_from_db()
    return run
