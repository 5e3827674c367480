"""Attach scratch sessions to a named workstream, moving their files (arawn ARAWN-T-0200).

Plan (read only), claim + journal (one committed transaction per batch), then move each
entry; after a kill -9 anywhere a re-run, a recovery or an undo finishes the moves from the
journal (recovery.py). docs/attach-workstream.md, "How a kill -9 loses nothing". A dry run
plans and journals the same items; it takes no lock, claims no row and moves nothing.
"""

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import keyset_pages
from migration_app.services.attach_workstream.plan import (
    ERR_CLASH,
    ERR_CONFLICT,
    ERR_MOVE,
    ERR_NOT_FOUND,
    ERR_OTHER_WORKSPACE,
    SessionPlan,
    attach_paths,
    batch_plan,
    display,
    entries_move,
    name_record,
    relative,
    selection_counts,
)
from migration_app.services.attach_workstream.recovery import (
    BATCH_SIZE,
    KIND,
    Notes,
    attach_undo,
    finish_interrupted,
    run_lock,
    run_totals,
    runs_recover,
)
from migration_app.services.file_moves import MoveClash, MoveError
from migration_app.services.journal import (
    DryRun,
    ItemRecord,
    MigrationConflict,
    MigrationError,
    MigrationKind,
    Planned,
    migration_items_record,
    migration_kind_register,
    migration_run_progress,
    migration_run_selection_batches,
)
from projects_app.selectors import not_found
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.names import validate_name

Outcome = MigrationItem.Outcome


def workstream_for_attach(*, workstream_id: str) -> Workstream:
    """The target, refused in the arawn order: invalid name, missing, then archived."""
    validate_name(workstream_id)
    workstream = Workstream.objects.get(id=workstream_id)  # DoesNotExist -> 404 / CommandError
    if workstream.state == Workstream.State.ARCHIVED:
        raise MigrationError(f"Workstream {workstream_id} is archived; nothing can be attached.")
    return workstream


def _scratch_sessions(workstream: Workstream):
    return Session.objects.filter(
        workstream_id=SCRATCH_WORKSTREAM_ID, workspace_id=workstream.workspace_id
    )


# --- plan ----------------------------------------------------------------------------------


def attach_plan(
    *,
    workstream_id: str,
    session_ids: Iterable[str] = (),
    all_scratch: bool = False,
    expected: dict[str, str] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Planned:
    """Attach sessions (or every scratch session of the workstream's workspace) to it.
    `expected` maps a session id to the workstream the caller saw (compare-and-set)."""
    workstream = workstream_for_attach(workstream_id=workstream_id)
    session_ids = list(dict.fromkeys(session_ids))
    return Planned(
        params={"workstream": workstream.id, "all_scratch": all_scratch,
                "expected": expected or {}, "batch_size": batch_size},
        total=_scratch_sessions(workstream).count() if all_scratch else len(session_ids),
        selection=None if all_scratch else session_ids,
    )  # fmt: skip


def attach_preview(*, workstream_id: str, sessions: QuerySet[Session], sample: int = 200) -> dict:
    """What an attach of `sessions` would do: counts over the whole selection, and the
    first `sample` sessions planned as the run plans them (files read, clashes found)."""
    workstream = workstream_for_attach(workstream_id=workstream_id)
    ids = list(sessions.order_by("id").values_list("id", flat=True)[:sample])
    rows = batch_plan(workstream, ids, expected={}, locks=None)
    moving = [row for row in rows if row.action == "attach"]
    in_sample = {
        "sessions": len(rows),
        "files": sum(row.files for row in moving),
        "top_level_entries": sum(row.top_level for row in moving),
        "bytes": sum(row.bytes for row in moving),
        "refused": sum(row.action == "refuse" for row in rows),
    }
    counts = selection_counts(workstream, sessions)
    # Every session planned: the counts are exactly what the run will do.
    counts["exact"] = len(rows) == counts["selected"]
    if counts["exact"]:
        counts.update(
            {a: sum(row.action == a for row in rows) for a in ("attach", "reassign", "skip")}
        )
        counts["refused"] = in_sample["refused"]
    else:
        counts["refused"] = counts["invalid"] + counts["other_workspace"]
    return {"workstream": workstream, "counts": counts, "rows": rows, "sample": in_sample}


# --- execute -------------------------------------------------------------------------------


def attach_execute(run: MigrationRun) -> dict:
    params = run.params
    workstream = workstream_for_attach(workstream_id=params["workstream"])
    size = params["batch_size"]
    notes = Notes()
    try:
        if not run.dry_run:
            # Earlier runs that claimed sessions and whose process died (a run whose lock
            # is held is alive and finishes itself; the journal holds this run's).
            runs_recover(
                MigrationRun.objects.filter(kind=KIND, items__after__state="claimed"),
                exclude=run,
            )
        if params["all_scratch"]:
            # By keyset: the set shrinks as its sessions are attached.
            scratch = _scratch_sessions(workstream).values_list("id", flat=True)
            batches = keyset_pages(scratch, size=size)
        else:
            batches = migration_run_selection_batches(run=run, size=size)
        for batch in batches:
            _attach_batch(run, workstream, batch, params["expected"], notes)
            migration_run_progress(run=run, advance=len(batch))
    finally:
        # Kept on the run also when it stops: the journal closes it with these counts.
        run.counts = run_totals(run, notes)
    return run.counts


def _attach_batch(
    run: MigrationRun, workstream: Workstream, batch: list[str], expected: dict, notes: Notes
) -> None:
    with ExitStack() as locks:
        plans = batch_plan(
            workstream, batch, expected=expected, locks=None if run.dry_run else locks
        )
        if run.dry_run:
            _journal(run, plans)
            return
        finish_interrupted(run, [p for p in plans if p.action == "skip"], notes)
        for plan in _claim(run, workstream, plans):
            if plan.action == "attach":
                _move_or_compensate(run, plan, notes)


def _claim(run: MigrationRun, workstream: Workstream, plans: list[SessionPlan]) -> list:
    """One transaction: compare-and-set the session rows, journal every item. Returns winners."""
    movers = [p for p in plans if p.action in ("attach", "reassign")]
    # durable: the claim must be committed before a file moves, so no caller may wrap it.
    with transaction.atomic(durable=True):
        current = dict(
            Session.objects.select_for_update()
            .filter(id__in=[p.session_id for p in movers])
            .values_list("id", "workstream_id")
        )
        for plan in movers:
            if current.get(plan.session_id) != plan.from_workstream:
                plan.refuse(
                    ERR_CONFLICT,
                    f"Session moved to {current.get(plan.session_id)} meanwhile "
                    "(a concurrent attach won); nothing moved.",
                )
        winners = [p for p in movers if p.action != "refuse"]
        Session.objects.filter(id__in=[p.session_id for p in winners]).update(
            workstream_id=workstream.id, updated_at=timezone.now()
        )
        _journal(run, plans)
    return winners


def _journal(run: MigrationRun, plans: list[SessionPlan]) -> None:
    migration_items_record(run=run, items=[r for p in plans for r in _session_records(p)])


def _session_records(plan: SessionPlan) -> list[ItemRecord]:
    if plan.action == "skip":
        return [ItemRecord("session", plan.session_id, Outcome.SKIPPED, plan.reason)]
    before = {"workstream": plan.from_workstream} if plan.from_workstream else None
    if plan.action == "refuse":
        after = {"error": plan.error, "clashes": plan.clashes[:100]}
        return [ItemRecord("session", plan.session_id, Outcome.FAILED, plan.reason, before, after)]
    moves_files = plan.action == "attach"
    paths = attach_paths(plan.session_id, plan.to_workstream)
    after = {
        "workstream": plan.to_workstream,
        "state": "claimed",
        "moves_files": moves_files,
        "files": plan.files,
        "top_level": plan.top_level,
        "bytes": plan.bytes,
        "symlinks": plan.symlinks,
        "dest_created": moves_files and not plan.dest_exists and bool(plan.entries),
        "new_work_path": relative(paths.dest),
    }
    records = [ItemRecord("session", plan.session_id, Outcome.MIGRATED, plan.reason, before, after)]
    # Entries only when files move (a reassign has none). Relative paths built once per
    # session (relpath per entry costs more than the move).
    src_dir, dst_dir = relative(paths.scratch_work), relative(paths.dest)
    for entry in plan.entries:
        name = display(entry.name)
        after = {
            "session": plan.session_id, "path": f"{dst_dir}/{name}", "kind": entry.kind,
            "files": entry.files, "bytes": entry.bytes, **name_record(entry.name),
        }  # fmt: skip
        before = {"session": plan.session_id, "path": f"{src_dir}/{name}"}
        subject = f"{plan.session_id}/{name}"[:2048]
        records.append(ItemRecord("entry", subject, Outcome.MIGRATED, "", before, after))
    return records


def _move_or_compensate(run: MigrationRun, plan: SessionPlan, notes: Notes) -> None:
    """Move the files; on an error move back what moved and give the row back to scratch."""
    names = [e.name for e in plan.entries]
    try:
        notes.add(entries_move(plan.session_id, plan.to_workstream, names))
        return
    except (MoveError, OSError) as exc:
        clash = isinstance(exc, MoveClash)
        failure = display(f"{'Name clash' if clash else 'Move failed'}: {exc}")
        error = ERR_CLASH if clash else ERR_MOVE
    items = MigrationItem.objects.filter(run=run)
    session_item = items.filter(subject_type="session", subject_id=plan.session_id)
    try:
        entries_move(plan.session_id, plan.to_workstream, names[::-1], back=True)
    except (MoveError, OSError) as back_exc:
        # Both directions failed: the claim stays, so a re-run or an undo finishes the job.
        session_item.update(
            outcome=Outcome.FAILED,
            reason=f"{failure}. Moving back also failed ({display(str(back_exc))}); files are "
            f"split between the scratch dir and {plan.to_workstream}: re-run the attach or "
            "undo the run.",
        )
        return
    with transaction.atomic():
        Session.objects.filter(id=plan.session_id, workstream_id=plan.to_workstream).update(
            workstream_id=plan.from_workstream, updated_at=timezone.now()
        )
        session_item.update(
            outcome=Outcome.FAILED,
            reason=f"{failure}. Everything was moved back; the session stays in scratch.",
            after={"error": error, "state": "released"},
        )
        items.filter(subject_type="entry", after__session=plan.session_id).update(
            outcome=Outcome.FAILED, reason="moved back after the session failed"
        )


# --- one session (PATCH /api/v1/sessions/{id}) ---------------------------------------------


@dataclass
class AttachResult:
    run: MigrationRun
    files_migrated: int  # regular files, recursively
    top_level_entries: int  # arawn's files_migrated (a directory counts as 1)
    bytes: int
    new_work_path: str
    allowed_paths: list[str]
    moved_files: bool


def attach_result(*, run: MigrationRun, session_id: str) -> AttachResult:
    """What a finished run did to one session; its refusal raised as the API answers it:
    clash, a concurrent attach or a workstream of another workspace -> MigrationConflict,
    missing -> Session.DoesNotExist, anything else -> MigrationError."""
    item = run.items.get(subject_type="session", subject_id=session_id)
    after = item.after or {}
    if item.outcome == Outcome.FAILED:
        if after.get("error") in (ERR_CLASH, ERR_CONFLICT, ERR_OTHER_WORKSPACE):
            raise MigrationConflict(item.reason)
        if after.get("error") == ERR_NOT_FOUND:
            raise not_found(Session, session_id)
        raise MigrationError(item.reason)
    workstream_id = run.params["workstream"]
    return AttachResult(
        run=run,
        files_migrated=after.get("files", 0),
        top_level_entries=after.get("top_level", 0),
        bytes=after.get("bytes", 0),
        new_work_path=after.get("new_work_path")
        or relative(files.attached_session_work_dir(workstream_id, session_id)),
        allowed_paths=[f"sessions/{session_id}/work/"]
        if workstream_id == SCRATCH_WORKSTREAM_ID
        else ["production/", "work/"],
        moved_files=bool(after.get("moves_files")),
    )


migration_kind_register(
    MigrationKind(
        KIND,
        plan=attach_plan,
        execute=attach_execute,
        undo=attach_undo,
        dry_run=DryRun.PLANNED_BY_KIND,
        run_lock=run_lock,
    )
)
