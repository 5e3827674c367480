"""Helpers shared by the attach-to-workstream tests: build scratch trees, hash trees."""

import hashlib
import os
from pathlib import Path

from sessions_app import files
from sessions_app.services import workstream_create
from tests.factories import SessionFactory, default_workspace


def named_workstream(workstream_id="my-blog", workspace=None):
    return workstream_create(
        workstream_id=workstream_id, workspace=workspace or default_workspace()
    )


def scratch_session(session_id, tree: dict | None = None, **kwargs):
    """A scratch session whose work dir holds `tree` ({relative path: bytes})."""
    session = SessionFactory(id=session_id, **kwargs)
    if tree is not None:
        work = files.scratch_session_work_dir(session_id)
        work.mkdir(parents=True, exist_ok=True)
        for rel, content in tree.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    return session


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256 or 'link:<target>' or 'dir'} without following links."""
    out = {}
    if not os.path.lexists(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            elif not path.is_file():
                out[rel] = "special"  # a FIFO: reading it would block
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def generated_tree(seed: int, n_files: int) -> dict[str, bytes]:
    """A deterministic tree with nested dirs, empty files and a few larger files."""
    tree = {}
    for i in range(n_files):
        depth = i % 4
        parts = [f"lvl{j}_{i % (j + 2)}" for j in range(depth)]
        name = f"f{i}.bin" if i % 3 else f"note-{i}.txt"
        size = 0 if i % 11 == 0 else (i * 97 + seed) % 3000 + (20_000 if i % 29 == 0 else 0)
        content = hashlib.sha256(f"{seed}-{i}".encode()).digest() * (size // 32 + 1)
        tree["/".join([*parts, name])] = content[:size]
    return tree


def attach_sessions(workstream_id, session_ids=(), **options):
    """A run of many sessions, as a command dispatches it (planned, then executed)."""
    from migration_app.dispatch import migration_run_dispatch
    from migration_app.services.attach_workstream import KIND

    return migration_run_dispatch(
        kind=KIND, workstream_id=workstream_id, session_ids=session_ids, **options
    )


def attach_session(*, session, workstream, **options):
    """One session as PATCH /api/v1/sessions/{id} attaches it: the caller's view of its
    workstream is the compare-and-set; a refusal is raised."""
    from migration_app.services.attach_workstream import attach_result
    from sessions_app.names import validate_name

    validate_name(session.pk)
    run = attach_sessions(
        workstream.pk, [session.pk], expected={session.pk: session.workstream_id}, **options
    )
    return attach_result(run=run, session_id=session.pk)
