"""Attach scratch sessions to a named workstream, moving their files (arawn ARAWN-T-0200).

Files of `workstreams/scratch/sessions/<id>/work/` move into `workstreams/<ws>/work/<id>/`.

How a crash loses nothing (DESIGN.md "Migrations — common contract", legacy-formats §8 #4):

1. Plan (read only): every top-level entry of the scratch work dir, counted recursively with
   lstat; a name already present at the destination refuses the session (nothing moves).
2. Claim + journal, in one transaction per batch: a compare-and-set UPDATE moves the session
   rows to the target (only rows still in the workstream the plan saw), and one MigrationItem
   per session and per entry records source and destination. Committed *before* any move.
3. Move each entry (file_moves.entry_move: rename, or copy + verify + rename + trash across
   filesystems). Each step is re-entrant, so the journal plus the disk say how to finish.
4. Remove the emptied scratch session dir.

After kill -9 anywhere, a re-run (or `attach_workstream_recover`, or an undo) finds the claimed
items and finishes the moves; an undo moves the journaled entries back and restores the
previous workstream. A per-session lock file (flock, released by the kernel when the process
dies) keeps two live processes off the same session's files; a per-run lock file tells a
crashed run from a live one.
"""

import fcntl
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.file_moves import (
    MoveClash,
    MoveEnds,
    MoveError,
    entry_kind,
    entry_move,
    is_real_dir,
    side_cleanup,
    tree_count,
)
from migration_app.services.journal import (
    ItemRecord,
    MigrationConflict,
    MigrationError,
    UndoResult,
    migration_items_record,
    migration_run_finish,
    migration_run_progress,
    migration_run_start,
    migration_undo,
    undo_handler,
)
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.names import is_valid_name, validate_name

KIND = MigrationRun.Kind.ATTACH_WORKSTREAM
Outcome = MigrationItem.Outcome
ALLOWED_PATHS = ["production/", "work/"]
SIDE_DIR = ".sessionhub-attach"  # staging/trash next to each end; never a valid session id
BATCH_SIZE = 200
MAX_NOTES = 50

# Why an item failed, kept in item.after["error"] so callers can map it (API: 400/404/409).
ERR_INVALID, ERR_NOT_FOUND, ERR_CLASH, ERR_CONFLICT, ERR_REFUSED, ERR_MOVE = (
    "invalid", "not_found", "clash", "conflict", "refused", "move_failed",
)  # fmt: skip


# --- paths ---------------------------------------------------------------------------------


def _rel(path: Path) -> str:
    return os.path.relpath(path, settings.SESSIONHUB_DATA_DIR)


@dataclass(frozen=True)
class _Paths:
    """Every directory one session's attach touches (names validated once, here)."""

    scratch_dir: Path  # workstreams/scratch/sessions/<id>
    scratch_work: Path  # .../<id>/work
    scratch_side: Path  # .../<id>/.sessionhub-attach (staging/trash, same filesystem)
    dest: Path  # workstreams/<ws>/work/<id>
    ws_side: Path  # workstreams/<ws>/work/.sessionhub-attach/<id>

    def forward(self, name: str) -> MoveEnds:
        return MoveEnds(self.scratch_work / name, self.dest / name, self.scratch_side, self.ws_side)

    def backward(self, name: str) -> MoveEnds:
        return MoveEnds(self.dest / name, self.scratch_work / name, self.ws_side, self.scratch_side)


def _paths(session_id: str, workstream_id: str) -> _Paths:
    scratch_dir = files.scratch_session_dir(session_id)
    dest = files.attached_session_work_dir(workstream_id, session_id)
    return _Paths(
        scratch_dir=scratch_dir,
        scratch_work=scratch_dir / "work",
        scratch_side=scratch_dir / SIDE_DIR,
        dest=dest,
        ws_side=dest.parent / SIDE_DIR / session_id,
    )


def _name_record(name: str) -> dict:
    """A directory entry name as JSON: text when it is UTF-8, else its bytes in hex."""
    try:
        name.encode("utf-8")
        return {"name": name}
    except UnicodeEncodeError:
        return {"name_hex": os.fsencode(name).hex()}


def _name_from(record: dict) -> str:
    """Back from the journal; refuses anything that is not one plain path component."""
    name = record["name"] if "name" in record else os.fsdecode(bytes.fromhex(record["name_hex"]))
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise MigrationError(f"journal entry name {name!r} is not a single path component")
    return name


def _display(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


# --- locks ---------------------------------------------------------------------------------


def _lock_dir() -> Path:
    path = Path(settings.SESSIONHUB_DATA_DIR) / "locks" / "attach"
    path.mkdir(parents=True, exist_ok=True)
    return path


LockHandle = tuple[int, Path]


def _try_lock(name: str) -> LockHandle | None:
    """flock a lock file without waiting; None when another open file holds it.

    flock belongs to the open file, so two threads of one process exclude each other too,
    and the kernel drops the lock when the holder dies (kill -9 included). The holder
    unlinks the file before letting go, so a waiter that opened the old file re-checks
    that the name still points at the inode it locked, and retries otherwise.
    """
    path = _lock_dir() / name
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd, path
        os.close(fd)


def _unlock(handle: LockHandle | None) -> None:
    if handle is not None:
        fd, path = handle
        with suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)  # closing the last descriptor releases the flock


@contextmanager
def _run_lock(run: MigrationRun) -> Iterator[None]:
    handle = _try_lock(f"run-{run.pk}.lock")
    if handle is None:
        raise MigrationConflict(f"Run {run.pk} is still in progress in another process.")
    try:
        yield
    finally:
        _unlock(handle)


# --- plan ----------------------------------------------------------------------------------


@dataclass
class EntryPlan:
    name: str
    kind: str
    files: int
    bytes: int
    symlinks: int


@dataclass
class SessionPlan:
    session_id: str
    from_workstream: str = ""
    to_workstream: str = ""
    action: str = "attach"  # attach | reassign | skip | refuse
    entries: list[EntryPlan] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)
    dest_exists: bool = False
    reason: str = ""
    error: str = ""

    @property
    def files(self) -> int:
        return sum(e.files for e in self.entries)

    @property
    def bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    @property
    def symlinks(self) -> int:
        return sum(e.symlinks for e in self.entries)

    @property
    def top_level(self) -> int:
        return len(self.entries)

    def refuse(self, error: str, reason: str) -> "SessionPlan":
        self.action, self.error, self.reason = "refuse", error, reason
        return self


def session_attach_plan(
    *, session_id: str, from_workstream: str, to_workstream: str
) -> SessionPlan:
    """What attaching would do to one session's files; reads the disk, writes nothing."""
    plan = SessionPlan(session_id, from_workstream, to_workstream)
    if not is_valid_name(session_id):
        return plan.refuse(ERR_INVALID, f"Invalid session id {session_id!r}: no path is built.")
    if from_workstream == to_workstream:
        plan.action, plan.reason = "skip", f"already in workstream {to_workstream}"
        return plan
    if from_workstream != SCRATCH_WORKSTREAM_ID or to_workstream == SCRATCH_WORKSTREAM_ID:
        plan.action = "reassign"  # only scratch -> named moves files
        plan.reason = f"reassigned from {from_workstream}; no files move"
        return plan
    session_dir = files.scratch_session_dir(session_id)
    work = files.scratch_session_work_dir(session_id)
    for path in (session_dir, work):
        if os.path.lexists(path) and not is_real_dir(path):
            return plan.refuse(ERR_REFUSED, f"{_rel(path)} is not a directory (a symlink?)")
    try:
        for name in sorted(os.listdir(work)) if is_real_dir(work) else []:
            count = tree_count(work / name)
            kind = entry_kind(os.lstat(work / name).st_mode)
            plan.entries.append(EntryPlan(name, kind, count.files, count.bytes, count.symlinks))
    except FileNotFoundError as exc:
        # Something moved the files while we read them (e.g. a dry run next to a real one).
        return plan.refuse(ERR_CONFLICT, f"Files changed while planning ({exc}); try again.")
    for path in (files.workstream_dir(to_workstream), files.workstream_work_dir(to_workstream)):
        if os.path.lexists(path) and not is_real_dir(path):
            return plan.refuse(ERR_REFUSED, f"{_rel(path)} is not a directory (a symlink?)")
    dest = files.attached_session_work_dir(to_workstream, session_id)
    if os.path.lexists(dest):
        if not is_real_dir(dest):
            plan.clashes = [_rel(dest)]
        else:
            plan.dest_exists = True
            taken = set(os.listdir(dest))
            plan.clashes = [_rel(dest / e.name) for e in plan.entries if e.name in taken]
    if plan.clashes:
        names = ", ".join(_display(c) for c in plan.clashes[:20])
        more = f" and {len(plan.clashes) - 20} more" if len(plan.clashes) > 20 else ""
        return plan.refuse(
            ERR_CLASH,
            f"Name clash, nothing moved: {names}{more} already exist(s) at the destination.",
        )
    plan.reason = f"{plan.files} files ({plan.top_level} top-level entries, {plan.bytes} bytes)"
    return plan


# --- journal records -----------------------------------------------------------------------


def _session_records(plan: SessionPlan, outcome: str) -> list[ItemRecord]:
    if plan.action == "refuse" or outcome == Outcome.FAILED:
        return [
            ItemRecord(
                "session",
                plan.session_id,
                Outcome.FAILED,
                plan.reason,
                before={"workstream": plan.from_workstream} if plan.from_workstream else None,
                after={"error": plan.error, "clashes": plan.clashes[:100]},
            )
        ]
    if plan.action == "skip":
        return [ItemRecord("session", plan.session_id, Outcome.SKIPPED, plan.reason)]
    moves_files = plan.action == "attach"
    dest = files.attached_session_work_dir(plan.to_workstream, plan.session_id)
    records = [
        ItemRecord(
            "session",
            plan.session_id,
            outcome,
            plan.reason,
            before={"workstream": plan.from_workstream},
            after={
                "workstream": plan.to_workstream,
                "state": "claimed",
                "moves_files": moves_files,
                "files": plan.files,
                "top_level": plan.top_level,
                "bytes": plan.bytes,
                "symlinks": plan.symlinks,
                "dest_created": moves_files and not plan.dest_exists and bool(plan.entries),
                "new_work_path": _rel(dest),
            },
        )
    ]
    if not moves_files:
        return records
    # Relative paths built once per session (relpath per entry costs more than the move).
    paths = _paths(plan.session_id, plan.to_workstream)
    src_dir, dst_dir = _rel(paths.scratch_work), _rel(paths.dest)
    for entry in plan.entries:
        name = _display(entry.name)
        records.append(
            ItemRecord(
                "entry",
                f"{plan.session_id}/{name}"[:2048],
                outcome,
                "",
                before={"session": plan.session_id, "path": f"{src_dir}/{name}"},
                after={
                    "session": plan.session_id,
                    "path": f"{dst_dir}/{name}",
                    "kind": entry.kind,
                    "files": entry.files,
                    "bytes": entry.bytes,
                    **_name_record(entry.name),
                },
            )
        )
    return records


# --- moving one session's files -------------------------------------------------------------


def _scratch_remove(paths: _Paths) -> str:
    """Remove the emptied scratch session dir; returns a note when something is left."""
    side_cleanup(paths.scratch_side)
    for path in (paths.scratch_work, paths.scratch_dir):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            continue
        except OSError:
            left = ", ".join(_display(n) for n in sorted(os.listdir(path))[:10])
            return f"{_rel(path)} kept: it is not empty ({left}); these were not in the plan"
    return ""


def _workstream_side_remove(paths: _Paths) -> None:
    side_cleanup(paths.ws_side)
    # Shared by the sessions of the workstream: it stays while another one uses it.
    with suppress(OSError):
        paths.ws_side.parent.rmdir()


def _forward(session_id: str, workstream_id: str, names: list[str]) -> str:
    """Move every journaled entry into place (re-entrant), then tidy up; returns a note."""
    paths = _paths(session_id, workstream_id)
    if names:
        paths.dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        entry_move(paths.forward(name))
    _workstream_side_remove(paths)
    return _scratch_remove(paths)


def _backward(session_id: str, workstream_id: str, names: list[str], dest_created: bool) -> None:
    """Move journaled entries back to the scratch work dir (re-entrant)."""
    paths = _paths(session_id, workstream_id)
    if names:
        paths.scratch_work.mkdir(parents=True, exist_ok=True)
    for name in names:
        entry_move(paths.backward(name))
    side_cleanup(paths.scratch_side)
    _workstream_side_remove(paths)
    if dest_created and is_real_dir(paths.dest) and not os.listdir(paths.dest):
        paths.dest.rmdir()


def _session_incomplete(session_id: str, workstream_id: str) -> bool:
    paths = _paths(session_id, workstream_id)
    return os.path.lexists(paths.scratch_dir) or os.path.lexists(paths.ws_side)


# --- the run -------------------------------------------------------------------------------


@dataclass
class _Tally:
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text and len(self.notes) < MAX_NOTES:
            self.notes.append(_display(text))


def workstream_for_attach(*, workstream_id: str) -> Workstream:
    """The target, refused in the arawn order: invalid name, missing, then archived."""
    validate_name(workstream_id)
    workstream = Workstream.objects.get(id=workstream_id)  # DoesNotExist -> 404 / CommandError
    if workstream.state == Workstream.State.ARCHIVED:
        raise MigrationError(f"Workstream {workstream_id} is archived; nothing can be attached.")
    return workstream


def _batches(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for session_id in ids:
        batch.append(session_id)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _scratch_ids(workstream: Workstream, size: int) -> Iterator[str]:
    """Every scratch session of the target's workspace, by keyset (the set shrinks as we go)."""
    last = ""
    while True:
        ids = list(
            Session.objects.filter(
                workstream_id=SCRATCH_WORKSTREAM_ID,
                workspace_id=workstream.workspace_id,
                id__gt=last,
            )
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return
        yield from ids
        last = ids[-1]


def _claimed_items(session_ids: list[str]) -> dict[str, MigrationItem]:
    """The latest journal claim of each session that is not undone (one query)."""
    latest: dict[str, MigrationItem] = {}
    items = (
        MigrationItem.objects.filter(
            run__kind=KIND,
            run__dry_run=False,
            subject_type="session",
            subject_id__in=session_ids,
            after__state="claimed",
        )
        .exclude(outcome=Outcome.UNDONE)
        .select_related("run")
        .order_by("id")
    )
    for item in items:
        latest[item.subject_id] = item
    return latest


def _entry_names(run_ids: Iterable, session_ids: list[str]) -> dict[tuple, list[str]]:
    """Journaled entry names per (run id, session id) (one query)."""
    names: dict[tuple, list[str]] = defaultdict(list)
    items = MigrationItem.objects.filter(
        run_id__in=list(run_ids), subject_type="entry", after__session__in=session_ids
    ).order_by("id")
    for run_id, after in items.values_list("run_id", "after"):
        names[(run_id, after["session"])].append(_name_from(after))
    return names


def sessions_attach_to_workstream(
    *,
    workstream_id: str,
    session_ids: Iterable[str] = (),
    all_scratch: bool = False,
    expected: dict[str, str] | None = None,
    dry_run: bool = False,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
    batch_size: int = BATCH_SIZE,
    run_id: str | None = None,
) -> MigrationRun:
    """Attach many sessions to one workstream; one MigrationRun, one item per session/entry.

    `expected` maps a session id to the workstream the caller saw; a session found elsewhere
    is a conflict (compare-and-set). Without it, the workstream read in the batch is used.
    `run_id` is a run made by `attach_run_queue` (the background path of the admin).
    """
    workstream = workstream_for_attach(workstream_id=workstream_id)
    session_ids = list(dict.fromkeys(session_ids))
    if run_id is not None:
        run = MigrationRun.objects.get(pk=run_id, kind=KIND)
        if run.is_finished:
            return run  # the task ran already (a retried delivery)
    else:
        run = attach_run_queue(
            workstream_id=workstream.id,
            session_ids=session_ids,
            all_scratch=all_scratch,
            dry_run=dry_run,
            actor=actor,
            origin=origin,
        )
    tally = _Tally()
    try:
        context = _run_lock(run) if not dry_run else _null_context()
        with context:
            if not dry_run:
                _recover_dead_runs(exclude=run)
            ids = _scratch_ids(workstream, batch_size) if all_scratch else iter(session_ids)
            for batch in _batches(ids, batch_size):
                _attach_batch(run, workstream, batch, expected or {}, dry_run, tally)
                migration_run_progress(run=run, advance=len(batch))
    except Exception as exc:
        migration_run_finish(run=run, extra_counts=_run_stats(run, tally), error=repr(exc))
        raise
    return migration_run_finish(run=run, extra_counts=_run_stats(run, tally))


def _recover_dead_runs(*, exclude: MigrationRun) -> None:
    """Finish every earlier run that claimed sessions and whose process died.

    A run whose lock is held is alive: it finishes itself (the conflict is expected here).
    Runs without claims (queued, or killed before claiming) have nothing to finish.
    """
    stale = (
        MigrationRun.objects.filter(
            kind=KIND, dry_run=False, finished_at__isnull=True, items__after__state="claimed"
        )
        .exclude(pk=exclude.pk)
        .distinct()
    )
    for run in stale:
        with suppress(MigrationConflict):
            attach_workstream_recover(run=run)


def attach_run_queue(
    *,
    workstream_id: str,
    session_ids: list[str],
    all_scratch: bool = False,
    dry_run: bool = False,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
) -> MigrationRun:
    """Record the run before the work starts (so a queued run has a page to watch)."""
    workstream = workstream_for_attach(workstream_id=workstream_id)
    total = (
        Session.objects.filter(
            workstream_id=SCRATCH_WORKSTREAM_ID, workspace_id=workstream.workspace_id
        ).count()
        if all_scratch
        else len(session_ids)
    )
    return migration_run_start(
        kind=KIND,
        params={
            "workstream": workstream.id,
            "sessions": list(session_ids[:1000]),
            "session_count": total,
            "all_scratch": all_scratch,
        },
        actor=actor,
        origin=origin,
        dry_run=dry_run,
        progress_total=total,
    )


def attach_plan_preview(*, workstream_id: str, session_ids: list[str], limit: int = 200) -> dict:
    """What an attach would do, per session (first `limit` rows) and in total; writes nothing."""
    workstream = workstream_for_attach(workstream_id=workstream_id)
    rows, totals = [], defaultdict(int)
    for batch in _batches(session_ids, BATCH_SIZE):
        current = dict(Session.objects.filter(id__in=batch).values_list("id", "workstream_id"))
        for session_id in batch:
            if session_id not in current:
                plan = SessionPlan(session_id).refuse(ERR_NOT_FOUND, "No such session.")
            else:
                plan = session_attach_plan(
                    session_id=session_id,
                    from_workstream=current[session_id],
                    to_workstream=workstream.id,
                )
            totals[plan.action] += 1
            totals["clashes"] += len(plan.clashes)
            if plan.action == "attach":  # what will move
                totals["files"] += plan.files
                totals["top_level_entries"] += plan.top_level
                totals["bytes"] += plan.bytes
            if len(rows) < limit:
                rows.append(plan)
    return {"workstream": workstream, "rows": rows, "totals": dict(totals)}


@contextmanager
def _null_context() -> Iterator[None]:
    yield


def _attach_batch(
    run: MigrationRun,
    workstream: Workstream,
    batch: list[str],
    expected: dict[str, str],
    dry_run: bool,
    tally: _Tally,
) -> None:
    valid = [s for s in batch if is_valid_name(s)]
    rows = {
        row["id"]: row
        for row in Session.objects.filter(id__in=valid).values(
            "id", "workstream_id", "workspace_id"
        )
    }
    plans: list[SessionPlan] = []
    locks: dict[str, LockHandle] = {}
    try:
        for session_id in batch:
            plans.append(_plan_locked(session_id, rows.get(session_id), workstream, expected,
                                      dry_run, locks))  # fmt: skip
        if not dry_run:
            _finish_interrupted(run, [p for p in plans if p.action == "skip"], tally)
        claimed = _claim(run, workstream, plans, dry_run)
        for plan in claimed if not dry_run else []:
            if plan.action == "attach":
                _move_or_compensate(run, plan, tally)
    finally:
        for handle in locks.values():
            _unlock(handle)


def _plan_locked(
    session_id: str,
    row: dict | None,
    workstream: Workstream,
    expected: dict[str, str],
    dry_run: bool,
    locks: dict[str, LockHandle],
) -> SessionPlan:
    """Refusals first; then, for a session that would move, its lock *before* reading its
    files (so nobody moves them under the plan); then the plan."""
    if not is_valid_name(session_id):
        return SessionPlan(session_id).refuse(
            ERR_INVALID, f"Invalid session id {session_id!r}: no path is built."
        )
    if row is None:
        return SessionPlan(session_id).refuse(ERR_NOT_FOUND, "No such session.")
    if row["workspace_id"] != workstream.workspace_id and workstream.id != SCRATCH_WORKSTREAM_ID:
        return SessionPlan(session_id, row["workstream_id"]).refuse(
            ERR_NOT_FOUND, f"Workstream {workstream.id} belongs to another workspace."
        )
    if session_id in expected and expected[session_id] != row["workstream_id"]:
        return SessionPlan(session_id, expected[session_id]).refuse(
            ERR_CONFLICT,
            f"Session moved to {row['workstream_id']} meanwhile (another attach won).",
        )
    from_workstream = expected.get(session_id, row["workstream_id"])
    if not dry_run and from_workstream != workstream.id:
        handle = _try_lock(f"session-{session_id}.lock")
        if handle is None:
            return SessionPlan(session_id, from_workstream).refuse(
                ERR_CONFLICT, "Another attach of this session is in progress."
            )
        locks[session_id] = handle
    return session_attach_plan(
        session_id=session_id, from_workstream=from_workstream, to_workstream=workstream.id
    )


def _claim(
    run: MigrationRun, workstream: Workstream, plans: list[SessionPlan], dry_run: bool
) -> list[SessionPlan]:
    """One transaction: compare-and-set the session rows, journal every item. Returns winners."""
    movers = [p for p in plans if p.action in ("attach", "reassign")]
    records: list[ItemRecord] = []
    # durable: the claim must be committed before a file moves, so no caller may wrap it.
    with transaction.atomic(durable=True):
        if movers and not dry_run:
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
            winners = [p.session_id for p in movers if p.action != "refuse"]
            if winners:
                Session.objects.filter(id__in=winners).update(
                    workstream_id=workstream.id, updated_at=timezone.now()
                )
        for plan in plans:
            records.extend(_session_records(plan, Outcome.MIGRATED))
        migration_items_record(run=run, items=records)
    return [p for p in movers if p.action != "refuse"]


def _move_or_compensate(run: MigrationRun, plan: SessionPlan, tally: _Tally) -> None:
    """Move the files; on an error move back what moved and give the row back to scratch."""
    names = [e.name for e in plan.entries]
    try:
        tally.note(_forward(plan.session_id, plan.to_workstream, names))
        return
    except (MoveError, OSError) as exc:
        failure = _display(
            f"{'Name clash' if isinstance(exc, MoveClash) else 'Move failed'}: {exc}"
        )
        error = ERR_CLASH if isinstance(exc, MoveClash) else ERR_MOVE
    try:
        _backward(plan.session_id, plan.to_workstream, list(reversed(names)), False)
    except (MoveError, OSError) as back_exc:
        # Both directions failed: the claim stays, so a re-run or an undo finishes the job.
        MigrationItem.objects.filter(
            run=run, subject_type="session", subject_id=plan.session_id
        ).update(
            outcome=Outcome.FAILED,
            reason=f"{failure}. Moving back also failed ({_display(str(back_exc))}); files are "
            "split between "
            f"the scratch dir and {plan.to_workstream}: re-run the attach or undo the run.",
        )
        return
    with transaction.atomic():
        Session.objects.filter(id=plan.session_id, workstream_id=plan.to_workstream).update(
            workstream_id=plan.from_workstream, updated_at=timezone.now()
        )
        items = MigrationItem.objects.filter(run=run)
        items.filter(subject_type="session", subject_id=plan.session_id).update(
            outcome=Outcome.FAILED,
            reason=f"{failure}. Everything was moved back; the session stays in scratch.",
            after={"error": error, "state": "released"},
        )
        items.filter(subject_type="entry", after__session=plan.session_id).update(
            outcome=Outcome.FAILED, reason="moved back after the session failed"
        )


def _finish_interrupted(run: MigrationRun, skips: list[SessionPlan], tally: _Tally) -> None:
    """Sessions already in the target whose files an interrupted run did not finish moving."""
    if not skips:
        return
    claims = _claimed_items([p.session_id for p in skips])
    for run_id in {
        c.run_id for c in claims.values() if not c.run.is_finished and c.run_id != run.pk
    }:
        try:
            attach_workstream_recover(run=MigrationRun.objects.get(pk=run_id))
        except MigrationConflict as exc:
            for plan in skips:
                if plan.session_id in claims and claims[plan.session_id].run_id == run_id:
                    plan.refuse(ERR_CONFLICT, str(exc))
    pending = [
        (plan, claims[plan.session_id])
        for plan in skips
        if plan.action == "skip"
        and plan.session_id in claims
        and _session_incomplete(plan.session_id, plan.to_workstream)
    ]
    if not pending:
        return
    names = _entry_names({c.run_id for _, c in pending}, [p.session_id for p, _ in pending])
    for plan, claim in pending:
        fd = _try_lock(f"session-{plan.session_id}.lock")
        if fd is None:
            plan.refuse(ERR_CONFLICT, "Another process is moving this session's files.")
            continue
        try:
            tally.note(
                _forward(
                    plan.session_id, plan.to_workstream, names[(claim.run_id, plan.session_id)]
                )
            )
            plan.reason += f"; finished the interrupted file move of run {claim.run_id}"
        except (MoveError, OSError) as exc:
            plan.refuse(
                ERR_MOVE,
                _display(f"Finishing the interrupted move of run {claim.run_id} failed: {exc}"),
            )
        finally:
            _unlock(fd)


def _run_stats(run: MigrationRun, tally: _Tally) -> dict:
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
            stats["files"] += after["files"]
            stats["top_level_entries"] += after["top_level"]
            stats["bytes"] += after["bytes"]
            stats["symlinks"] += after["symlinks"]
        else:
            stats["sessions_reassigned"] += 1
    if tally.notes:
        stats["notes"] = tally.notes
    return stats


# --- one session (API) ---------------------------------------------------------------------


@dataclass
class AttachResult:
    run: MigrationRun
    files_migrated: int  # regular files, recursively
    top_level_entries: int  # arawn's files_migrated (a directory counts as 1)
    bytes: int
    new_work_path: str
    allowed_paths: list[str]
    moved_files: bool


def session_attach_to_workstream(
    *,
    session: Session,
    workstream: Workstream,
    dry_run: bool = False,
    actor: str = "",
    origin: str = MigrationRun.Origin.CLI,
) -> AttachResult:
    """Attach one session (as the caller saw it) to a workstream; raises instead of a failed item.

    Invalid names -> ValidationError; archived target -> MigrationError; clash or a
    concurrent attach -> MigrationConflict. The run is recorded either way.
    """
    validate_name(session.pk)
    workstream = workstream_for_attach(workstream_id=workstream.pk)
    run = sessions_attach_to_workstream(
        workstream_id=workstream.pk,
        session_ids=[session.pk],
        expected={session.pk: session.workstream_id},
        dry_run=dry_run,
        actor=actor,
        origin=origin,
    )
    item = run.items.get(subject_type="session", subject_id=session.pk)
    if item.outcome == Outcome.FAILED:
        error = (item.after or {}).get("error")
        if error in (ERR_CLASH, ERR_CONFLICT):
            raise MigrationConflict(item.reason)
        if error == ERR_NOT_FOUND:
            raise Session.DoesNotExist(item.reason)
        raise MigrationError(item.reason)
    after = item.after or {}
    return AttachResult(
        run=run,
        files_migrated=after.get("files", 0),
        top_level_entries=after.get("top_level", 0),
        bytes=after.get("bytes", 0),
        new_work_path=after.get("new_work_path")
        or _rel(files.attached_session_work_dir(workstream.pk, session.pk)),
        allowed_paths=list(ALLOWED_PATHS),
        moved_files=bool(after.get("moves_files")),
    )


# --- recovery and undo ---------------------------------------------------------------------


def _claimed_batches(run: MigrationRun):
    """The run's claimed, not yet undone session items, in batches, with each session's
    current workstream and the journaled entry names."""
    last = 0
    while True:
        items = list(
            run.items.filter(subject_type="session", after__state="claimed", id__gt=last)
            .exclude(outcome=Outcome.UNDONE)
            .order_by("id")[:BATCH_SIZE]
        )
        if not items:
            return
        last = items[-1].id
        ids = [i.subject_id for i in items]
        current = dict(Session.objects.filter(id__in=ids).values_list("id", "workstream_id"))
        yield items, current, _entry_names([run.pk], ids)


def attach_workstream_recover(*, run: MigrationRun) -> MigrationRun:
    """Finish a run whose process died: move every claimed session's files into place.

    Refused (MigrationConflict) while the run's process is alive (its lock is held).
    """
    with _run_lock(run):
        run = MigrationRun.objects.get(pk=run.pk)
        if run.is_finished or run.dry_run:
            return run
        tally = _Tally()
        for items, current, names in _claimed_batches(run):
            for item in items:
                if not item.after.get("moves_files"):
                    continue
                target = item.after["workstream"]
                if current.get(item.subject_id) != target:
                    tally.note(
                        f"{item.subject_id} is no longer in {target}; files left as they are"
                    )
                    continue
                fd = _try_lock(f"session-{item.subject_id}.lock")
                if fd is None:
                    raise MigrationConflict(
                        f"Session {item.subject_id} is locked by another process."
                    )
                try:
                    tally.note(_forward(item.subject_id, target, names[(run.pk, item.subject_id)]))
                except (MoveError, OSError) as exc:
                    MigrationItem.objects.filter(pk=item.pk).update(
                        outcome=Outcome.FAILED,
                        reason=_display(f"Recovery could not finish the move: {exc}"),
                    )
                finally:
                    _unlock(fd)
        tally.note("recovered after the run's process stopped")
        return migration_run_finish(run=run, extra_counts=_run_stats(run, tally))


def attach_workstream_undo(*, run: MigrationRun) -> MigrationRun:
    """Undo an attach run; a run whose process died is first finished, then undone."""
    run = MigrationRun.objects.get(pk=run.pk)
    if run.kind != KIND:
        raise MigrationError(f"Run {run.pk} is not an attach_workstream run.")
    if not run.is_finished and not run.dry_run:
        attach_workstream_recover(run=run)
    return migration_undo(run=run)


@undo_handler(KIND)
def _undo(run: MigrationRun) -> UndoResult:
    """Move every journaled entry back and give each session its previous workstream."""
    result = UndoResult()
    failures: list[str] = []
    for items, current, names in _claimed_batches(run):
        ready: list[MigrationItem] = []
        locks = []
        try:
            for item in items:
                target = item.after["workstream"]
                if current.get(item.subject_id) != target:
                    result.notes.append(
                        f"{item.subject_id} moved on to {current.get(item.subject_id)}; left there"
                    )
                    continue
                fd = _try_lock(f"session-{item.subject_id}.lock")
                if fd is None:
                    failures.append(f"{item.subject_id}: locked by another process")
                    continue
                locks.append(fd)
                if item.after.get("moves_files"):
                    try:
                        _backward(
                            item.subject_id,
                            target,
                            names[(run.pk, item.subject_id)],
                            item.after.get("dest_created", False),
                        )
                    except (MoveError, OSError) as exc:
                        failures.append(_display(f"{item.subject_id}: {exc}"))
                        continue
                ready.append(item)
            _undo_commit(run, ready)
        finally:
            for fd in locks:
                _unlock(fd)
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


# --- PATCH /api/v1/sessions/{id} -----------------------------------------------------------


@dataclass
class SessionPatchResult:
    session: Session
    attach: AttachResult | None  # None when the workstream did not change


def session_patch(
    *,
    session: Session,
    workstream: Workstream | None = None,
    title: str | None = None,
    task_id: str | None = None,
    metadata: dict | None = None,
    actor: str = "",
    origin: str = MigrationRun.Origin.API,
) -> SessionPatchResult:
    """Update a session's fields and, when asked, its workstream (scratch -> named moves files).

    The fields are validated before anything moves; metadata is merged key by key.
    """
    changes = {
        name: value for name, value in (("title", title), ("task_id", task_id)) if value is not None
    }
    candidate = Session(**{**_field_values(session), **changes})
    candidate.clean_fields(exclude=[f.name for f in Session._meta.fields if f.name not in changes])
    if metadata is not None and not isinstance(metadata, dict):
        raise MigrationError("metadata must be an object; it is merged into the session's.")
    attached = None
    if workstream is not None and workstream.pk != session.workstream_id:
        attached = session_attach_to_workstream(
            session=session, workstream=workstream, actor=actor, origin=origin
        )
    if changes or metadata:
        with transaction.atomic():
            fresh = Session.objects.select_for_update().get(pk=session.pk)
            for name, value in changes.items():
                setattr(fresh, name, value)
            if metadata:
                fresh.metadata = {**(fresh.metadata or {}), **metadata}
            fresh.updated_at = timezone.now()
            fresh.save(update_fields=[*changes, "metadata", "updated_at"])
    return SessionPatchResult(session=Session.objects.get(pk=session.pk), attach=attached)


def _field_values(session: Session) -> dict:
    return {f.attname: getattr(session, f.attname) for f in Session._meta.concrete_fields}
