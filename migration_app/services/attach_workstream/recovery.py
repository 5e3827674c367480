"""Finishing an attach whose process died, and undoing an attach, from the journal."""

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import keyset_pages
from migration_app.services.attach_workstream.plan import (
    ERR_CONFLICT,
    ERR_MOVE,
    SessionPlan,
    attach_paths,
    display,
    entries_move,
    name_from,
    session_locked,
)
from migration_app.services.file_moves import MoveError
from migration_app.services.journal import (
    MigrationConflict,
    MigrationError,
    UndoResult,
    migration_run_finish,
    migration_undo,
)
from migration_app.services.locks import file_locked
from sessions_app.models import Session

KIND = MigrationRun.Kind.ATTACH_WORKSTREAM
BATCH_SIZE = 200
MAX_NOTES = 50
Outcome = MigrationItem.Outcome


class Notes(list):
    """The notes of a run, capped."""

    def add(self, text: str) -> None:
        if text and len(self) < MAX_NOTES:
            self.append(display(text))


@contextmanager
def run_lock(run: MigrationRun) -> Iterator[None]:
    """Held by the process carrying out a run: a run whose lock is free has no live process."""
    with file_locked(f"attach-run-{run.pk}.lock") as locked:
        if not locked:
            raise MigrationConflict(f"Run {run.pk} is still in progress in another process.")
        yield


def entry_names(run_ids: Iterable, session_ids: list[str]) -> dict[tuple, list[str]]:
    """Journaled entry names per (run id, session id) (one query)."""
    names: dict[tuple, list[str]] = defaultdict(list)
    items = MigrationItem.objects.filter(
        run_id__in=list(run_ids), subject_type="entry", after__session__in=session_ids
    ).order_by("id")
    for run_id, after in items.values_list("run_id", "after"):
        names[(run_id, after["session"])].append(name_from(after))
    return names


def run_totals(run: MigrationRun, notes: Notes) -> dict:
    """Totals from the journal (so a recovered run reports the same as an uninterrupted one)."""
    stats = {
        "sessions_attached": 0, "sessions_reassigned": 0, "files": 0,
        "top_level_entries": 0, "bytes": 0, "symlinks": 0,
    }  # fmt: skip
    afters = run.items.filter(subject_type="session", outcome=Outcome.MIGRATED).values_list(
        "after", flat=True
    )
    for after in afters.iterator(chunk_size=2000):
        if after.get("moves_files"):
            stats["sessions_attached"] += 1
            for key in ("files", "bytes", "symlinks"):
                stats[key] += after[key]
            stats["top_level_entries"] += after["top_level"]
        else:
            stats["sessions_reassigned"] += 1
    if notes:
        stats["notes"] = list(notes)
    return stats


def _claims(items: QuerySet) -> QuerySet:
    """The session items that claimed their session and are not undone."""
    claimed = items.filter(subject_type="session", after__state="claimed")
    return claimed.exclude(outcome=Outcome.UNDONE)


def _claimed_batches(run: MigrationRun):
    """The run's claims in batches, with each session's current workstream and the
    journaled entry names."""
    for items in keyset_pages(_claims(run.items), size=BATCH_SIZE):
        ids = [i.subject_id for i in items]
        current = dict(Session.objects.filter(id__in=ids).values_list("id", "workstream_id"))
        yield items, current, entry_names([run.pk], ids)


def attach_workstream_recover(*, run: MigrationRun) -> MigrationRun:
    """Finish a run whose process died: move every claimed session's files into place.
    Refused (MigrationConflict) while the run's process is alive (its lock is held)."""
    with run_lock(run):
        run = MigrationRun.objects.get(pk=run.pk)
        if run.is_finished or run.dry_run:
            return run
        notes = Notes()
        for items, current, names in _claimed_batches(run):
            for item in items:
                target, session_id = item.after["workstream"], item.subject_id
                if not item.after.get("moves_files"):
                    continue
                if current.get(session_id) != target:
                    notes.add(f"{session_id} is no longer in {target}; files left as they are")
                    continue
                with session_locked(session_id) as locked:
                    if not locked:
                        raise MigrationConflict(
                            f"Session {session_id} is locked by another process."
                        )
                    try:
                        notes.add(entries_move(session_id, target, names[(run.pk, session_id)]))
                    except (MoveError, OSError) as exc:
                        MigrationItem.objects.filter(pk=item.pk).update(
                            outcome=Outcome.FAILED,
                            reason=display(f"Recovery could not finish the move: {exc}"),
                        )
        notes.add("recovered after the run's process stopped")
        return migration_run_finish(run=run, extra_counts=run_totals(run, notes))


def runs_recover(runs: QuerySet, *, exclude: MigrationRun) -> dict:
    """Finish every unfinished run among `runs` (but `exclude`) whose process died; returns
    the conflict of each one found alive (its lock is held: it finishes itself)."""
    alive = {}
    runs = runs.filter(dry_run=False, finished_at__isnull=True).exclude(pk=exclude.pk)
    for other in runs.distinct():  # `runs` may come from a join with the items
        try:
            attach_workstream_recover(run=other)
        except MigrationConflict as exc:
            alive[other.pk] = str(exc)
    return alive


def finish_interrupted(run: MigrationRun, skips: list[SessionPlan], notes: Notes) -> None:
    """Sessions already in the target whose files an interrupted run did not finish moving."""
    if not skips:
        return
    items = MigrationItem.objects.filter(run__kind=KIND, run__dry_run=False)
    items = _claims(items.filter(subject_id__in=[p.session_id for p in skips]))
    claims = {i.subject_id: i for i in items.order_by("id")}  # each session's latest claim
    alive = runs_recover(
        MigrationRun.objects.filter(pk__in={c.run_id for c in claims.values()}), exclude=run
    )
    pending = []
    for plan in skips:
        claim = claims.get(plan.session_id)
        if claim is not None and claim.run_id in alive:
            plan.refuse(ERR_CONFLICT, alive[claim.run_id])
        elif claim is not None:
            paths = attach_paths(plan.session_id, plan.to_workstream)
            # Files still on their way: scratch or staging left.
            if os.path.lexists(paths.scratch_dir) or os.path.lexists(paths.ws_side):
                pending.append((plan, claim))
    names = entry_names({c.run_id for _, c in pending}, [p.session_id for p, _ in pending])
    for plan, claim in pending:
        with session_locked(plan.session_id) as locked:
            if not locked:
                plan.refuse(ERR_CONFLICT, "Another process is moving this session's files.")
                continue
            try:
                entries = names[(claim.run_id, plan.session_id)]
                notes.add(entries_move(plan.session_id, plan.to_workstream, entries))
                plan.reason += f"; finished the interrupted file move of run {claim.run_id}"
            except (MoveError, OSError) as exc:
                plan.refuse(
                    ERR_MOVE,
                    display(f"Finishing the interrupted move of run {claim.run_id} failed: {exc}"),
                )


def attach_workstream_undo(*, run: MigrationRun) -> MigrationRun:
    """Undo an attach run; a run whose process died is first finished, then undone."""
    run = MigrationRun.objects.get(pk=run.pk)
    if run.kind != KIND:
        raise MigrationError(f"Run {run.pk} is not an attach_workstream run.")
    if not run.is_finished and not run.dry_run:
        attach_workstream_recover(run=run)
    return migration_undo(run=run)


def attach_undo(run: MigrationRun) -> UndoResult:
    """Move every journaled entry back and give each session its previous workstream."""
    result = UndoResult()
    failures: list[str] = []
    for items, current, names in _claimed_batches(run):
        with ExitStack() as locks:  # held until the rows are given back
            ready: list[MigrationItem] = []
            for item in items:
                target, session_id = item.after["workstream"], item.subject_id
                if current.get(session_id) != target:
                    result.notes.append(
                        f"{session_id} moved on to {current.get(session_id)}; left there"
                    )
                    continue
                if not locks.enter_context(session_locked(session_id)):
                    failures.append(f"{session_id}: locked by another process")
                    continue
                if item.after.get("moves_files"):
                    try:
                        entries = names[(run.pk, session_id)]
                        dest_created = item.after.get("dest_created", False)
                        entries_move(
                            session_id, target, entries, back=True, dest_created=dest_created
                        )
                    except (MoveError, OSError) as exc:
                        failures.append(display(f"{session_id}: {exc}"))
                        continue
                ready.append(item)
            _undo_commit(run, ready)
        result.restored += len(ready)
    if failures:
        # Not marked undone: a second undo retries what failed here.
        raise MigrationError("Undo incomplete: " + "; ".join(failures[:20]))
    return result


def _undo_commit(run: MigrationRun, ready: list[MigrationItem]) -> None:
    """Give the rows back (compare-and-set per previous workstream) and mark items undone."""
    if not ready:
        return
    by_target: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in ready:
        by_target[(item.after["workstream"], item.before["workstream"])].append(item.subject_id)
    ids = [i.subject_id for i in ready]
    with transaction.atomic():
        list(Session.objects.select_for_update().filter(id__in=ids).values_list("id"))
        for (now_in, back_to), session_ids in by_target.items():
            Session.objects.filter(id__in=session_ids, workstream_id=now_in).update(
                workstream_id=back_to, updated_at=timezone.now()
            )
        MigrationItem.objects.filter(pk__in=[i.pk for i in ready]).update(outcome=Outcome.UNDONE)
        MigrationItem.objects.filter(run=run, subject_type="entry", after__session__in=ids).update(
            outcome=Outcome.UNDONE
        )
