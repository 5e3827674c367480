"""TokenDance's per-session working files (legacy-formats.md §7.8): pure, read-only.

A session's files live under `<workspace filesystem_path>/sessions/<session id>/`
(`task_plan.md`, `findings.md`, `progress.md`, …). Each regular file is read whole and
byte-exact; one that is not UTF-8, holds a NUL byte or is larger than the limit is a
`SessionFile` with a `problem` instead of text, never dropped silently. Symbolic links
are not followed (a link could point anywhere on the machine).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from migration_app.legacy.walk import read_bounded

FILE_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class SessionFile:
    relative_path: str  # below the session's directory, with '/' separators
    path: str
    text: str | None = None
    size: int = 0
    problem: str = ""


def session_dir(filesystem_path: str, session_id: str) -> str:
    return os.path.join(filesystem_path, "sessions", session_id)


def session_files(directory: str, *, max_bytes: int = FILE_MAX_BYTES) -> Iterator[SessionFile]:
    """The files below `directory`, in path order; nothing when it does not exist."""
    if not os.path.isdir(directory) or os.path.islink(directory):
        return
    found = []
    for root, dirs, names in os.walk(directory):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        found += [os.path.join(root, d) for d in links]  # reported, not followed
        dirs[:] = sorted(d for d in dirs if d not in links)
        found += [os.path.join(root, name) for name in names]
    for path in sorted(found):
        relative = os.path.relpath(path, directory).replace(os.sep, "/")
        yield _read(path, relative, max_bytes)


def _read(path: str, relative: str, max_bytes: int) -> SessionFile:
    if os.path.islink(path):
        return SessionFile(relative, path, problem="a symbolic link; not followed")
    if not os.path.isfile(path):
        return SessionFile(relative, path, problem="not a regular file")
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return SessionFile(
                relative, path, size=size, problem=f"{size} bytes, over the {max_bytes} limit"
            )
        with open(path, "rb") as handle:
            data = read_bounded(handle, size=size, max_bytes=max_bytes)
    except OSError as exc:
        return SessionFile(relative, path, problem=f"unreadable: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return SessionFile(relative, path, size=len(data), problem="grew over the limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SessionFile(relative, path, size=len(data), problem=f"not UTF-8 (byte {exc.start})")
    if "\x00" in text:
        return SessionFile(relative, path, size=len(data), problem="holds a NUL byte")
    return SessionFile(relative, path, text=text, size=len(data))
