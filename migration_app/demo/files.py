"""The demo's files: workstream READMEs, scratch work trees, notes of attached sessions.

A file is written only when it is missing, and a session's file only while the session
is still in the workstream the demo put it in (a session attached elsewhere since must
not get its scratch files back).
"""

import os
import uuid
from pathlib import Path
from typing import NamedTuple

from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session


class DemoFile(NamedTuple):
    path: Path
    data: bytes
    session_id: str | None = None  # the session whose file it is, if any,
    workstream_id: str | None = None  # and the workstream that session must still be in


def scratch_files(session_id: str, title: str, *, png_seed: uuid.UUID) -> list[DemoFile]:
    """A scratch session's work tree: notes, an image, nested source and data files."""
    work = files.scratch_session_work_dir(session_id)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + png_seed.bytes * 8
    return [
        DemoFile(path, data, session_id, SCRATCH_WORKSTREAM_ID)
        for path, data in [
            (work / "notes.md", f"# {title}\n\n- first idea\n- second idea\n".encode()),
            (work / "figure.png", png),
            (work / "src" / "analysis.py", b'print("demo analysis")\n'),
            (work / "src" / "data" / "sample.csv", b"id,value\n1,3.5\n2,4.25\n"),
        ]
    ]


def files_write(demo_files: list[DemoFile]) -> int:
    """Write the demo files that are missing, only where their session still is."""
    session_ids = {f.session_id for f in demo_files if f.session_id}
    where = dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "workstream_id"))
    written = 0
    for demo_file in demo_files:
        if demo_file.session_id and where.get(demo_file.session_id) != demo_file.workstream_id:
            continue
        written += _file_write_once(demo_file.path, demo_file.data)
    return written


def _file_write_once(path: Path, data: bytes) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: an interrupted run never leaves a truncated file behind.
    tmp = path.with_name(f".{path.name}.seed-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True
