import subprocess

import pytest

from migration_app.legacy.synthetic import ao_tree_generate
from sessions_app import files
from tests.factories import SessionFactory
from tests.migration_app.attach_helpers import named_workstream


@pytest.fixture
def cross_device_work(data_dir):
    """A named workstream whose work/ dir is a separate tmpfs: renames into it fail with EXDEV.

    Mounting needs root (CI and these machines run tests as root); elsewhere the test is
    skipped with that reason rather than faked.
    """
    named_workstream("far-away")
    mount_point = files.workstream_work_dir("far-away")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield "far-away"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.fixture
def minsky_sessions():
    """The origin's fixture: three sessions storing plain ids."""
    SessionFactory(id="test-session-md123", task_id="123")
    SessionFactory(id="another-session", task_id="456")
    SessionFactory(id="unrelated-session", task_id="999")


@pytest.fixture
def claude_home(tmp_path):
    path = tmp_path / "claude"
    path.mkdir()
    return path


@pytest.fixture
def ao_tree(tmp_path, claude_home, data_dir):
    return ao_tree_generate(str(tmp_path / "ao"), sessions=120, claude_home=str(claude_home))


# TokenDance source databases (a SQLite file, a scratch PostgreSQL database).
from tests.migration_app.tokendance_helpers import make_source, make_sqlite_source  # noqa: E402, F401
