"""Where one session's attach reads and writes, and how entry names travel in the journal."""

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from migration_app.services.file_moves import MoveEnds
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
