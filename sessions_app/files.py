"""The workstream file area under SESSIONHUB_DATA_DIR.

    workstreams/<ws>/production/
    workstreams/<ws>/work/
    workstreams/<ws>/work/<session>/            an attached session's files
    workstreams/scratch/sessions/<session>/work/ a scratch session's files

Every name is checked against the name rule before a path is built from it.
"""

import os
from pathlib import Path

from django.conf import settings

from sessions_app.models import SCRATCH_WORKSTREAM_ID
from sessions_app.names import validate_name


def workstreams_root() -> Path:
    return Path(settings.SESSIONHUB_DATA_DIR) / "workstreams"


def workstream_dir(workstream_id: str) -> Path:
    validate_name(workstream_id)
    return workstreams_root() / workstream_id


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
    if workstream_id == SCRATCH_WORKSTREAM_ID:
        (workstream_dir(workstream_id) / "sessions").mkdir(parents=True, exist_ok=True)
        return
    workstream_production_dir(workstream_id).mkdir(parents=True, exist_ok=True)
    workstream_work_dir(workstream_id).mkdir(parents=True, exist_ok=True)


def tree_usage(root: Path) -> tuple[int, int]:
    """(regular files, bytes) under `root`, recursively, never following a symlink."""
    count = size = 0
    if not root.is_dir() or root.is_symlink():
        return 0, 0
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:  # removed while we walk (a move in progress)
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                try:
                    size += entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue
                count += 1
    return count, size


def workstream_usage(workstream_id: str) -> tuple[int, int]:
    """(regular files, bytes) in a workstream's file area."""
    return tree_usage(workstream_dir(workstream_id))


def session_work_dir(session_id: str, workstream_id: str) -> Path | None:
    """Where a session's work files are: its scratch dir, or its dir in a named workstream;
    None for an id that cannot name a directory."""
    from sessions_app.names import is_valid_name

    if not is_valid_name(session_id):
        return None
    if workstream_id == SCRATCH_WORKSTREAM_ID:
        return scratch_session_work_dir(session_id)
    return attached_session_work_dir(workstream_id, session_id)
