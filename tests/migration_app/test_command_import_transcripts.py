"""manage.py import_transcripts: thin over the dispatch; exit codes and --json."""

import json
import subprocess
import sys

import pytest

from migration_app.models import MigrationRun
from sessions_app.models import Session
from tests.factories import ProjectFactory, WorkspaceFactory
from tests.migration_app.legacy_helpers import command_run
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    CODEX_THREAD,
    CWD,
    claude_path,
    claude_session,
    codex_session,
    homes,
    lines_write,
)

pytestmark = pytest.mark.django_db


def import_transcripts(*args):
    """The command in this process: (exit code, stdout, stderr)."""
    return command_run("import_transcripts", *args)


def _args(tmp_path):
    claude, codex = homes(tmp_path)
    return ["--claude-home", str(claude), "--codex-home", str(codex)]


def test_json_summary_of_an_import(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    claude_session(claude)
    codex_session(codex)
    code, out, _ = import_transcripts(*_args(tmp_path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["status"] == "succeeded" and summary["exit_code"] == 0
    assert summary["counts"]["messages_imported"] == 10
    assert summary["counts"]["session_migrated"] == 2


def test_dry_run_says_what_it_would_do(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    claude_session(claude)
    code, out, _ = import_transcripts(*_args(tmp_path), "--dry-run")
    assert code == 0 and out.startswith("Dry run (nothing written)")
    assert "would migrate 1 session" in out
    assert MigrationRun.objects.get().dry_run


def test_a_bad_line_exits_1_and_is_listed(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    lines_write(claude_session(claude), ["{oops"], append=True)
    code, out, err = import_transcripts(*_args(tmp_path))
    assert code == 1 and "rejected" in out and "invalid JSON" in out
    assert "1 item(s) failed" in err


def test_a_missing_home_is_refused_with_exit_2_and_one_json_object(tmp_path, data_dir):
    code, out, _ = import_transcripts("--claude-home", str(tmp_path / "nope"), "--json")
    summary = json.loads(out)
    assert (code, summary["status"], summary["exit_code"]) == (2, "refused", 2)
    assert "--claude-home" in summary["error"]
    assert not MigrationRun.objects.exists()


def test_a_bad_option_under_json_is_one_json_object(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "import_transcripts", "--json", "--no-such-option"],
        capture_output=True, text=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2
    assert json.loads(done.stdout)["status"] == "refused"


def test_an_unknown_workspace_is_refused_before_anything_is_read(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    claude_session(claude)
    code, out, _ = import_transcripts(*_args(tmp_path), "--workspace", "nowhere", "--json")
    summary = json.loads(out)
    assert (code, summary["status"]) == (2, "refused")
    assert "Workspace 'nowhere' does not exist" in summary["error"]
    assert not MigrationRun.objects.exists()


def test_workspace_takes_the_new_native_sessions_whose_cwd_is_no_project(tmp_path, data_dir):
    team = WorkspaceFactory(slug="team")
    project = ProjectFactory(path="/home/dev/registered")  # in the default workspace
    claude, codex = homes(tmp_path)
    claude_session(claude)  # cwd CWD: no project's path
    codex_session(codex, cwd=project.path)
    code, _, err = import_transcripts(*_args(tmp_path), "--workspace", "team")
    assert code == 0, err
    native = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assert (native.source, native.workspace_path) == ("claude-code", CWD)
    assert (native.workspace, native.project) == (team, None)
    assert native.conversation.workspace == team
    # A session in a project stays in the project's workspace.
    in_project = Session.objects.get(agent_session_id=CODEX_THREAD)
    assert (in_project.workspace, in_project.project) == (project.workspace, project)


@pytest.mark.parametrize("where", ["the archive", "inside it", "a symlink into it"])
def test_a_home_in_the_archive_is_refused_and_the_copy_untouched(tmp_path, data_dir, where):
    claude, _ = homes(tmp_path)
    claude_session(claude)
    assert import_transcripts(*_args(tmp_path))[0] == 0
    archive = data_dir / "transcripts"
    copy = archive / "claude-code" / claude_path(claude).relative_to(claude)
    data = copy.read_bytes()
    home = {"the archive": archive, "inside it": archive / "claude-code",
            "a symlink into it": tmp_path / "link"}[where]  # fmt: skip
    if where == "a symlink into it":
        home.symlink_to(archive / "claude-code")
    code, out, _ = import_transcripts("--claude-home", str(home), "--json")
    summary = json.loads(out)
    assert (code, summary["status"], summary["exit_code"]) == (2, "refused", 2)
    assert "--claude-home" in summary["error"] and "transcript archive" in summary["error"]
    assert copy.read_bytes() == data
    assert MigrationRun.objects.count() == 1
