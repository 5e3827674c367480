"""The workstream file area under SESSIONHUB_DATA_DIR.

    workstreams/<ws>/production/
    workstreams/<ws>/work/
    workstreams/<ws>/work/<session>/            an attached session's files
    workstreams/scratch/sessions/<session>/work/ a scratch session's files

Every name is checked against the name rule before a path is built from it.
"""

import os
import stat
from pathlib import Path

from django.conf import settings

from sessions_app.models import SCRATCH_WORKSTREAM_ID
from sessions_app.names import is_valid_name, validate_name


def workstream_dir(workstream_id: str) -> Path:
    validate_name(workstream_id)
    return Path(settings.SESSIONHUB_DATA_DIR) / "workstreams" / workstream_id


def workstream_production_dir(workstream_id: str) -> Path:
    return workstream_dir(workstream_id) / "production"


def workstream_work_dir(workstream_id: str) -> Path:
    return workstream_dir(workstream_id) / "work"


def attached_session_work_dir(workstream_id: str, session_id: str) -> Path:
    validate_name(session_id)
    return workstream_work_dir(workstream_id) / session_id


def scratch_session_dir(session_id: str) -> Path:
    validate_name(session_id)
    return workstream_dir(SCRATCH_WORKSTREAM_ID) / "sessions" / session_id


def scratch_session_work_dir(session_id: str) -> Path:
    return scratch_session_dir(session_id) / "work"


def workstream_dirs_create(workstream_id: str) -> None:
    """Create a workstream's directories (idempotent)."""
    names = ["sessions"] if workstream_id == SCRATCH_WORKSTREAM_ID else ["production", "work"]
    for name in names:
        (workstream_dir(workstream_id) / name).mkdir(parents=True, exist_ok=True)


def tree_usage(root: Path) -> tuple[int, int]:
    """(regular files, bytes) under `root`, recursively, never following a symlink."""
    count = size = 0
    if not root.is_dir() or root.is_symlink():
        return 0, 0
    # os.walk skips a directory removed while we walk (a move in progress).
    for directory, _, names in os.walk(root):
        for name in names:
            try:
                info = os.lstat(os.path.join(directory, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):
                count, size = count + 1, size + info.st_size
    return count, size


def workstream_usage(workstream_id: str) -> tuple[int, int]:
    """(regular files, bytes) in a workstream's file area."""
    return tree_usage(workstream_dir(workstream_id))


def session_work_dir(session_id: str, workstream_id: str) -> Path | None:
    """Where a session's work files are: its scratch dir, or its dir in a named workstream;
    None for an id that cannot name a directory."""
    if not is_valid_name(session_id):
        return None
    if workstream_id == SCRATCH_WORKSTREAM_ID:
        return scratch_session_work_dir(session_id)
    return attached_session_work_dir(workstream_id, session_id)
