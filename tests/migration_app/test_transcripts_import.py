"""import_transcripts (services/transcripts): archive, messages, linking, incremental
reads, dry run and undo, on real files and the real database."""

import json
import os

import pytest
from django.db import connection

from migration_app.legacy import transcript_rows
from migration_app.models import MigrationRun, TranscriptFile
from migration_app.services import migration_undo
from migration_app.services.transcripts import files as transcript_files
from projects_app.models import Conversation, Message, Source
from sessions_app.models import Session, UsageRecord
from tests.factories import ConversationFactory, ProjectFactory, SessionFactory
from tests.migration_app.legacy_helpers import dump_tables, item_plan, list_files
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    CODEX_THREAD,
    CWD,
    claude_assistant,
    claude_path,
    claude_session,
    claude_user,
    codex_count,
    codex_line,
    codex_session,
    homes,
    lines_write,
    transcripts_run,
    usage,
)
from tests.projects_app.test_db_tuning import planner_rows, statistics_of_empty_tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(tmp_path, data_dir):
    claude, codex = homes(tmp_path)
    return claude_session(claude), codex_session(codex)


def _archive(data_dir, source, path, home):
    return data_dir / "transcripts" / source / path.relative_to(home)


def _messages(session):
    return list(
        Message.objects.filter(conversation_id=session.conversation_id).order_by(
            "extra_data__offset", "tool_call_id"
        )
    )


def test_first_import_archives_byte_exact_and_makes_native_sessions(tmp_path, data_dir, both):
    claude_file, codex_file = both
    run = transcripts_run(tmp_path)
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert (
        _archive(data_dir, "claude-code", claude_file, tmp_path / "claude").read_bytes()
        == claude_file.read_bytes()
    )
    assert (
        _archive(data_dir, "codex", codex_file, tmp_path / "codex").read_bytes()
        == codex_file.read_bytes()
    )
    claude = Session.objects.get(agent_session_id=CLAUDE_UUID)
    codex = Session.objects.get(agent_session_id=CODEX_THREAD)
    assert (claude.source, claude.project, claude.workspace.slug) == (
        Source.CLAUDE_CODE,
        None,
        "default",
    )
    assert (codex.source, codex.workspace_path) == (Source.CODEX, CWD)
    roles = [m.role for m in _messages(claude)]
    assert roles == ["user", "assistant", "tool", "system"]
    assistant, tool = _messages(claude)[1:3]
    assert assistant.extra_data["usage"] == {
        "input": 10,
        "output": 30,
        "cache_write": 100,
        "cache_read": 5,
    }
    assert assistant.extra_data["model"] == "claude-sonnet-4-5"
    assert assistant.extra_data["thinking"] == ["look first"]
    assert assistant.tokens_used == 40
    assert [r["uuid"] for r in assistant.extra_data["records"]] == ["a1", "a2", "a3"]
    assert (tool.tool_call_id, tool.extra_data["is_error"]) == ("toolu_1", True)
    summary = _messages(claude)[3]
    assert summary.extra_data["record_type"] == "summary"
    assert Conversation.objects.get(pk=claude.conversation_id).message_count == 4
    calls = [m for m in _messages(codex) if m.tool_calls]
    assert calls[0].extra_data["usage"]["cache_read"] == 800
    assert run.counts["messages_imported"] == 10
    kept = TranscriptFile.objects.get(path=str(claude_file))
    assert (kept.offset, kept.size) == (claude_file.stat().st_size,) * 2


def test_second_run_over_the_same_files_skips_everything(tmp_path, data_dir, both):
    transcripts_run(tmp_path)
    before = dump_tables()
    again = transcripts_run(tmp_path)
    assert again.counts["migrated"] == 0 and again.counts["files_unchanged"] == 2
    assert dump_tables() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_an_import_that_wrote_leaves_the_planner_statistics_of_its_messages(
    tmp_path, data_dir, both
):
    statistics_of_empty_tables(Message)
    transcripts_run(tmp_path, dry_run=True)
    assert planner_rows(Message) == 0  # a dry run analyses nothing (ANALYZE is not undone)
    transcripts_run(tmp_path)
    assert Message.objects.exists() and planner_rows(Message) == Message.objects.count()


def test_rerun_reads_only_the_appended_bytes(tmp_path, data_dir, both, monkeypatch):
    claude_file, _ = both
    transcripts_run(tmp_path)
    size = claude_file.stat().st_size
    lines_write(claude_file, [
        claude_assistant("a4", "msg_2", {"type": "text", "text": "Made."}, usage=usage(3, 2)),
        claude_user("u3", "thanks"),
    ], append=True)  # fmt: skip
    offsets = []
    reader = transcript_rows.READERS["claude-code"]

    def spy(path, *, offset, end):
        offsets.append(offset)
        return reader(path, offset=offset, end=end)

    monkeypatch.setitem(transcript_rows.READERS, "claude-code", spy)
    run = transcripts_run(tmp_path)
    assert offsets == [size]
    assert run.counts["bytes_archived"] == claude_file.stat().st_size - size
    archive = _archive(data_dir, "claude-code", claude_file, tmp_path / "claude")
    assert archive.read_bytes() == claude_file.read_bytes()
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assert [m.content for m in _messages(session)][-2:] == ["Made.", "thanks"]
    assert len(_messages(session)) == 6


def test_a_streamed_message_cut_between_runs_is_one_message(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    path = lines_write(claude_path(claude), [
        claude_user("u1", "go"),
        claude_assistant("a1", "msg_9", {"type": "text", "text": "one"}, usage=usage(5, 1)),
    ])  # fmt: skip
    transcripts_run(tmp_path)
    lines_write(path, [claude_assistant("a2", "msg_9", {"type": "text", "text": "two"},
                                        usage=usage(5, 7))], append=True)  # fmt: skip
    run = transcripts_run(tmp_path)
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assistant = [m for m in _messages(session) if m.role == "assistant"]
    assert [(m.content, m.extra_data["usage"]["output"]) for m in assistant] == [("one\n\ntwo", 7)]
    assert run.counts["messages_updated"] == 1
    migration_undo(run=run)
    assistant = [m for m in _messages(session) if m.role == "assistant"]
    assert [(m.content, m.extra_data["usage"]["output"]) for m in assistant] == [("one", 1)]


def test_a_codex_rollout_read_on_keeps_its_turns_model_and_price(tmp_path, data_dir, both):
    codex_file = both[1]
    transcripts_run(tmp_path)
    said = {"type": "message", "role": "assistant", "content": "Fixed."}
    lines_write(codex_file, [codex_line("response_item", said), codex_count(3300, 90, 1100, 20)],
                append=True)  # fmt: skip
    transcripts_run(tmp_path)
    session = Session.objects.get(agent_session_id=CODEX_THREAD)
    fixed = next(m for m in _messages(session) if m.content == "Fixed.")
    assert fixed.extra_data["model"] == "gpt-5-codex"
    record = UsageRecord.objects.get(message_id=fixed.pk)
    assert (record.model, record.output_tokens) == ("gpt-5-codex", 20)
    assert record.cost_micro_usd is not None
    models = UsageRecord.objects.filter(session=session).values_list("model", flat=True)
    assert set(models) == {"gpt-5-codex"}


def test_a_half_written_line_waits_and_is_not_archived(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    path = lines_write(claude_path(claude), [claude_user("u1", "a")], tail=b'{"type": "user", "uu')
    transcripts_run(tmp_path)
    archive = _archive(data_dir, "claude-code", path, claude)
    assert archive.read_bytes() == path.read_bytes()[: -len(b'{"type": "user", "uu')]
    with open(path, "ab") as handle:
        handle.write(b'id": "u2", "message": {"content": "b"}}\n')
    transcripts_run(tmp_path)
    assert archive.read_bytes() == path.read_bytes()
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assert [m.content for m in _messages(session)] == ["a", "b"]


def test_a_bad_line_is_a_failed_item_and_the_rest_is_imported(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    path = lines_write(
        claude_path(claude), [claude_user("u1", "a"), "{broken", claude_user("u2", "b")]
    )
    run = transcripts_run(tmp_path)
    assert run.status == MigrationRun.Status.PARTIAL
    failed = run.items.get(outcome="failed")
    assert failed.subject_type == "transcript_line"
    assert failed.subject_id == f"{path}@{len(json.dumps(claude_user('u1', 'a'))) + 1}"
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    assert [m.content for m in _messages(session)] == ["a", "b"]


def test_a_rewritten_file_is_read_again_without_duplicates(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    path = lines_write(claude_path(claude), [claude_user("u1", "a"), claude_user("u2", "b")])
    old = path.read_bytes()
    transcripts_run(tmp_path)
    lines_write(path, [claude_user("u1", "A!")])  # shorter: the file shrank
    run = transcripts_run(tmp_path)
    assert run.counts["files_reread"] == 1
    note = run.items.get(subject_type="transcript_file", outcome="skipped")
    assert "read again from 0" in note.reason
    archive = _archive(data_dir, "claude-code", path, claude)
    assert archive.read_bytes() == path.read_bytes()
    assert (archive.parent / f"{archive.name}.replaced-1").read_bytes() == old
    session = Session.objects.get(agent_session_id=CLAUDE_UUID)
    # u1 is the same record (same uuid): updated, not duplicated; u2 stays imported.
    assert sorted(m.content for m in _messages(session)) == ["A!", "b"]
    migration_undo(run=run)
    assert archive.read_bytes() == old
    assert sorted(m.content for m in _messages(session)) == ["a", "b"]


def test_dry_run_plans_the_same_items_and_writes_nothing(tmp_path, data_dir, both):
    lines_write(both[0], ["{broken"], append=True)
    before, files = dump_tables(), list_files(data_dir)
    dry = transcripts_run(tmp_path, dry_run=True)
    assert dump_tables() == before and list_files(data_dir) == files
    assert not TranscriptFile.objects.exists()
    real = transcripts_run(tmp_path)
    assert dry.status == real.status == MigrationRun.Status.PARTIAL
    assert item_plan(dry) == item_plan(real)


def test_undo_removes_what_the_run_made(tmp_path, data_dir, both):
    before, files = dump_tables(), list_files(data_dir)
    run = transcripts_run(tmp_path)
    assert Session.objects.count() == 2
    migration_undo(run=run)
    assert dump_tables() == before
    assert list_files(data_dir) == files
    assert not TranscriptFile.objects.exists()
    again = transcripts_run(tmp_path)
    assert again.counts["messages_imported"] == 10


def test_undo_of_an_appending_run_cuts_the_archive_back(tmp_path, data_dir, both):
    claude_file, _ = both
    transcripts_run(tmp_path)
    first = claude_file.read_bytes()
    lines_write(claude_file, [claude_user("u9", "more")], append=True)
    run = transcripts_run(tmp_path)
    migration_undo(run=run)
    archive = _archive(data_dir, "claude-code", claude_file, tmp_path / "claude")
    assert archive.read_bytes() == first
    assert TranscriptFile.objects.get(path=str(claude_file)).offset == len(first)
    assert transcripts_run(tmp_path).counts["messages_imported"] == 1


def test_a_transcript_joins_the_session_with_its_agent_session_id(tmp_path, data_dir, both):
    ao = SessionFactory(id="app-7", source=Source.AO, agent_session_id=CLAUDE_UUID)
    conv = ConversationFactory()
    codex = SessionFactory(
        id="app-8", source=Source.AO, agent_session_id=CODEX_THREAD, conversation=conv
    )
    run = transcripts_run(tmp_path)
    assert Session.objects.count() == 2
    ao.refresh_from_db()
    assert [m.role for m in _messages(ao)][:2] == ["user", "assistant"]
    assert Message.objects.filter(conversation=conv).count() == 6
    assert run.items.filter(subject_type="session_link").count() == 1
    migration_undo(run=run)
    ao.refresh_from_db()
    assert ao.conversation_id is None and not Message.objects.exists()
    # A conversation the session had before the run stays; only the run's messages go.
    codex.refresh_from_db()
    assert codex.conversation_id == conv.pk and Conversation.objects.filter(pk=conv.pk).exists()


def test_a_native_session_goes_to_the_project_at_its_cwd(tmp_path, data_dir, both):
    project = ProjectFactory(path=CWD)
    SessionFactory(project=project, num=3)
    transcripts_run(tmp_path)
    made = Session.objects.filter(project=project, source__in=[Source.CLAUDE_CODE, Source.CODEX])
    assert sorted(made.values_list("num", flat=True)) == [4, 5]
    assert {s.workspace_id for s in made} == {project.workspace_id}


def test_a_subagent_is_a_conversation_of_its_parent_session(tmp_path, data_dir, both):
    claude_file, _ = both
    sub = claude_file.parent / CLAUDE_UUID / "subagents" / "agent-x.jsonl"
    lines_write(sub, [claude_user("s1", "look around", session=CLAUDE_UUID)])
    transcripts_run(tmp_path)
    parent = Session.objects.get(agent_session_id=CLAUDE_UUID)
    conv = Conversation.objects.get(extra_data__subagent="agent-x")
    assert conv.extra_data["parent_session"] == parent.pk and conv.pk != parent.conversation_id
    assert [m.content for m in conv.messages.all()] == ["look around"]
    assert Session.objects.count() == 2


def test_secrets_in_records_are_dropped_and_token_counts_kept(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    call = {"type": "tool_use", "id": "t1", "name": "Bash",
            "input": {"command": "go", "env": {"API_KEY": "sk-live-1", "HOME": "/h"}}}  # fmt: skip
    line = claude_assistant("a1", "m1", call, usage=usage(4, 2, 1, 1))
    line["apiKey"] = "sk-secret-2"
    path = lines_write(claude_path(claude), [line])
    transcripts_run(tmp_path)
    message = Message.objects.get()
    stored = json.dumps([message.extra_data, message.tool_calls])
    assert "sk-live-1" not in stored and "sk-secret-2" not in stored
    assert message.tool_calls[0]["input"]["env"] == {"HOME": "/h"}
    assert message.extra_data["records"][0]["message"]["usage"]["cache_read_input_tokens"] == 1
    assert message.extra_data["secrets_dropped"] == [
        "message.content.input.env.API_KEY", "apiKey", "input.env.API_KEY",
    ]  # fmt: skip
    # The archive keeps the original bytes: it is the user's own file.
    assert b"sk-live-1" in _archive(data_dir, "claude-code", path, claude).read_bytes()


def test_one_bad_file_never_stops_the_run_and_a_rerun_converges(
    tmp_path, data_dir, both, monkeypatch
):
    claude_file, codex_file = both
    save = transcript_files._messages_save

    def fail_for_claude(state, file, conversation_id, read, stamps):
        if file.source == "claude-code":
            raise RuntimeError("disk on fire")
        return save(state, file, conversation_id, read, stamps)

    monkeypatch.setattr(transcript_files, "_messages_save", fail_for_claude)
    run = transcripts_run(tmp_path)
    assert run.status == MigrationRun.Status.PARTIAL
    assert run.items.get(outcome="failed").subject_id == str(claude_file)
    assert not Session.objects.filter(agent_session_id=CLAUDE_UUID).exists()
    assert Session.objects.filter(agent_session_id=CODEX_THREAD).exists()
    monkeypatch.setattr(transcript_files, "_messages_save", save)
    transcripts_run(tmp_path)
    archive = _archive(data_dir, "claude-code", claude_file, tmp_path / "claude")
    assert archive.read_bytes() == claude_file.read_bytes()
    assert len(_messages(Session.objects.get(agent_session_id=CLAUDE_UUID))) == 4


def test_plan_refuses_a_missing_home_and_a_missing_workspace(tmp_path, data_dir):
    from migration_app.services.journal import MigrationError

    with pytest.raises(MigrationError, match="--claude-home"):
        transcripts_run(tmp_path, claude_home=str(tmp_path / "nope"))
    with pytest.raises(MigrationError, match="Workspace 'zzz'"):
        transcripts_run(tmp_path, workspace_slug="zzz")
    assert not MigrationRun.objects.exists()
    assert os.listdir(data_dir) == []


def _contents():
    rows = Message.objects.values_list("id", "role", "content", "tool_call_id", "extra_data")
    return sorted((*row[:4], row[4].get("model"), row[4].get("usage")) for row in rows)


def test_a_file_read_in_windows_gives_what_one_read_gives(tmp_path, data_dir, both, monkeypatch):
    transcripts_run(tmp_path)
    whole = _contents()
    files = list_files(data_dir)
    TranscriptFile.objects.all().delete()
    Message.objects.all().delete()
    monkeypatch.setattr(transcript_files, "WINDOW", 300)
    run = transcripts_run(tmp_path)
    assert run.items.filter(subject_type="transcript_file", outcome="migrated").count() > 4
    assert _contents() == whole and list_files(data_dir) == files
    kept = TranscriptFile.objects.get(path=str(both[0]))
    assert kept.size == kept.offset == both[0].stat().st_size


def test_a_kill_between_windows_converges_on_the_next_run(tmp_path, data_dir, both, monkeypatch):
    transcripts_run(tmp_path)
    whole = _contents()
    before, files = dump_tables(), list_files(data_dir)
    claude_file = both[0]
    TranscriptFile.objects.all().delete()
    Message.objects.all().delete()
    monkeypatch.setattr(transcript_files, "WINDOW", 300)
    save, calls = transcript_files._messages_save, []

    def die_on_the_third_window(state, file, conversation_id, read, stamps):
        calls.append(file.path)
        if len(calls) == 3:
            raise KeyboardInterrupt  # like a kill: nothing after this point runs
        return save(state, file, conversation_id, read, stamps)

    monkeypatch.setattr(transcript_files, "_messages_save", die_on_the_third_window)
    with pytest.raises(KeyboardInterrupt):
        transcripts_run(tmp_path)
    kept = TranscriptFile.objects.get(path=str(claude_file))
    assert 0 < kept.offset < claude_file.stat().st_size
    monkeypatch.setattr(transcript_files, "_messages_save", save)
    transcripts_run(tmp_path)
    assert _contents() == whole and list_files(data_dir) == files
    assert before["sessions_app.Session"] == dump_tables()["sessions_app.Session"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="grouped on SQLite only")
def test_small_files_share_a_transaction_so_a_kill_loses_that_group_only(
    tmp_path, data_dir, both, monkeypatch
):
    transcripts_run(tmp_path)
    expected, files = dump_tables(), list_files(data_dir)
    whole = _contents()
    TranscriptFile.objects.all().delete()
    Message.objects.all().delete()
    save, calls = transcript_files._messages_save, []

    def die_on_the_second_file(state, file, conversation_id, read, stamps):
        calls.append(file.path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # like a kill
        return save(state, file, conversation_id, read, stamps)

    monkeypatch.setattr(transcript_files, "_messages_save", die_on_the_second_file)
    with pytest.raises(KeyboardInterrupt):
        transcripts_run(tmp_path)
    # The first file's window was in the same (small) group: rolled back with it.
    assert not TranscriptFile.objects.exists() and not Message.objects.exists()
    monkeypatch.setattr(transcript_files, "_messages_save", save)
    transcripts_run(tmp_path)
    assert _contents() == whole and list_files(data_dir) == files
    assert dump_tables()["sessions_app.Session"] == expected["sessions_app.Session"]


def test_undo_of_a_run_in_windows(tmp_path, data_dir, both, monkeypatch):
    monkeypatch.setattr(transcript_files, "WINDOW", 300)
    before, files = dump_tables(), list_files(data_dir)
    run = transcripts_run(tmp_path)
    migration_undo(run=run)
    assert dump_tables() == before and list_files(data_dir) == files
