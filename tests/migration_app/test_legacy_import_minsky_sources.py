"""migrate_legacy --source minsky from each store shape and through the commands; a store
of another shape is refused up front, naming the right --source; task ids imported in
minsky's form are found by the task commands with no special case."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from migration_app.legacy.arawn_sample import arawn_sample_write
from migration_app.legacy.minsky_sample import (
    PROJECT_ID,
    SAMPLE_TOKEN,
    minsky_json_write,
    minsky_sqlite_write,
)
from migration_app.legacy.tokendance_sample import SourceRows
from migration_app.models import MigrationRun
from migration_app.services import migration_undo
from projects_app.models import Project
from sessions_app.models import Session
from sessions_app.selectors import find_sessions_by_task_id
from tests.migration_app.legacy_helpers import migrate_legacy
from tests.migration_app.minsky_helpers import (
    database_text,
    minsky_import,
    scratch_postgres_source,
    session_counts,
)
from tests.migration_app.task_helpers import migrate_task_backend, reassociate_task, task_ids

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def sessions_db(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path))
    return path


def test_a_sqlite_sessions_db_imports(sessions_db):
    run = minsky_import(sessions_db)
    # Ids are unique in a table: the sample's duplicate and id-less records are not there.
    assert session_counts(run) == (14, 0, 0)  # `paused` too, as pending
    head = Session.objects.get(pk="6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b")
    assert (head.task_id, head.agent_session_id, head.status) == (
        "mt#123",
        "claude-7c1e",
        "running",
    )
    assert head.metadata["prApproved"] is True and head.metadata["pullRequest"]["number"] == 41
    assert head.activity_last_at == dt.datetime(2025, 3, 2, 10, 30, tzinfo=UTC)
    assert Session.objects.get(pk="task-md#123").created_at == dt.datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )
    assert session_counts(minsky_import(sessions_db)) == (0, 14, 0)
    assert SAMPLE_TOKEN not in database_text()


PG_ROWS = [
    {"session": "pg-1", "repo_name": "acme/widgets", "repo_url": "https://github.com/acme/w.git",
     "created_at": "2025-04-01T09:00:00+00", "task_id": "123", "status": "PR_OPEN",
     "pr_approved": "false", "pr_state": {"branchName": "pr/pg-1", "exists": True},
     "pull_request": {"number": 5, "url": "https://github.com/acme/w/pull/5"},
     "backend_type": "github", "last_activity_at": "1743500000000", "commit_count": 2,
     "last_commit_hash": "abc", "agent_id": "agent-pg", "short_id": "ws#3",
     "project_id": PROJECT_ID, "interface_binding": {"kind": "tab", "sessionToken": "tkn-x"}},
    {"session": "pg-2", "repo_name": "acme/widgets", "repo_url": "https://github.com/acme/w.git",
     "created_at": "2025-04-02T09:00:00+00", "task_id": "task#283", "status": "MERGED",
     "pr_approved": "true", "pr_branch": "pr/pg-2"},
    {"session": "pg-3", "repo_name": "acme/gizmo", "repo_url": "https://github.com/acme/g.git",
     "created_at": "2025-04-03T09:00:00+00", "task_id": "update-test"},
]  # fmt: skip


def test_a_postgres_source_with_minskys_snake_case_columns():
    with scratch_postgres_source(PG_ROWS) as url:
        secret_url = url.replace("postgres@", "postgres:pw-n0t-stored@")  # trust: any password
        run = minsky_import(secret_url)
        assert session_counts(run) == (3, 0, 0)
        assert run.params["path"] == url
        assert session_counts(minsky_import(secret_url)) == (0, 3, 0)
    one = Session.objects.get(pk="pg-1")
    assert (one.task_id, one.status, one.agent_session_id) == ("md#123", "running", "agent-pg")
    assert one.created_at == dt.datetime(2025, 4, 1, 9, tzinfo=UTC)
    assert one.activity_last_at == dt.datetime(2025, 4, 1, 9, 33, 20, tzinfo=UTC)  # ms text
    assert one.project_id == PROJECT_ID and one.issue_url == "https://github.com/acme/w/pull/5"
    assert one.metadata["prApproved"] is False and one.metadata["prState"]["exists"] is True
    assert one.metadata["interfaceBinding"] == {"kind": "tab"}
    assert (one.metadata["shortId"], one.metadata["commitCount"]) == ("ws#3", 2)
    two = Session.objects.get(pk="pg-2")
    assert (two.task_id, two.branch, two.is_terminated) == ("task#283", "pr/pg-2", True)
    assert two.metadata["prApproved"] is True
    assert Session.objects.get(pk="pg-3").task_id == "update-test"
    # pg-1's project_id; pg-2 and pg-3 one project per repository.
    assert Project.objects.get(pk=PROJECT_ID).sessions.get().pk == "pg-1"
    assert Session.objects.get(pk="pg-2").project.repo_origin_url == "https://github.com/acme/w.git"
    assert Project.objects.count() == 3
    text = database_text()
    assert "pw-n0t-stored" not in text and "tkn-x" not in text


def test_an_unreachable_postgres_source_is_refused():
    with pytest.raises(Exception, match="cannot be read as a minsky database"):
        minsky_import("postgres://postgres:secretpw@127.0.0.1:1/none")
    assert not MigrationRun.objects.exists()


# --- task ids after the import --------------------------------------------------------------


def test_reassociate_md123_to_mt123_finds_every_imported_spelling(tmp_path):
    from migration_app.legacy.minsky_sample import minsky_json_write

    records = [
        {"sessionId": sid, "repoName": "r", "repoUrl": "u", "createdAt": "2025-01-01",
         "taskId": raw}
        for sid, raw in [("plain", "123"), ("hash", "#123"), ("word", "Task#123"),
                         ("hashes", "##123"), ("qualified", "md#123"), ("other", "mt#124")]
    ]  # fmt: skip
    minsky_json_write(str(tmp_path / "s.json"), records)
    minsky_import(tmp_path / "s.json")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert run.counts["sessions_updated"] == 5
    assert task_ids("plain", "hash", "word", "hashes", "qualified", "other") == [
        "mt#123", "mt#123", "mt#123", "mt#123", "mt#123", "mt#124",
    ]  # fmt: skip


def test_task_commands_find_the_two_values_minsky_stores_as_they_are(tmp_path):
    from migration_app.legacy.minsky_sample import minsky_json_write

    records = [
        {"sessionId": "legacy", "repoName": "r", "repoUrl": "u", "createdAt": "2025-01-01",
         "taskId": "task#283"},
        {"sessionId": "bare", "repoName": "r", "repoUrl": "u", "createdAt": "2025-01-01",
         "taskId": "update-test"},
    ]  # fmt: skip
    minsky_json_write(str(tmp_path / "s.json"), records)
    minsky_import(tmp_path / "s.json")
    assert task_ids("legacy", "bare") == ["task#283", "update-test"]
    assert list(find_sessions_by_task_id(task_id="md#283").values_list("pk", flat=True)) == [
        "legacy"
    ]
    assert [s.pk for s in find_sessions_by_task_id(task_id="update-test")] == ["bare"]
    backend = migrate_task_backend(from_backend="md", to_backend="mt", execute=True)
    assert backend.counts["sessions_updated"] == 1 and task_ids("legacy") == ["mt#283"]
    moved = reassociate_task(old_task_id="md#update-test", new_task_id="mt#update-test")
    assert moved.counts["sessions_updated"] == 1 and task_ids("bare") == ["mt#update-test"]
    migration_undo(run=moved)
    migration_undo(run=backend)
    assert task_ids("legacy", "bare") == ["task#283", "update-test"]


# --- the commands ----------------------------------------------------------------------------


# The JSON sample carries rejects on purpose (exit 1); a SQLite table cannot hold them.
@pytest.mark.parametrize("name, code", [("sample.json", 1), ("sample.db", 0)])
def test_make_sample_store_then_migrate_legacy(tmp_path, name, code):
    dest = tmp_path / name
    out = StringIO()
    call_command("make_sample_store", str(dest), "--source", "minsky", stdout=out)
    assert f"migrate_legacy --source minsky {dest}" in out.getvalue()
    exit_code, summary, _ = migrate_legacy("--source", "minsky", str(dest), "--json")
    assert exit_code == code
    counts = json.loads(summary)["counts"]
    assert counts["session_migrated"] == Session.objects.filter(source="minsky").count() == 14


def test_migrate_legacy_reads_the_default_location(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    (tmp_path / "minsky").mkdir()
    minsky_sqlite_write(str(tmp_path / "minsky" / "sessions.db"))
    assert migrate_legacy("--source", "minsky", "--json")[0] == 0
    run = MigrationRun.objects.get()
    assert run.params["path"] == str(tmp_path / "minsky" / "sessions.db")
    assert run.params["shape"] == "sqlite"


def test_migrate_legacy_refuses_a_missing_source_with_exit_2(tmp_path):
    with pytest.raises(CommandError, match="does not exist") as refused:
        call_command("migrate_legacy", "--source", "minsky", str(tmp_path / "nope.json"))
    assert refused.value.returncode == 2


# --- a store of another origin ---------------------------------------------------------------


def refusal(*args) -> tuple[str, dict]:
    """The refusal's message, then its --json object; asserts exit 2 and nothing recorded."""
    code, _, err = migrate_legacy(*args)
    assert code == 2, err
    code, out, _ = migrate_legacy(*args, "--json")
    assert code == 2 and out.count("\n") == 1  # one JSON object, alone on stdout
    summary = json.loads(out)
    assert summary["exit_code"] == 2
    assert not MigrationRun.objects.exists() and not Session.objects.exists()
    return err, summary


def test_a_tokendance_database_is_refused_naming_source_tokendance(make_source):
    rows = SourceRows("td")
    rows.session(rows.workspace(name="Alice", slug="alice"))
    location = make_source(rows)  # a SQLite file, then a PostgreSQL database
    err, summary = refusal("--source", "minsky", location)
    assert "is not a minsky store: it has the shape of a tokendance store" in err
    assert f"Run: python manage.py migrate_legacy --source tokendance {location}" in err
    assert "--source tokendance" in summary["error"]


def test_arawns_workstreams_db_is_refused_naming_its_data_dir(tmp_path, data_dir):
    sample = arawn_sample_write(str(tmp_path / "arawn"))
    err, _ = refusal("--source", "minsky", f"{sample.data_dir}/workstreams.db")
    assert "is not a minsky store: it is part of an arawn store" in err
    assert f"migrate_legacy --source arawn {sample.data_dir}" in err


@pytest.mark.parametrize(
    "document, why",
    [
        ({"workstreams": [{"id": "w1"}]}, "it has no `sessions` key"),
        ({"sessions": [{"id": "x", "title": "t"}]}, "none of its 1 entries is a session record"),
        ([{"id": "x"}, "text"], "none of its 2 entries is a session record"),
    ],
)
def test_a_json_document_not_of_minskys_shape_is_refused(tmp_path, document, why):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document))
    err, summary = refusal("--source", "minsky", str(path))
    assert f"{path} is not a minsky session-db.json: {why}" in err
    assert why in summary["error"]
    # An empty `sessions` list is minsky's own: nothing to import, not refused.
    minsky_json_write(str(path), [])
    assert session_counts(minsky_import(path)) == (0, 0, 0)
