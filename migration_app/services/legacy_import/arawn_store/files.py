"""arawn's workstream files → the same places under the hub's data directory, copied.

    <tree>/<ws>/production/…                → workstreams/<ws>/production/…
    <tree>/<ws>/work/…                      → workstreams/<ws>/work/…
    <tree>/scratch/sessions/<id>/work/…     → workstreams/scratch/sessions/<id>/work/…
                                              (or workstreams/<ws>/work/<id>/… when the hub
                                              has the session in <ws>: arawn's defect #1)

The hub paths come from sessions_app.files (the rules "Attach to workstream" uses). A
batch journals its files in its transaction and copies them in `transaction.on_commit`
(a dry run, rolled back, copies nothing): each file to a temporary name beside its
destination, sha256 verified, then renamed without replacing; a symlink is recreated
with the same target, never followed. Nothing is overwritten: a destination holding
other bytes is a clash, a failed item naming both paths. A copy that fails (an OSError,
a sha256 mismatch) turns its item failed, so the run ends partial and a re-run retries
it. A re-run skips what is there (same size and mtime, or same bytes), so after a kill
-9 every file ends up once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction

from migration_app.legacy.arawn import (
    SCRATCH,
    TreeEntry,
    shown,
    symlink_on_the_way,
    tree_entries,
)
from migration_app.services.file_moves import CHUNK, is_real_dir, rename_noreplace
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.arawn_store.state import ArawnState
from migration_app.services.legacy_import.shared import TEMP_SUFFIX, Outcome, batched
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID
from sessions_app.names import is_valid_name


@dataclass(frozen=True)
class FileCopy:
    source: str
    dest: str
    kind: str  # file or symlink
    target: str = ""  # a symlink's target, verbatim


def _rel(path: Path | str) -> str:
    return os.path.relpath(path, settings.SESSIONHUB_DATA_DIR)


def file_roots(state: ArawnState) -> Iterator[tuple[str, Path, str]]:
    """(source dir, hub dir, note) pairs, in a fixed order; problems as (source, None, why)."""
    for ws_id in sorted(state.workstreams - {SCRATCH_WORKSTREAM_ID}):
        source = os.path.join(state.tree, ws_id)
        yield os.path.join(source, "production"), files.workstream_production_dir(ws_id), ""
        yield os.path.join(source, "work"), files.workstream_work_dir(ws_id), ""
    sessions_dir = os.path.join(state.tree, SCRATCH, "sessions")
    names = sorted(os.listdir(sessions_dir)) if is_real_dir(Path(sessions_dir)) else []
    for sid in names:
        source = os.path.join(sessions_dir, sid, "work")
        if not is_valid_name(sid):
            yield source, None, f"session id {sid!r} breaks the name rule: no path is built"
            continue
        hub_ws = state.session_ws.get(sid, SCRATCH_WORKSTREAM_ID)
        if hub_ws == SCRATCH_WORKSTREAM_ID:
            note = "" if sid in state.session_ws else "no such session in workstreams.db"
            yield source, files.scratch_session_work_dir(sid), note
        else:
            note = f"left in scratch by arawn; the session is in {hub_ws}"
            yield source, files.attached_session_work_dir(hub_ws, sid), note


def files_import(state: ArawnState) -> None:
    safe_dirs: dict[Path, bool] = {}
    for chunk in batched(_entries(state), state.batch_size):
        migration_run_progress(run=state.run, total=state.run.progress_total + len(chunk))
        with transaction.atomic():
            copies = _batch(state, chunk, safe_dirs)
            migration_run_progress(run=state.run, advance=len(chunk))
            if copies:
                transaction.on_commit(partial(files_copy, state, copies))


def _entries(state: ArawnState) -> Iterator[tuple[TreeEntry | None, str, Path | None, str]]:
    """(entry, source root, hub root, note); entry None: the root itself is refused."""
    for source, dest, note in file_roots(state):
        link = symlink_on_the_way(state.tree, source)
        if dest is None or link:
            why = f"{shown(link)} is a symlink; not followed" if link else note
            yield None, shown(source), dest, why
            continue
        for entry in tree_entries(source):
            yield entry, source, dest, note


def _dir_safe(path: Path, cache: dict[Path, bool]) -> bool:
    """Every part of the hub path that exists is a real directory (never a symlink that
    would take a copy elsewhere)."""
    if path in cache:
        return cache[path]
    root = Path(settings.SESSIONHUB_DATA_DIR)
    if path == root or root not in path.parents:
        ok = True
    elif os.path.lexists(path):
        ok = is_real_dir(path) and _dir_safe(path.parent, cache)
    else:
        ok = _dir_safe(path.parent, cache)
    cache[path] = ok
    return ok


def _batch(state: ArawnState, chunk: list, safe_dirs: dict[Path, bool]) -> list[FileCopy]:
    items, copies = [], []
    for entry, source_root, dest_root, note in chunk:
        if entry is None:
            items.append(ItemRecord("file", source_root, Outcome.FAILED, note))
            continue
        dest = dest_root / entry.rel
        item, copy = _entry_plan(state, entry, dest, note, safe_dirs)
        items.append(item)
        if copy:
            copies.append(copy)
    state.record(items)
    return copies


def _entry_plan(
    state: ArawnState, entry: TreeEntry, dest: Path, note: str, safe_dirs: dict[Path, bool]
) -> tuple[ItemRecord, FileCopy | None]:
    target = os.readlink(entry.path) if entry.kind == "symlink" else ""
    try:
        entry.path.encode("utf-8")
        target.encode("utf-8")
    except UnicodeEncodeError:
        why = "the name (or link target) is not UTF-8; not copied (rename it and run again)"
        return ItemRecord("file", shown(entry.path), Outcome.FAILED, why), None
    subject = _rel(dest)
    if entry.kind == "other":
        state.bump("files_special")
        why = f"{entry.path} is a special file; not copied"
        return ItemRecord("file", subject, Outcome.FAILED, why), None
    if not _dir_safe(dest.parent, safe_dirs):
        why = f"clash: a part of {dest.parent} is not a directory; {entry.path} not copied"
        return ItemRecord("file", subject, Outcome.FAILED, why), None
    if os.path.lexists(dest):
        if _same(entry, target, dest):
            state.bump("files_already_present")
            return ItemRecord("file", subject, Outcome.SKIPPED, "already present"), None
        state.bump("files_clashing")
        why = f"clash: {dest} exists with other content than {entry.path}; nothing overwritten"
        return ItemRecord("file", subject, Outcome.FAILED, why), None
    after = {"source": entry.path, "dest": str(dest), "kind": entry.kind, "size": entry.size,
             "mtime_ns": entry.mtime_ns, "target": target}  # fmt: skip
    state.bump("files_to_copy")
    item = ItemRecord("file", subject, Outcome.MIGRATED, note, None, after)
    return item, FileCopy(entry.path, str(dest), entry.kind, target)


def _same(entry: TreeEntry, target: str, dest: Path) -> bool:
    st = os.lstat(dest)
    if entry.kind == "symlink":
        return os.path.islink(dest) and os.readlink(dest) == target
    if not is_real_dir(dest) and os.path.isfile(dest) and not os.path.islink(dest):
        if st.st_size != entry.size:
            return False
        return st.st_mtime_ns == entry.mtime_ns or _digest(dest) == _digest(Path(entry.path))
    return False


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


# --- the copies, after the batch commits -------------------------------------------------


def files_copy(state: ArawnState, copies: list[FileCopy]) -> None:
    made: set[Path] = set()  # directories known to exist (one mkdir per directory)
    for copy in copies:
        try:
            done = _copy_one(copy, made)
        except (OSError, ValueError) as exc:
            state.bump("files_copy_failed")
            _copy_failed(state, copy, exc)
            continue
        state.bump("files_copied" if done else "files_already_present")


def _copy_failed(state: ArawnState, copy: FileCopy, exc: Exception) -> None:
    """The file's item, journaled migrated by its batch, becomes failed: the run ends
    partial and names it. Nothing is left at the destination, so a re-run copies it.
    Its own transaction: the batch has committed (we run in its on_commit)."""
    why = f"copy failed: {copy.source} -> {copy.dest}: {exc}; run the import again to retry"
    with transaction.atomic():
        state.run.items.filter(
            subject_type="file", subject_id=_rel(copy.dest), outcome=Outcome.MIGRATED
        ).update(outcome=Outcome.FAILED, reason=why)


def _copy_one(copy: FileCopy, made: set[Path]) -> bool:
    """Copy one entry; False when the destination appeared meanwhile (left alone)."""
    dest = Path(copy.dest)
    if dest.parent not in made:
        dest.parent.mkdir(parents=True, exist_ok=True)
        made.add(dest.parent)
    if copy.kind == "symlink":
        try:
            os.symlink(copy.target, dest)
        except FileExistsError:
            return False
        return True
    temp = dest.with_name(dest.name + TEMP_SUFFIX)
    try:
        _copy_verified(copy.source, temp)
        rename_noreplace(temp, dest)
    except FileExistsError:
        return False
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    return True


def _open_new(temp: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        return os.open(temp, flags, 0o600)
    except FileExistsError:
        os.unlink(temp)  # left by a run killed mid-copy
        return os.open(temp, flags, 0o600)


def _copy_verified(source: str, temp: Path) -> None:
    """Copy the bytes to `temp`, read them back and compare sha256 with what was read from
    the source; give the copy the source's mode and times (as cp -a)."""
    digest = hashlib.sha256()
    in_fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        st = os.fstat(in_fd)
        out_fd = _open_new(temp)
        try:
            while chunk := os.read(in_fd, CHUNK):
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out_fd, view) :]
            os.lseek(out_fd, 0, os.SEEK_SET)
            check = hashlib.sha256()
            while chunk := os.read(out_fd, CHUNK):
                check.update(chunk)
            if check.digest() != digest.digest():
                raise ValueError("sha256 of the copy differs from the source")
            os.fchmod(out_fd, st.st_mode & 0o7777)
            os.utime(out_fd, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(out_fd)
    finally:
        os.close(in_fd)
