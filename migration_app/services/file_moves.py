"""Moving directory entries without losing them: rename when possible, copy-verify otherwise.

`entry_move` is a state machine over what it finds on disk, so calling it again after a
kill -9 at any instant finishes the move (docs/attach-workstream.md, "How a kill -9 loses
nothing"). Nothing here follows a symlink. Staging and trash live in a "side" directory of
each end, on that end's filesystem, so the rename into place and the first step of
deleting a source are atomic.
"""

import ctypes
import errno
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024


class MoveError(Exception):
    """An entry could not be moved; the message says where each copy is."""


class MoveClash(MoveError):
    """The destination name is taken by something that is not this entry."""


@dataclass
class TreeCount:
    files: int = 0  # regular files, recursively
    bytes: int = 0  # bytes of those regular files
    symlinks: int = 0


_KINDS = {stat.S_IFLNK: "symlink", stat.S_IFDIR: "dir", stat.S_IFREG: "file"}


def entry_kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "other")


def tree_count(path: Path) -> TreeCount:
    """Count an entry without following symlinks (a link counts as a link, never its target)."""
    count, stack = TreeCount(), [path]
    while stack:
        entry = stack.pop()
        st = os.lstat(entry)
        if stat.S_ISDIR(st.st_mode):
            stack.extend(entry / name for name in os.listdir(entry))
        elif stat.S_ISREG(st.st_mode):
            count.files += 1
            count.bytes += st.st_size
        elif stat.S_ISLNK(st.st_mode):
            count.symlinks += 1
    return count


# --- rename without replacing --------------------------------------------------------------

_NOREPLACE = 1  # renameat2 flag RENAME_NOREPLACE
_AT_FDCWD = -100
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2  # returns an int (the default)
    # (olddirfd, oldpath, newdirfd, newpath, flags)
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p] * 2 + [ctypes.c_uint]
except (AttributeError, OSError):  # not Linux/glibc: fall back to check-then-rename
    _renameat2 = None


def rename_noreplace(src: Path, dst: Path) -> None:
    """Atomic rename that fails with FileExistsError instead of replacing `dst`.

    os.rename silently replaces a file (arawn's defect #4); renameat2(RENAME_NOREPLACE)
    makes "refuse on a name clash" atomic. Where the kernel or filesystem lacks it, the
    fallback checks first (a narrow window, documented in docs/attach-workstream.md).
    """
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL):
            # OSError(errno, ...) becomes FileNotFoundError / FileExistsError by errno.
            raise OSError(err, os.strerror(err), str(src), None, str(dst))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "File exists", str(dst))
    os.rename(src, dst)


# --- copy + verify (only across filesystems) -----------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_digest(path: Path, copy_to: int | None = None) -> tuple[int, str]:
    """(size, sha256) of a file, read without following a link; its bytes are also written
    to the descriptor `copy_to` when given."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
            size += len(chunk)
            view = memoryview(chunk)
            while copy_to is not None and view:
                view = view[os.write(copy_to, view) :]
    finally:
        os.close(fd)
    return size, digest.hexdigest()


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy an entry to `dst` (which must not exist), verifying every regular file."""
    st = os.lstat(src)
    kind = entry_kind(st.st_mode)
    if kind == "symlink":
        os.symlink(os.readlink(src), dst)
    elif kind == "file":
        out_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            size, digest = _file_digest(src, copy_to=out_fd)  # of what was read from src
            os.fsync(out_fd)
        finally:
            os.close(out_fd)
        shutil.copystat(src, dst, follow_symlinks=False)
        if (size, digest) != _file_digest(dst) or size != os.lstat(src).st_size:
            raise MoveError(f"verification failed copying {src} to {dst}: size or sha256 differ")
    elif kind == "dir":
        os.mkdir(dst, 0o700)
        for name in os.listdir(src):
            _copy_tree(src / name, dst / name)
        shutil.copystat(src, dst, follow_symlinks=False)
        _fsync_dir(dst)
    else:
        raise MoveError(
            f"{src} is a special file ({stat.filemode(st.st_mode)}); it cannot be copied"
        )


def trees_equal(a: Path, b: Path) -> bool:
    """Same kinds, names, symlink targets, sizes and sha256 everywhere (no link is followed)."""
    sa, sb = os.lstat(a), os.lstat(b)
    kind = entry_kind(sa.st_mode)
    if kind != entry_kind(sb.st_mode):
        return False
    if kind == "symlink":
        return os.readlink(a) == os.readlink(b)
    if kind == "file":
        return sa.st_size == sb.st_size and _file_digest(a) == _file_digest(b)
    if kind == "dir":
        names_a, names_b = sorted(os.listdir(a)), sorted(os.listdir(b))
        return names_a == names_b and all(trees_equal(a / n, b / n) for n in names_a)
    return False


def entry_remove(path: Path) -> None:
    """Remove an entry if it exists, without following links (rmtree does not follow them
    either). Also a whole side dir: staging only ever holds unverified copies of intact
    sources, and trash only sources whose verified copy is in place."""
    if is_real_dir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


# --- the move ------------------------------------------------------------------------------


@dataclass
class MoveEnds:
    """Where one entry goes, and the same-filesystem side dirs of both ends."""

    src: Path
    dst: Path
    src_side: Path  # trash for the source lives here (same filesystem as src)
    dst_side: Path  # staging for the copy lives here (same filesystem as dst)

    @property
    def staging(self) -> Path:
        return self.dst_side / "staging" / self.dst.name

    @property
    def trash(self) -> Path:
        return self.src_side / "trash" / self.src.name


def _trash_source(ends: MoveEnds) -> None:
    """Delete a source whose verified copy is in place: rename to trash (atomic), then rmtree."""
    ends.trash.parent.mkdir(parents=True, exist_ok=True)
    entry_remove(ends.trash)  # a leftover of an earlier, interrupted delete
    os.rename(ends.src, ends.trash)
    entry_remove(ends.trash)


def entry_move(ends: MoveEnds) -> str:
    """Move one entry; returns "renamed", "copied" or "already". Safe to call again.

    The common case is one renameat2 call. The caller creates dst's parent and, once the
    session is done, removes both side dirs (leftover staging and trash included).
    """
    try:
        rename_noreplace(ends.src, ends.dst)
        return "renamed"
    except (FileNotFoundError, FileExistsError):
        pass
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise MoveError(f"cannot move {ends.src} to {ends.dst}: {exc.strerror}") from exc
    # The kernel reports EXDEV before it looks at either name, so check both ends here.
    src_there, dst_there = os.path.lexists(ends.src), os.path.lexists(ends.dst)
    if not src_there:
        if dst_there:
            return "already"  # moved before an interruption
        if not os.path.lexists(ends.dst.parent):
            raise MoveError(f"cannot move {ends.src}: {ends.dst.parent} is missing")
        raise MoveError(
            f"{ends.src} is at neither end (nor at {ends.dst}); it was removed by someone else"
        )
    if dst_there:
        # A verified copy whose source was not trashed yet (an interrupted copy), or a clash.
        if trees_equal(ends.src, ends.dst):
            _trash_source(ends)
            return "copied"
        raise MoveClash(f"{ends.dst} already exists; {ends.src} was not moved")
    if (
        os.path.lexists(ends.dst.parent)
        and os.lstat(ends.src).st_dev == os.lstat(ends.dst.parent).st_dev
    ):
        # Same filesystem after all: the rename failed on a race; try once more.
        try:
            rename_noreplace(ends.src, ends.dst)
            return "renamed"
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # e.g. bind mounts of one filesystem
                raise MoveError(f"cannot move {ends.src} to {ends.dst}: {exc.strerror}") from exc
    # Another filesystem: copy to staging, verify, fsync, rename into place, then trash the source.
    entry_remove(ends.staging)  # an unverified partial copy: the source is intact
    ends.staging.parent.mkdir(parents=True, exist_ok=True)
    _copy_tree(ends.src, ends.staging)
    _fsync_dir(ends.staging.parent)
    try:
        rename_noreplace(ends.staging, ends.dst)
    except FileExistsError as exc:
        entry_remove(ends.staging)
        raise MoveClash(f"{ends.dst} appeared while copying; {ends.src} was not moved") from exc
    _fsync_dir(ends.dst.parent)
    _trash_source(ends)
    _fsync_dir(ends.src.parent)
    return "copied"


def is_real_dir(path: Path) -> bool:
    """A directory that is not a symlink (lstat)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
