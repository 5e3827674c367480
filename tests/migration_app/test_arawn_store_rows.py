"""arawn import, workstreams.db: workstreams and sessions, rejections, isolation, re-run,
undo, dry run, the default location (services/legacy_import/arawn_store/rows.py, __init__.py,
undo.py)."""

import datetime as dt
import os

import pytest
from django.db import IntegrityError

from migration_app.legacy.arawn_sample import arawn_sample_write
from migration_app.models import LegacyLogOffset, MigrationRun
from migration_app.services import MigrationError, migration_undo
from migration_app.services.legacy_import.arawn_store.rows import _write_isolated
from migration_app.services.legacy_import.arawn_store.state import session_conversation_id
from projects_app.models import Conversation, Message
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from tests.factories import SessionFactory, WorkstreamFactory
from tests.migration_app.arawn_helpers import arawn, arawn_db, arawn_run, items_of
from tests.migration_app.attach_helpers import tree_digest
from tests.migration_app.legacy_helpers import dump_tables, item_plan, migrate_legacy

pytestmark = pytest.mark.django_db
__all__ = ["arawn"]  # the fixture


def test_workstreams_come_in_with_their_fields_metadata_and_verbatim_state(arawn):
    run = arawn_run(arawn)
    ws = Workstream.objects.get(pk="ws-0000")
    assert (ws.title, ws.summary, ws.is_scratch, ws.state) == (
        "Workstream ws-0000", "About ws-0000", False, "active",
    )  # fmt: skip
    assert ws.metadata == {"source": "arawn", "default_model": "claude-sonnet-4",
                           "tags": ["imported", "team-1"],
                           "arawn_updated_at": "2026-02-01T09:01:01.000000123Z"}  # fmt: skip
    assert ws.created_at == dt.datetime(2026, 2, 1, 9, 0, 1, tzinfo=dt.UTC)
    assert Workstream.objects.get(pk="ws-0003").state == "archived"
    paused = items_of(run, "workstream")["paused-ws"]
    assert Workstream.objects.get(pk="paused-ws").state == "paused"
    assert paused.outcome == "migrated" and "'paused' kept verbatim" in paused.reason
    # arawn's scratch is the hub's; ids that break the name rule are rejected items.
    assert items_of(run, "workstream")["scratch"].outcome == "skipped"
    for bad in arawn.rejected_workstreams:
        assert items_of(run, "workstream")[bad].outcome == "failed"
        assert "breaks the name rule" in items_of(run, "workstream")[bad].reason
    assert run.counts["workstream_migrated"] == len(arawn.workstreams) - 1  # all but scratch


def test_every_session_comes_in_finished_ones_included(arawn):
    arawn_run(arawn)
    sessions = Session.objects.filter(source="arawn")
    assert sorted(sessions.values_list("pk", flat=True)) == sorted(arawn.sessions)
    ended = Session.objects.get(pk=arawn.sessions[1])  # every third session ended
    assert (ended.status, ended.is_terminated) == ("completed", True)
    assert ended.activity_state == "exited"
    assert (
        ended.completed_at
        == ended.terminated_at
        == dt.datetime(2026, 2, 1, 9, 50, 10, tzinfo=dt.UTC)
    )
    assert ended.created_at == dt.datetime(2026, 2, 1, 9, 1, 50, tzinfo=dt.UTC)
    assert ended.metadata == {"turn_count": 1, "summary": "session 1", "compressed": False}
    live = Session.objects.get(pk=arawn.sessions[0])
    assert (live.status, live.is_terminated, live.completed_at) == ("running", False, None)
    assert live.workstream_id == SCRATCH_WORKSTREAM_ID and live.metadata["compressed"] is True
    # One conversation per session, derived from its id.
    assert live.conversation_id == session_conversation_id(live.pk)


def test_a_bad_row_is_a_failed_item_and_the_rest_of_its_batch_lands(arawn):
    SessionFactory(id=arawn.sessions[2])  # a native session holds this id already
    with arawn_db(arawn) as db:
        db.execute("UPDATE sessions SET started_at = 'soon' WHERE id = ?", (arawn.sessions[3],))
        for sid, ws in (("has/slash", "ws-0000"), ("orphan", "has spaces")):
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, '2026-01-01T00:00:00Z', NULL, 0, NULL, 0)",
                (sid, ws),
            )
    run = arawn_run(arawn, batch_size=1000)
    rejected = run.items.filter(subject_type="session", outcome="failed")
    failed = {i.subject_id: i.reason for i in rejected}
    assert failed[arawn.sessions[2]] == "id taken by a native session"
    assert "bad timestamp" in failed[arawn.sessions[3]]
    assert "breaks the name rule" in failed["has/slash"]
    assert "workstream 'has spaces' was not imported" in failed["orphan"]
    assert Session.objects.filter(source="arawn").count() == len(arawn.sessions) - 2
    assert run.status == MigrationRun.Status.PARTIAL


def test_a_row_the_database_refuses_is_retried_alone_in_its_own_savepoint():
    def write(objects):
        if "bad" in objects:
            raise IntegrityError("refused")
        written.extend(objects)

    written = []
    refused = _write_isolated(["a", "bad", "c"], write)
    assert written == ["a", "c"] and [obj for obj, _ in refused] == ["bad"]


def test_a_workstream_already_in_the_hub_is_kept_and_its_sessions_join_it(arawn):
    native = WorkstreamFactory(id="ws-0001", title="mine")
    run = arawn_run(arawn)
    assert items_of(run, "workstream")["ws-0001"].reason.startswith("exists in the hub already")
    native.refresh_from_db()
    assert native.title == "mine" and native.sessions.filter(source="arawn").exists()


def test_a_rerun_skips_everything_and_refreshes_a_session_that_ended_since(arawn):
    first = arawn_run(arawn)
    tables = dump_tables()
    again = arawn_run(arawn)
    assert again.counts.get("migrated", 0) == 0
    assert again.counts["session_skipped"] == first.counts["session_migrated"]
    assert dump_tables() == tables
    # What the hub did to a session since (archived it) is not undone by a re-run.
    Session.objects.filter(pk=arawn.sessions[1]).update(status="archived")
    assert items_of(arawn_run(arawn), "session")[arawn.sessions[1]].outcome == "skipped"
    assert Session.objects.get(pk=arawn.sessions[1]).status == "archived"
    with arawn_db(arawn) as db:
        db.execute(
            "UPDATE sessions SET ended_at = '2026-03-01T00:00:00Z', turn_count = 9 WHERE id = ?",
            (arawn.sessions[0],),
        )
    third = arawn_run(arawn)
    updated = items_of(third, "session")[arawn.sessions[0]]
    assert updated.outcome == "migrated" and updated.reason.startswith("updated")
    session = Session.objects.get(pk=arawn.sessions[0])
    assert (session.status, session.metadata["turn_count"]) == ("completed", 9)
    migration_undo(run=third)
    session.refresh_from_db()
    assert (session.status, session.completed_at, session.metadata["turn_count"]) == (
        "running", None, 0,
    )  # fmt: skip


def test_undo_removes_exactly_what_the_run_wrote(arawn, data_dir):
    native = SessionFactory(id="native-one")
    files_before = tree_digest(data_dir)
    run = arawn_run(arawn)
    assert Message.objects.exists() and LegacyLogOffset.objects.exists()
    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE
    assert list(Session.objects.values_list("pk", flat=True)) == [native.pk]
    assert list(Workstream.objects.values_list("pk", flat=True)) == [SCRATCH_WORKSTREAM_ID]
    assert not Conversation.objects.filter(purpose="arawn").exists()
    assert not Message.objects.exists() and not LegacyLogOffset.objects.exists()
    left = {k: v for k, v in tree_digest(data_dir).items() if v != "dir"}
    assert left == {k: v for k, v in files_before.items() if v != "dir"}
    # And the import can be made again from nothing.
    assert arawn_run(arawn).counts["session_migrated"] == len(arawn.sessions)


def test_undo_keeps_a_workstream_a_hub_session_moved_into_since(arawn):
    run = arawn_run(arawn)
    SessionFactory(id="native-in-ws", workstream_id="ws-0001")
    undone = migration_undo(run=run)
    assert list(
        Workstream.objects.exclude(pk=SCRATCH_WORKSTREAM_ID).values_list("pk", flat=True)
    ) == ["ws-0001"]
    assert "workstream ws-0001 kept: other rows still use it" in undone.counts["undo_notes"]


def test_the_dry_run_journals_what_the_real_run_does_and_writes_nothing(arawn, data_dir):
    tables = dump_tables()
    dry = arawn_run(arawn, dry_run=True)
    assert dump_tables() == tables
    assert not [p for p in tree_digest(data_dir) if not p.startswith("sessionhub")]
    real = arawn_run(arawn)
    assert item_plan(dry) == item_plan(real)
    assert dry.counts["failed"] == real.counts["failed"] > 0  # the refusals too


def test_the_plan_refuses_a_directory_that_is_no_arawn_install(tmp_path, data_dir):
    with pytest.raises(MigrationError, match="cannot be read as an arawn data directory"):
        arawn_run(str(tmp_path))
    with pytest.raises(MigrationError, match="does not exist"):
        arawn_run(str(tmp_path / "nowhere"))
    assert not MigrationRun.objects.exists()


def test_the_source_database_and_tree_are_never_modified(arawn):
    before = tree_digest(arawn.data_dir)
    stamps = {p: os.lstat(os.path.join(arawn.data_dir, p)).st_mtime_ns for p in before}
    arawn_run(arawn)
    assert tree_digest(arawn.data_dir) == before
    assert {p: os.lstat(os.path.join(arawn.data_dir, p)).st_mtime_ns for p in before} == stamps


def test_columns_arawn_added_are_kept_in_metadata_except_secrets(arawn):
    with arawn_db(arawn) as db:
        db.execute("ALTER TABLE sessions ADD COLUMN model TEXT")
        db.execute("ALTER TABLE sessions ADD COLUMN auth_token TEXT")
        db.execute("ALTER TABLE workstreams ADD COLUMN db_password TEXT")
        db.execute("UPDATE sessions SET model = 'llama', auth_token = 'tok-123'")
        db.execute("UPDATE workstreams SET db_password = 'hunter2'")
    arawn_run(arawn)
    session = Session.objects.get(pk=arawn.sessions[0])
    assert session.metadata["arawn"] == {"model": "llama"}
    assert "arawn" not in Workstream.objects.get(pk="ws-0000").metadata
    stored = str(list(Session.objects.values("metadata"))) + str(
        list(Workstream.objects.values("metadata"))
    )
    assert "tok-123" not in stored and "hunter2" not in stored


def test_an_arawn_dir_given_as_another_source_is_refused_with_the_right_command(arawn):
    with pytest.raises(MigrationError, match="has the shape of an arawn store") as refused:
        arawn_run(arawn, source="ao")
    assert f"migrate_legacy --source arawn {arawn.data_dir}" in str(refused.value)
    assert not MigrationRun.objects.exists()


def test_a_rerun_refreshes_a_workstream_arawn_changed_since_and_undo_restores_it(arawn):
    arawn_run(arawn)
    with arawn_db(arawn) as db:
        db.execute(
            "UPDATE workstreams SET title = 'Renamed', state = 'archived',"
            " updated_at = '2026-03-01T00:00:00Z' WHERE id = 'ws-0000'"
        )
        db.execute("INSERT INTO workstream_tags VALUES ('ws-0000', 'new-tag')")
    run = arawn_run(arawn)
    item = items_of(run, "workstream")["ws-0000"]
    assert item.outcome == "migrated" and item.reason.startswith("updated")
    assert items_of(run, "workstream")["ws-0001"].reason == "already imported"
    ws = Workstream.objects.get(pk="ws-0000")
    assert (ws.title, ws.state) == ("Renamed", "archived")
    assert ws.metadata["tags"] == ["imported", "new-tag", "team-1"]
    migration_undo(run=run)
    ws.refresh_from_db()
    assert (ws.title, ws.state, ws.metadata["tags"]) == (
        "Workstream ws-0000", "active", ["imported", "team-1"],
    )  # fmt: skip
    assert ws.updated_at == dt.datetime(2026, 2, 1, 9, 1, 1, tzinfo=dt.UTC)


# --- the default location ----------------------------------------------------------------


def small_store(path) -> None:
    arawn_sample_write(str(path), workstreams=1, sessions=1, messages=1, files=1,
                       edge_cases=False)  # fmt: skip


@pytest.mark.parametrize(
    "stores, read",
    [
        ([".arawn"], ".arawn"),  # no ~/.config/arawn: ~/.arawn
        ([".config/arawn", ".arawn"], ".config/arawn"),  # ~/.config/arawn first
        ([".config/arawn"], ".config/arawn"),
    ],
)
def test_without_a_path_migrate_legacy_reads_the_config_dir_else_the_dot_dir(
    tmp_path, data_dir, monkeypatch, stores, read
):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for store in stores:
        small_store(home / store)
    code, _, err = migrate_legacy("--source", "arawn", "--json")
    assert code == 0, err
    assert MigrationRun.objects.get().params["path"] == str(home / read)
