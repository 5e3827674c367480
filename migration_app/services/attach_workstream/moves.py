"""Where one session's attach reads and writes, how entry names travel in the journal, and
moving its journaled entries forward or back. Every move is re-entrant: after a kill -9
anywhere, calling it again with the same names finishes the job."""

import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from migration_app.services.file_moves import MoveEnds, entry_move, entry_remove, is_real_dir
from migration_app.services.journal import MigrationError
from sessions_app import files

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

    def forward(self, name: str) -> MoveEnds:
        return MoveEnds(self.scratch_work / name, self.dest / name, self.scratch_side, self.ws_side)

    def backward(self, name: str) -> MoveEnds:
        return MoveEnds(self.dest / name, self.scratch_work / name, self.ws_side, self.scratch_side)


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


def _scratch_remove(paths: AttachPaths) -> str:
    """Remove the emptied scratch session dir; returns a note when something is left."""
    entry_remove(paths.scratch_side)
    for path in (paths.scratch_work, paths.scratch_dir):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            continue
        except OSError:
            left = ", ".join(display(n) for n in sorted(os.listdir(path))[:10])
            return f"{relative(path)} kept: it is not empty ({left}); these were not in the plan"
    return ""


def _workstream_side_remove(paths: AttachPaths) -> None:
    entry_remove(paths.ws_side)
    # Shared by the sessions of the workstream: it stays while another one uses it.
    with suppress(OSError):
        paths.ws_side.parent.rmdir()


def entries_forward(session_id: str, workstream_id: str, names: list[str]) -> str:
    """Move every journaled entry into place, then tidy up; returns a note."""
    paths = attach_paths(session_id, workstream_id)
    if names:
        paths.dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        entry_move(paths.forward(name))
    _workstream_side_remove(paths)
    return _scratch_remove(paths)


def entries_backward(
    session_id: str, workstream_id: str, names: list[str], dest_created: bool
) -> None:
    """Move journaled entries back to the scratch work dir."""
    paths = attach_paths(session_id, workstream_id)
    if names:
        paths.scratch_work.mkdir(parents=True, exist_ok=True)
    for name in names:
        entry_move(paths.backward(name))
    entry_remove(paths.scratch_side)
    _workstream_side_remove(paths)
    if dest_created and is_real_dir(paths.dest) and not os.listdir(paths.dest):
        paths.dest.rmdir()


def move_incomplete(session_id: str, workstream_id: str) -> bool:
    """Whether files of an attached session are still on their way (scratch or staging left)."""
    paths = attach_paths(session_id, workstream_id)
    return os.path.lexists(paths.scratch_dir) or os.path.lexists(paths.ws_side)
