"""TokenDance session files → document artifacts, --path-map, and migrate_legacy's surface."""

import json
import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from migration_app.legacy.tokendance_files import FILE_MAX_BYTES
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from projects_app.models import Artifact
from sessions_app.models import Session
from tests.migration_app.tokendance_helpers import one_session_world, td_import

pytestmark = pytest.mark.django_db
Outcome = MigrationItem.Outcome
PLAN = b"---\nstatus: in_progress\ncreated_at: 2026-01-20T09:00:00Z\n---\r\n# Plan \xe2\x9c\x93\n"


def world_with_files(tmp_path, *, stored_path=None):
    """One session whose planning files sit under tmp_path/files/ws/sessions/<id>/."""
    base = tmp_path / "files" / "ws"
    rows, workspace, session = one_session_world()
    workspace["filesystem_path"] = stored_path or str(base)
    directory = base / "sessions" / session["id"]
    directory.mkdir(parents=True)
    (directory / "task_plan.md").write_bytes(PLAN)
    (directory / "findings.md").write_text("# Findings\n- 调研 done\n", encoding="utf-8")
    (directory / "notes").mkdir()
    (directory / "notes" / "progress.md").write_text("step 1\n")
    return rows, session, directory


def test_session_files_become_document_artifacts_byte_exact(tmp_path, make_sqlite_source):
    rows, session, directory = world_with_files(tmp_path)
    (directory / "latin.md").write_bytes(b"Caf\xe9\n")
    (directory / "huge.log").write_bytes(b"x" * (FILE_MAX_BYTES + 1))
    run = td_import(make_sqlite_source(rows))
    conversation = Session.objects.get().conversation
    files = {a.name: a for a in Artifact.objects.filter(conversation=conversation)}
    assert set(files) == {"task_plan.md", "findings.md", "notes/progress.md"}
    for name, artifact in files.items():
        assert artifact.content.encode() == (directory / name).read_bytes()
        assert artifact.artifact_type == "document"
        assert artifact.extra_data["session_file"]["relative_path"] == name
    assert files["task_plan.md"].mime_type == "text/markdown"
    assert run.status == MigrationRun.Status.PARTIAL
    rejected = dict(
        run.items.filter(subject_type="session_file").values_list("subject_id", "reason")
    )
    assert rejected.keys() == {f"{session['id']}/latin.md", f"{session['id']}/huge.log"}
    assert rejected[f"{session['id']}/latin.md"].endswith("latin.md: not UTF-8 (byte 3)")
    assert "over the" in rejected[f"{session['id']}/huge.log"]


def test_session_files_are_skipped_on_a_rerun_and_undone_with_the_run(tmp_path, make_sqlite_source):
    rows, _, _ = world_with_files(tmp_path)
    location = make_sqlite_source(rows)
    first = td_import(location)
    again = td_import(location)
    assert again.counts["migrated"] == 0
    assert again.counts["session_files_already_imported"] == 3
    assert Artifact.objects.count() == 3
    migration_undo(run=first)
    assert not Artifact.objects.exists() and not Session.objects.exists()


def test_path_map_reads_files_where_they_live_now(tmp_path, make_sqlite_source):
    rows, _, _ = world_with_files(tmp_path, stored_path="/old/server/ws")
    location = make_sqlite_source(rows)
    td_import(location, dry_run=False)
    assert not Artifact.objects.exists()  # the stored path does not exist here
    td_import(location, path_map=[f"/old/server={tmp_path / 'files'}"])
    assert Artifact.objects.count() == 3


def test_migrate_legacy_takes_path_map_and_reports_json(tmp_path, make_sqlite_source):
    rows, _, _ = world_with_files(tmp_path, stored_path="/old/server/ws")
    location = make_sqlite_source(rows)
    out = StringIO()
    call_command(
        "migrate_legacy", "--source", "tokendance", location, "--json",
        "--path-map", "/nowhere=/else", "--path-map", f"/old/server={tmp_path / 'files'}",
        stdout=out,
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["status"] == "succeeded" and summary["path"] == location
    assert summary["counts"]["session_migrated"] == 1
    assert Artifact.objects.count() == 3


@pytest.mark.parametrize(
    "location, message",
    [
        ("postgres://td:hunter2@127.0.0.1:5432/td", "PGPASSWORD"),
        ("{tmp}/nothing.sqlite3", "is not a file"),
        ("{tmp}", "is not a file"),
    ],
)
def test_migrate_legacy_refuses_what_it_cannot_import(tmp_path, location, message):
    out = StringIO()
    with pytest.raises(CommandError, match=message) as refused:
        call_command(
            "migrate_legacy", "--source", "tokendance", location.format(tmp=tmp_path), stdout=out
        )
    assert refused.value.returncode == 2
    assert "hunter2" not in str(refused.value)
    assert not MigrationRun.objects.exists()


def test_an_older_tokendance_schema_imports_with_missing_columns_as_null(tmp_path):
    """Before the project-first migration: no projects, conversations or artifacts tables,
    no messages.conversation_id."""
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE workspaces (id VARCHAR(36) PRIMARY KEY, name TEXT, slug TEXT);
        CREATE TABLE sessions (id VARCHAR(36) PRIMARY KEY, workspace_id TEXT, title TEXT,
                               status TEXT, created_at DATETIME);
        CREATE TABLE messages (id VARCHAR(36) PRIMARY KEY, session_id TEXT, role TEXT,
                               content TEXT, created_at DATETIME);
        INSERT INTO workspaces VALUES ('6a1f3b9e-0d4c-4c55-9d6e-2f1a7b8c9d01', 'Old', 'old');
        INSERT INTO sessions VALUES ('s-1', '6a1f3b9e-0d4c-4c55-9d6e-2f1a7b8c9d01', 'Hi',
                                     'ACTIVE', '2025-12-01 10:00:00');
        INSERT INTO messages VALUES ('0b7e4c1d-8f2a-4e6b-9c3d-5a1e2f3b4c5d', 's-1', 'USER',
                                     'hello', '2025-12-01 10:00:01');
        """
    )
    connection.close()
    run = td_import(str(path))
    assert run.status == MigrationRun.Status.SUCCEEDED, list(run.items.values("reason"))
    session = Session.objects.get(pk="s-1")
    assert (session.status, session.legacy_status) == ("running", "ACTIVE")
    assert session.conversation.messages.get().role == "user"


def test_a_database_of_another_origin_is_refused(tmp_path):
    path = tmp_path / "ao.db"
    connection = sqlite3.connect(path)
    connection.executescript("CREATE TABLE projects (id TEXT); CREATE TABLE sessions (id TEXT);")
    connection.close()
    with pytest.raises(
        CommandError, match="not a TokenDance database: no table workspaces, messages"
    ):
        call_command("migrate_legacy", "--source", "tokendance", str(path), stdout=StringIO())
