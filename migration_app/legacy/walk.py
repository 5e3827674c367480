"""What the store walks of every file-based source share: the found file, sorted directory
listings, and what is where a session file is expected but cannot be one.

Pure functions over directories; no database, no Django settings.
"""

import os
import stat as stat_module
from dataclasses import dataclass


def read_bounded(handle, *, size: int, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of an open file whose stat said `size` (longer than
    `max_bytes`: too large). Asks for the stat size, not the limit: `read(n)` allocates n
    bytes first (64 MiB made each small file cost 30 µs instead of 10)."""
    data = handle.read(min(size, max_bytes) + 1)
    if size < len(data) <= max_bytes:  # grew since the stat: the rest, up to the limit
        data += handle.read(max_bytes + 1 - len(data))
    return data


@dataclass(frozen=True)
class SessionFile:
    """One candidate session file found by a walk."""

    path: str
    project_id: str
    session_id: str
    size: int
    mtime: float
    # Set for files the walk skips on purpose (0-byte reservation, *.corrupt-*, a FIFO…).
    skip_reason: str = ""
    # A V1 `sessions/archive/<id>_<timestamp>` file: a terminated session.
    archived: bool = False
    # What the walk knows that the item should say (a quarantined sibling, a renamed id).
    note: str = ""
    # A V1 bare `<12 hex>/` directory: the session names its own project, if it can.
    project_from_file: bool = False


CORRUPT_MARK = ".corrupt-"


def corrupt_marked(entry: os.DirEntry, project_id: str, suffix: str) -> SessionFile | None:
    """A copy the origin set aside as `<id><suffix>.corrupt-<ts>`: skipped, or None."""
    if CORRUPT_MARK not in entry.name:
        return None
    session_id = entry.name.split(CORRUPT_MARK, 1)[0].removesuffix(suffix)
    return session_file(entry, project_id, session_id, skip="corrupt-marked file")


def sorted_entries(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


def not_a_file_reason(entry: os.DirEntry) -> str:
    """Why a directory entry where a session file is expected is no file to read ('' when it
    is a regular file, or a symbolic link to one). Only links cost a stat."""
    if entry.is_file(follow_symlinks=False):
        return ""
    if entry.is_dir(follow_symlinks=False):
        return "a directory, not a session file"
    if entry.is_symlink():
        try:
            target = os.stat(entry.path)
        except OSError:
            return "dangling symbolic link"
        if stat_module.S_ISREG(target.st_mode):
            return ""
        return "symbolic link to something that is not a regular file"
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "cannot be read"
    if stat_module.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a session file"
    if stat_module.S_ISSOCK(mode):
        return "a socket, not a session file"
    return "not a regular file"


def session_file(
    entry: os.DirEntry,
    project_id: str,
    session_id: str,
    *,
    skip: str = "",
    stat: bool = True,
    empty: str = "0-byte file",
    note: str = "",
) -> SessionFile:
    """A found file, stat'ed when asked; `empty` names why a 0-byte file is skipped. Without
    stat, size and mtime are unknown (-1, 0.0): the reader finds them when it opens it."""
    if skip or not stat:
        return SessionFile(entry.path, project_id, session_id, -1, 0.0, skip, note=note)
    info = entry.stat()
    skip = empty if info.st_size == 0 else ""
    return SessionFile(
        entry.path, project_id, session_id, info.st_size, info.st_mtime, skip, note=note
    )
