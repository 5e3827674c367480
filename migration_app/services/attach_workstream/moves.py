"""Moving one session's journaled entries, forward or back. Every step is re-entrant:
after a kill -9 anywhere, calling it again with the same names finishes the job."""

import os
from contextlib import suppress

from migration_app.services.attach_workstream.paths import (
    AttachPaths,
    attach_paths,
    display,
    relative,
)
from migration_app.services.file_moves import entry_move, is_real_dir, side_cleanup


def _scratch_remove(paths: AttachPaths) -> str:
    """Remove the emptied scratch session dir; returns a note when something is left."""
    side_cleanup(paths.scratch_side)
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
    side_cleanup(paths.ws_side)
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
    side_cleanup(paths.scratch_side)
    _workstream_side_remove(paths)
    if dest_created and is_real_dir(paths.dest) and not os.listdir(paths.dest):
        paths.dest.rmdir()


def move_incomplete(session_id: str, workstream_id: str) -> bool:
    """Whether files of an attached session are still on their way (scratch or staging left)."""
    paths = attach_paths(session_id, workstream_id)
    return os.path.lexists(paths.scratch_dir) or os.path.lexists(paths.ws_side)
