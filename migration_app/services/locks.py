"""Locks that keep two processes off the same work: flocks on files, which the kernel drops
when the holder dies (kill -9 included), and per migration kind a PostgreSQL advisory lock
(several machines share the database) or a file lock next to the SQLite database.
"""

import fcntl
import hashlib
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection

NAME_MAX = 255  # bytes in one path component (Linux, macOS)


def file_lock_try(name: str, *, directory: Path | None = None) -> Callable[[], None] | None:
    """Take the flock on `<data dir>/locks/<name>` without waiting (it belongs to the open
    file, so two threads of one process exclude each other too); returns the function that
    releases it, or None when another open file holds it. The holder unlinks the file before
    letting go, so a waiter re-checks that the name still points at the inode it locked, and
    retries otherwise."""
    if directory is None:
        directory = Path(settings.SESSIONHUB_DATA_DIR) / "locks"
        directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if len(os.fsencode(name)) > NAME_MAX:
        # Too long for one path component (a 250-character legacy session id in
        # `attach-session-<id>.lock`): its start and a digest of the whole name, one stable
        # name per lock that never collides with a short one.
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()
        head = os.fsencode(name)[: NAME_MAX - len(digest) - 6].decode("utf-8", "ignore")
        path = directory / f"{head}~{digest}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        with suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return partial(_file_lock_release, fd, path)
        os.close(fd)


def _file_lock_release(fd: int, path: Path) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
    os.close(fd)  # closing the last descriptor releases the flock


@contextmanager
def file_locked(name: str) -> Iterator[bool]:
    """Whether the block holds the flock `name` (taken without waiting, then released)."""
    release = file_lock_try(name)
    try:
        yield release is not None
    finally:
        if release is not None:
            release()


def _advisory_key(kind: str) -> int:
    # A stable signed 32-bit number per kind (the advisory lock's key space is bigint).
    return zlib.crc32(f"sessionhub:{kind}".encode()) - 2**31


def _advisory_unlock(function: str, key: int) -> None:
    with suppress(Exception), connection.cursor() as cursor:  # it dies with the session too
        cursor.execute(f"SELECT {function}(%s)", [key])


def kind_lock_try(kind: str) -> Callable[[], None] | None:
    """Take the lock that lets one run of `kind` at a time use this database; returns the
    function that releases it, or None when another process holds it."""
    if connection.vendor != "postgresql":
        # Next to the database file, so every data directory using it shares the lock.
        name = str(connection.settings_dict["NAME"])
        if name and name != ":memory:" and not name.startswith("file:"):
            return file_lock_try(f"{Path(name).name}.{kind}.lock", directory=Path(name).parent)
        return file_lock_try(f"{kind}.lock")
    key = _advisory_key(kind)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            return None
    return partial(_advisory_unlock, "pg_advisory_unlock", key)


def kind_lock_share(kind: str) -> Callable[[], None]:
    """PostgreSQL: the kind's lock, shared with the other workers of a background run; waits
    while a run holds it alone (kind_lock_try), and keeps such a run out meanwhile. Returns
    the function that releases it."""
    key = _advisory_key(kind)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(%s)", [key])
    return partial(_advisory_unlock, "pg_advisory_unlock_shared", key)
