"""manage.py export_session: thin over session_export; --output, stdout, exit codes."""

import pytest

from tests.factories import SessionFactory
from tests.migration_app.legacy_helpers import command_run
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    claude_session,
    homes,
    transcripts_run,
)

pytestmark = pytest.mark.django_db


def export_session(*args):
    return command_run("export_session", *args)


@pytest.fixture
def original(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    path = claude_session(claude)
    transcripts_run(tmp_path)
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "markdown", "html"])
def test_output_file(original, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    code, out, _ = export_session(CLAUDE_UUID, "--format", fmt, "--output", str(target))
    assert code == 0 and out == ""
    data = target.read_bytes()
    if fmt == "jsonl":
        assert data == original.read_bytes()
    else:
        assert "Reading it." in data.decode()
    assert not (tmp_path / f"out.{fmt}.part").exists()


def test_stdout(original):
    code, out, _ = export_session(CLAUDE_UUID, "--format", "markdown")
    assert code == 0 and out.startswith("# fix the bug\n")


def test_unknown_session_exits_2():
    code, _, err = export_session("nope", "--format", "html")
    assert code == 2 and err == "Session 'nope' not found."


def test_no_transcript_exits_1(tmp_path):
    session = SessionFactory()
    target = tmp_path / "out.jsonl"
    code, _, err = export_session(session.pk, "--output", str(target))
    assert code == 1 and "has no archived transcript" in err
    assert not target.exists()
