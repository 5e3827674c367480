"""One session's files: where an attach reads and writes them, what attaching would do
(the checks every attach makes, reading only), and moving its journaled entries.

`batch_plan` decides every session's fate for the real run, the dry run and the admin
preview; in a real run the session's lock is taken *before* its files are read. Every move
is re-entrant: after a kill -9 anywhere, calling it again with the same names finishes it.
"""

import os
from contextlib import AbstractContextManager, ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from migration_app.services.file_moves import (
    MoveEnds,
    entry_kind,
    entry_move,
    entry_remove,
    is_real_dir,
    tree_count,
)
from migration_app.services.journal import MigrationError
from migration_app.services.locks import file_locked
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.names import NAME_PATTERN, is_valid_name

SIDE_DIR = ".sessionhub-attach"  # staging/trash next to each end; never a valid session id


def relative(path: Path) -> str:
    """A path as the journal and the messages show it: relative to the data directory."""
    return os.path.relpath(path, settings.SESSIONHUB_DATA_DIR)


@dataclass(frozen=True)
class AttachPaths:
    """Every directory one session's attach touches (names validated once, here)."""

    scratch_dir: Path  # workstreams/scratch/sessions/<id>
    scratch_work: Path  # .../<id>/work
    scratch_side: Path  # .../<id>/.sessionhub-attach (staging/trash, same filesystem)
    dest: Path  # workstreams/<ws>/work/<id>
    ws_side: Path  # workstreams/<ws>/work/.sessionhub-attach/<id>


def attach_paths(session_id: str, workstream_id: str) -> AttachPaths:
    scratch_dir = files.scratch_session_dir(session_id)
    dest = files.attached_session_work_dir(workstream_id, session_id)
    return AttachPaths(
        scratch_dir=scratch_dir,
        scratch_work=scratch_dir / "work",
        scratch_side=scratch_dir / SIDE_DIR,
        dest=dest,
        ws_side=dest.parent / SIDE_DIR / session_id,
    )


def name_record(name: str) -> dict:
    """A directory entry name as JSON: text when it is UTF-8, else its bytes in hex."""
    try:
        name.encode("utf-8")
        return {"name": name}
    except UnicodeEncodeError:
        return {"name_hex": os.fsencode(name).hex()}


def name_from(record: dict) -> str:
    """Back from the journal; refuses anything that is not one plain path component."""
    name = record["name"] if "name" in record else os.fsdecode(bytes.fromhex(record["name_hex"]))
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise MigrationError(f"journal entry name {name!r} is not a single path component")
    return name


def display(name: str) -> str:
    """A name or message that may hold undecodable bytes, printable."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def entries_move(
    session_id: str,
    workstream_id: str,
    names: list[str],
    *,
    back: bool = False,
    dest_created: bool = False,
) -> str:
    """Move every journaled entry into place (`back`: to the scratch work dir), then tidy
    up both side dirs; returns a note when the emptied scratch dir is kept."""
    paths = attach_paths(session_id, workstream_id)
    src, dst = paths.scratch_work, paths.dest
    src_side, dst_side = paths.scratch_side, paths.ws_side
    if back:
        src, dst, src_side, dst_side = dst, src, dst_side, src_side
    if names:
        dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        entry_move(MoveEnds(src / name, dst / name, src_side, dst_side))
    entry_remove(paths.scratch_side)
    entry_remove(paths.ws_side)
    # Shared by the sessions of the workstream: it stays while another one uses it.
    with suppress(OSError):
        paths.ws_side.parent.rmdir()
    if back:
        if dest_created and is_real_dir(paths.dest) and not os.listdir(paths.dest):
            paths.dest.rmdir()
        return ""
    for path in (paths.scratch_work, paths.scratch_dir):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            continue
        except OSError:
            left = ", ".join(display(n) for n in sorted(os.listdir(path))[:10])
            return f"{relative(path)} kept: it is not empty ({left}); these were not in the plan"
    return ""


# Why a session is refused, kept in item.after["error"] so callers can map it (API: 400/404/409;
# other_workspace is a 409 for a caller who sees both workspaces, the others get a 404 first).
ERR_INVALID, ERR_NOT_FOUND, ERR_CLASH, ERR_CONFLICT, ERR_REFUSED, ERR_MOVE, ERR_OTHER_WORKSPACE = (
    "invalid", "not_found", "clash", "conflict", "refused", "move_failed", "other_workspace",
)  # fmt: skip


@dataclass
class EntryPlan:
    name: str
    kind: str
    files: int
    bytes: int


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
    files: int = 0  # the totals of the entries
    bytes: int = 0
    symlinks: int = 0

    @property
    def top_level(self) -> int:
        return len(self.entries)

    def refuse(self, error: str, reason: str) -> "SessionPlan":
        self.action, self.error, self.reason = "refuse", error, reason
        return self


def session_locked(session_id: str) -> AbstractContextManager[bool]:
    """Whether the block holds the session's lock (taken without waiting, then released)."""
    return file_locked(f"attach-session-{session_id}.lock")


def batch_plan(
    workstream: Workstream,
    session_ids: list[str],
    *,
    expected: dict[str, str],
    locks: ExitStack | None,
) -> list[SessionPlan]:
    """One plan per session, in order. `expected` maps a session to the workstream the
    caller saw (compare-and-set); `locks` (a real run) holds the lock of every session
    that would move, taken before its files are read."""
    valid = [s for s in session_ids if is_valid_name(s)]
    rows = Session.objects.only("workstream_id", "workspace_id").in_bulk(valid)
    return [
        _session_plan(session_id, rows.get(session_id), workstream, expected, locks)
        for session_id in session_ids
    ]


def _session_plan(
    session_id: str,
    row: Session | None,
    workstream: Workstream,
    expected: dict[str, str],
    locks: ExitStack | None,
) -> SessionPlan:
    """What attaching would do to one session; reads the disk, writes nothing."""
    plan = SessionPlan(session_id, to_workstream=workstream.id)
    if not is_valid_name(session_id):
        return plan.refuse(ERR_INVALID, f"Invalid session id {session_id!r}: no path is built.")
    if row is None:
        return plan.refuse(ERR_NOT_FOUND, "No such session.")
    plan.from_workstream = row.workstream_id
    if row.workspace_id != workstream.workspace_id and workstream.id != SCRATCH_WORKSTREAM_ID:
        return plan.refuse(
            ERR_OTHER_WORKSPACE, f"Workstream {workstream.id} belongs to another workspace."
        )
    if session_id in expected and expected[session_id] != row.workstream_id:
        plan.from_workstream = expected[session_id]
        return plan.refuse(
            ERR_CONFLICT,
            f"Session moved to {row.workstream_id} meanwhile (another attach won).",
        )
    if plan.from_workstream == workstream.id:
        plan.action, plan.reason = "skip", f"already in workstream {workstream.id}"
        return plan
    if locks is not None and not locks.enter_context(session_locked(session_id)):
        return plan.refuse(ERR_CONFLICT, "Another attach of this session is in progress.")
    if plan.from_workstream != SCRATCH_WORKSTREAM_ID or workstream.id == SCRATCH_WORKSTREAM_ID:
        plan.action = "reassign"  # only scratch -> named moves files
        plan.reason = f"reassigned from {plan.from_workstream}; no files move"
        return plan
    paths = attach_paths(session_id, workstream.id)  # the paths the move will use
    work, dest = paths.scratch_work, paths.dest
    ws_dirs = (files.workstream_dir(workstream.id), files.workstream_work_dir(workstream.id))
    for path in (paths.scratch_dir, work, *ws_dirs):
        if os.path.lexists(path) and not is_real_dir(path):
            return plan.refuse(ERR_REFUSED, f"{relative(path)} is not a directory (a symlink?)")
    try:
        for name in sorted(os.listdir(work)) if is_real_dir(work) else []:
            count = tree_count(work / name)
            kind = entry_kind(os.lstat(work / name).st_mode)
            plan.entries.append(EntryPlan(name, kind, count.files, count.bytes))
            plan.files += count.files
            plan.bytes += count.bytes
            plan.symlinks += count.symlinks
    except FileNotFoundError as exc:
        # Something moved the files while we read them (e.g. a dry run next to a real one).
        return plan.refuse(ERR_CONFLICT, f"Files changed while planning ({exc}); try again.")
    if os.path.lexists(dest):
        if not is_real_dir(dest):
            plan.clashes = [relative(dest)]
        else:
            plan.dest_exists = True
            taken = set(os.listdir(dest))
            plan.clashes = [relative(dest / e.name) for e in plan.entries if e.name in taken]
    if plan.clashes:
        names = ", ".join(display(c) for c in plan.clashes[:20])
        more = f" and {len(plan.clashes) - 20} more" if len(plan.clashes) > 20 else ""
        return plan.refuse(
            ERR_CLASH,
            f"Name clash, nothing moved: {names}{more} already exist(s) at the destination.",
        )
    plan.reason = f"{plan.files} files ({plan.top_level} top-level entries, {plan.bytes} bytes)"
    return plan


def selection_counts(workstream: Workstream, sessions: QuerySet[Session]) -> dict[str, int]:
    """How `batch_plan` will decide the selection from the rows alone, in one query:
    refused (bad name, another workspace), already there, files to move, reassigned. A
    name clash at the destination is found only by reading the disk (the sample)."""
    valid = Q(id__regex=rf"^{NAME_PATTERN}\Z")  # \Z: no trailing newline (fullmatch)
    foreign = Q(pk__in=[])  # the scratch workstream belongs to every workspace
    if workstream.id != SCRATCH_WORKSTREAM_ID:
        foreign = ~Q(workspace_id=workstream.workspace_id)
    placed = valid & ~foreign
    here = Q(workstream_id=workstream.id)
    in_scratch = Q(workstream_id=SCRATCH_WORKSTREAM_ID)
    return sessions.aggregate(
        selected=Count("pk"),
        invalid=Count("pk", filter=~valid),
        other_workspace=Count("pk", filter=valid & foreign),
        skip=Count("pk", filter=placed & here),
        attach=Count("pk", filter=placed & in_scratch & ~here),
        reassign=Count("pk", filter=placed & ~in_scratch & ~here),
    )
