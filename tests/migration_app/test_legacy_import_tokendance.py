"""migrate_legacy --source tokendance: what comes in and how, on SQLite and PostgreSQL sources."""

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.legacy.minsky_sample import minsky_sqlite_write
from migration_app.legacy.tokendance_sample import T0, SourceRows
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from projects_app import bulk
from projects_app.models import Artifact, Conversation, Message, Workspace
from sessions_app.models import Session, UsageRecord
from tests.migration_app.legacy_helpers import dump_tables, item_plan, migrate_legacy
from tests.migration_app.minsky_helpers import scratch_postgres_source
from tests.migration_app.tokendance_helpers import one_session_world, td_import

pytestmark = pytest.mark.django_db
Outcome = MigrationItem.Outcome
UTC = dt.UTC


def busy_world() -> SourceRows:
    """Two workspaces, sessions in every status spelling, messages in every role spelling,
    artifacts with lineage."""
    rows = SourceRows(uuid.uuid4().hex)
    alice = rows.workspace(name="Alice", slug="team", description="alpha", stats={"n": 1})
    bob = rows.workspace(name="Bob", slug="team", created_at=T0 + dt.timedelta(days=1))
    # PostgreSQL's enum holds both spellings of some labels (the mixed-case trap).
    for n, status in enumerate(["pending", "PENDING", "RUNNING", "active", "COMPLETED",
                                "failed", "CANCELLED", "archived"]):  # fmt: skip
        session = rows.session(
            alice if n % 2 == 0 else bob, status=status, title=f"Task {n}", skill_id="code_x",
            created_at=T0 + dt.timedelta(hours=n), completed_at=T0 + dt.timedelta(days=2),
            context_summary="summary", todo_list=[{"t": 1}], total_tokens_used=7 * n,
            session_type="RETRY", agent_config_id="cfg-1", turn_id="turn-1",
            extra_data={"client": "web"},
        )  # fmt: skip
        # Created out of order on purpose: the conversation is ordered by created_at.
        for m, role in enumerate(["ASSISTANT", "USER", "tool", "SYSTEM"]):
            rows.message(
                session, role=role, content=f"{n}/{m}", thinking="hmm", tool_call_id="call-1",
                citations=[{"url": "https://example.com"}], tokens_used=m, feedback="like",
                created_at=T0 + dt.timedelta(hours=n, minutes=10 - m),
            )  # fmt: skip
        first = rows.artifact(session, name="a.md", is_latest=False, content_preview="v1")
        rows.artifact(
            session,
            name="a.md",
            version=2,
            parent_version_id=first["id"],
            content_preview="v2",
            artifact_type="PPT",
            preview_url="https://p",
        )
    return rows


def test_sessions_come_in_with_the_status_table_and_their_legacy_word(make_source):
    rows = busy_world()
    run = td_import(make_source(rows))
    assert run.status == MigrationRun.Status.SUCCEEDED, run.counts
    by_word = {s.legacy_status: s for s in Session.objects.filter(source="tokendance")}
    assert {word: s.status for word, s in by_word.items()} == {
        "pending": "pending", "PENDING": "pending", "RUNNING": "running", "active": "running",
        "COMPLETED": "completed", "failed": "failed", "CANCELLED": "cancelled",
        "archived": "archived",
    }  # fmt: skip
    session = by_word["RUNNING"]
    source = next(r for r in rows.tables["sessions"] if r["status"] == "RUNNING")
    assert session.pk == source["id"] and session.title == "Task 2"
    assert session.skill_id == "code_x"
    assert session.created_at == T0.replace(tzinfo=UTC) + dt.timedelta(hours=2)
    assert session.completed_at == dt.datetime(2026, 1, 22, 9, tzinfo=UTC)
    assert session.metadata == {  # every column verbatim, `RETRY` not case-folded
        "context_summary": "summary", "todo_list": [{"t": 1}], "total_tokens_used": 14,
        "session_type": "RETRY", "agent_config_id": "cfg-1", "turn_id": "turn-1",
        "extra_data": {"client": "web"},
    }  # fmt: skip


def test_total_tokens_used_becomes_a_usage_record_labelled_tokendance(make_source):
    rows = busy_world()  # total_tokens_used 7 × n; the session with 0 gets no record
    code, _, err = migrate_legacy("--source", "tokendance", make_source(rows))
    assert code == 0, err
    sources = {s["id"]: s for s in rows.tables["sessions"]}
    records = {r.session_id: r for r in UsageRecord.objects.all()}
    assert {pk: r.total_tokens for pk, r in records.items()} == {
        pk: s["total_tokens_used"] for pk, s in sources.items() if s["total_tokens_used"]
    }
    assert len(records) == 7
    for pk, record in records.items():
        session = Session.objects.get(pk=pk)
        assert (record.key, record.origin) == (f"tokendance:{pk}", "tokendance")
        assert (record.workspace_id, record.occurred_at) == (
            session.workspace_id, session.created_at,
        )  # fmt: skip
        # One undivided total: counted, never split nor priced.
        assert (record.input_tokens, record.output_tokens, record.model) == (0, 0, "")
        assert (record.cost_micro_usd, record.price_version) == (None, "")


def test_messages_fill_one_conversation_per_session_in_time_order(make_source):
    rows = busy_world()
    td_import(make_source(rows))
    session = Session.objects.get(legacy_status="RUNNING")
    conversation = session.conversation
    messages = list(conversation.messages.order_by("created_at"))
    assert [m.role for m in messages] == ["system", "tool", "user", "assistant"]
    assert [m.content for m in messages] == ["2/3", "2/2", "2/1", "2/0"]
    assert conversation.message_count == 4
    assert conversation.last_message_at == messages[-1].created_at
    assert conversation.project_id is None and conversation.workspace_id == session.workspace_id
    first = messages[-1]
    assert first.tool_call_id == "call-1" and first.tokens_used == 0
    assert first.extra_data == {
        "thinking": "hmm", "citations": [{"url": "https://example.com"}], "feedback": "like",
    }  # fmt: skip
    assert Conversation.objects.count() == 8


def test_artifacts_keep_lineage_and_object_storage_fields(make_source):
    rows = busy_world()
    td_import(make_source(rows))
    session = Session.objects.get(legacy_status="active")
    first, second = Artifact.objects.filter(conversation=session.conversation).order_by("version")
    assert (first.version, first.is_latest, second.version, second.is_latest) == (1, False, 2, True)
    assert second.parent_version_id == first.pk
    assert first.lineage == second.lineage == first.pk
    assert (second.artifact_type, second.content) == ("ppt", "v2")
    assert second.extra_data["object_storage"] == {
        "file_path": "tokendance/artifacts/report.md", "file_size": 1024,
        "preview_url": "https://p",
    }  # fmt: skip


def test_workspaces_keep_their_ids_and_a_taken_slug_gets_a_number(make_source):
    rows = busy_world()
    run = td_import(make_source(rows))
    alice, bob = rows.tables["workspaces"]
    assert Workspace.objects.get(pk=alice["id"]).slug == "team"
    imported_bob = Workspace.objects.get(pk=bob["id"])
    assert imported_bob.slug == "team-2" and imported_bob.name == "Bob"
    assert imported_bob.metadata["owner_id"] == bob["owner_id"]
    assert Workspace.objects.get(pk=alice["id"]).metadata["description"] == "alpha"
    note = run.items.get(subject_type="workspace", subject_id=bob["id"]).reason
    assert "'team'" in note and "'team-2'" in note


def test_workspace_option_puts_everything_into_one_workspace(make_sqlite_source):
    target = Workspace.objects.create(name="Mine", slug="mine")
    td_import(make_sqlite_source(busy_world()), workspace_slug="mine")
    assert set(Session.objects.values_list("workspace", flat=True)) == {target.pk}
    assert not Workspace.objects.filter(slug__startswith="team").exists()


def test_words_outside_the_documented_sets_come_in_with_a_note(make_sqlite_source):
    rows, workspace, session = one_session_world(status="paused")
    rows.session(workspace, status="Running")
    rows.message(session, role="function", content="f()")
    rows.artifact(session, artifact_type="Spreadsheet")
    run = td_import(make_sqlite_source(rows))
    imported = Session.objects.get(pk=session["id"])
    assert (imported.status, imported.legacy_status) == ("pending", "paused")
    assert Session.objects.get(legacy_status="Running").status == "running"
    message = Message.objects.get()
    assert message.role == "system" and message.extra_data["source_role"] == "function"
    assert Artifact.objects.get().artifact_type == "Spreadsheet"
    reason = run.items.get(subject_type="session", subject_id=session["id"]).reason
    assert "'paused'" in reason and "function" in reason and "'Spreadsheet'" in reason


def test_a_bad_row_is_a_rejected_item_naming_table_id_and_column(make_sqlite_source):
    rows, workspace, session = one_session_world()
    good = rows.message(session, content="fine")
    bad = rows.message(session, tokens_used="lots")
    orphan = rows.message(None, session_id="no-such-session")
    broken = rows.session(workspace, created_at="yesterday")
    run = td_import(make_sqlite_source(rows))
    assert run.status == MigrationRun.Status.PARTIAL
    failed = {i.subject_id: i.reason for i in run.items.filter(outcome=Outcome.FAILED)}
    assert failed == {
        bad["id"]: f"messages id={bad['id']} column tokens_used: expected an integer, "
        "got str 'lots'",
        orphan["id"]: f"messages id={orphan['id']} column session_id: no session 'no-such-session'",
        broken["id"]: f"sessions id={broken['id']} column created_at: expected a timestamp, "
        "got 'yesterday'",
    }
    assert list(Message.objects.values_list("pk", flat=True)) == [uuid.UUID(good["id"])]
    assert Session.objects.get().pk == session["id"]


def test_secrets_are_dropped_everywhere(make_source):
    planted = "PLANTED-" + uuid.uuid4().hex
    rows, workspace, session = one_session_world(
        extra_data={"api_token": planted, "nested": {"Password": planted, "ok": 1},
                    "tokens_used": 5},
    )  # fmt: skip
    workspace["settings"] = {"secret_key": planted, "theme": "dark"}
    rows.message(session, extra_data={"accessToken": planted})
    rows.artifact(session, extra_data={"client_secret": planted})
    run = td_import(make_source(rows))
    dumped = json.dumps(dump_tables(), default=str)
    dumped += json.dumps(list(MigrationItem.objects.values()), default=str)
    assert planted not in dumped
    extra = Session.objects.get().metadata["extra_data"]
    assert extra == {"nested": {"ok": 1}, "tokens_used": 5}
    assert "api_token" in run.items.get(subject_type="session").reason


def test_a_rerun_skips_everything(make_source):
    location = make_source(busy_world())
    td_import(location)
    before = dump_tables()
    again = td_import(location)
    assert again.status == MigrationRun.Status.SUCCEEDED
    assert again.counts["migrated"] == 0 and again.counts["skipped"] == 2 + 8
    assert dump_tables() == before


def test_a_rerun_counts_a_batch_s_message_ids_in_one_statement_on_postgresql(
    make_sqlite_source, monkeypatch
):
    location = make_sqlite_source(busy_world())
    td_import(location)
    monkeypatch.setattr(bulk, "_COUNT_CHUNK", 10)  # 32 message ids: 4 chunks
    with CaptureQueriesContext(connection) as queries:
        again = td_import(location)
    assert again.counts["migrated"] == 0
    counts = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and "projects_app_message" in q["sql"]
    ]  # fmt: skip
    # Within the sessions' conversations on PostgreSQL; SQLite looks each id up, in chunks.
    assert len(counts) == (1 if connection.vendor == "postgresql" else 4)


def test_undo_removes_exactly_what_the_run_created(make_source):
    before = dump_tables()
    run = td_import(make_source(busy_world()))
    assert Session.objects.count() == 8
    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE
    assert dump_tables() == before


def test_a_dry_run_is_the_real_run_rolled_back(make_source):
    location = make_source(busy_world())
    before = dump_tables()
    dry = td_import(location, dry_run=True)
    assert dump_tables() == before
    real = td_import(location)
    assert item_plan(dry) == item_plan(real)
    assert sorted(dry.items.values_list("subject_id", "after")) == sorted(
        real.items.values_list("subject_id", "after")
    )


def test_the_source_is_never_written(make_sqlite_source):
    location = make_sqlite_source(busy_world())
    digest = hashlib.sha256(Path(location).read_bytes()).hexdigest()
    td_import(location)
    assert hashlib.sha256(Path(location).read_bytes()).hexdigest() == digest


def test_a_session_the_database_refuses_fails_alone(make_source):
    rows = busy_world()
    clash = rows.tables["messages"][5]  # a message of the second session
    owner = next(s for s in rows.tables["sessions"] if s["id"] == clash["session_id"])
    # A row of ours already holds that message id: the batch's insert fails as a whole.
    elsewhere = Conversation.objects.create(workspace=Workspace.objects.get(slug="default"))
    Message.objects.create(id=clash["id"], conversation=elsewhere, role="user", content="mine")
    run = td_import(make_source(rows))
    assert run.status == MigrationRun.Status.PARTIAL
    failed = run.items.get(outcome=Outcome.FAILED)
    assert (failed.subject_type, failed.subject_id) == ("session", owner["id"])
    assert failed.reason.startswith(f"sessions id={owner['id']}: IntegrityError")
    assert Session.objects.count() == 7
    assert not Session.objects.filter(pk=owner["id"]).exists()


def test_a_rerun_brings_only_the_rows_added_to_the_source_since(make_sqlite_source):
    rows, _, session = one_session_world()
    rows.message(session, content="first")
    location = make_sqlite_source(rows)
    td_import(location)
    later = SourceRows("later")
    added = later.message(session, content="added later", created_at=T0 + dt.timedelta(days=1))
    connection = sqlite3.connect(location)
    later.write(connection, "sqlite", create=False)
    connection.close()
    again = td_import(location)
    item = again.items.get(subject_type="session")
    assert item.outcome == Outcome.MIGRATED
    assert (item.after["session_created"], item.after["messages"]) == (False, [added["id"]])
    conversation = Session.objects.get().conversation
    assert conversation.message_count == 2 and conversation.last_message_at.day == 21


def test_a_refused_session_fails_alone_also_in_batches_of_one(make_sqlite_source):
    rows = busy_world()
    clash = rows.tables["messages"][0]
    elsewhere = Conversation.objects.create(workspace=Workspace.objects.get(slug="default"))
    Message.objects.create(id=clash["id"], conversation=elsewhere, role="user", content="mine")
    run = td_import(make_sqlite_source(rows), batch_size=1)
    assert run.status == MigrationRun.Status.PARTIAL
    assert run.items.filter(outcome=Outcome.FAILED).count() == 1
    assert Session.objects.count() == 7


def test_lineage_crosses_batches_whichever_comes_first(make_source):
    rows, workspace, first_session = one_session_world()
    later_session = rows.session(workspace)
    # Session ids decide the batch order (keyset by id); put the child in either one.
    early, late = sorted([first_session, later_session], key=lambda s: s["id"])
    v1 = rows.artifact(late, is_latest=False, content_preview="v1")
    v2 = rows.artifact(early, version=2, parent_version_id=v1["id"], is_latest=False)
    v3 = rows.artifact(late, version=3, parent_version_id=v2["id"])
    run = td_import(make_source(rows), batch_size=1)
    assert run.status == MigrationRun.Status.SUCCEEDED, list(run.items.values("reason"))
    stored = {str(a.pk): a for a in Artifact.objects.all()}
    assert {a.lineage for a in stored.values()} == {uuid.UUID(v1["id"])}
    assert stored[v2["id"]].parent_version_id == uuid.UUID(v1["id"])
    assert stored[v3["id"]].parent_version_id == uuid.UUID(v2["id"])
    assert [a.is_latest for a in sorted(stored.values(), key=lambda a: a.version)] == [
        False, False, True,
    ]  # fmt: skip


def test_messages_without_a_session_come_in_when_their_conversation_does(make_source):
    rows, workspace, session = one_session_world()
    project = rows.project(workspace)
    conversation = rows.conversation(project)
    native = [rows.message(None, conversation_id=conversation["id"], content=f"{n}") for n in "ab"]
    lost = rows.message(None, content="no session, no conversation")
    run = td_import(make_source(rows))
    migrated = set(
        run.items.filter(subject_type="message", outcome=Outcome.MIGRATED).values_list(
            "subject_id", flat=True
        )
    )
    assert migrated == {m["id"] for m in native}
    assert Conversation.objects.get(pk=conversation["id"]).message_count == 2
    failed = run.items.get(subject_type="message", outcome=Outcome.FAILED)
    assert failed.subject_id == lost["id"] and "column conversation_id" in failed.reason


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_a_minsky_database_is_refused_naming_source_minsky(tmp_path, vendor):
    with contextlib.ExitStack() as stack:
        if vendor == "sqlite":
            location = str(tmp_path / "sessions.db")
            minsky_sqlite_write(location)
        else:
            row = {"session": "pg-1", "repo_name": "acme/w", "repo_url": "https://x/acme/w.git",
                   "created_at": "2025-04-01T09:00:00+00"}  # fmt: skip
            location = stack.enter_context(scratch_postgres_source([row]))
        code, _, err = migrate_legacy("--source", "tokendance", location)
        assert code == 2
        assert "is not a tokendance store: it has the shape of a minsky store" in err
        assert f"Run: python manage.py migrate_legacy --source minsky {location}" in err
        code, out, _ = migrate_legacy("--source", "tokendance", location, "--json")
    summary = json.loads(out)
    assert (code, summary["exit_code"]) == (2, 2) and "--source minsky" in summary["error"]
    assert not MigrationRun.objects.exists() and not Session.objects.exists()
