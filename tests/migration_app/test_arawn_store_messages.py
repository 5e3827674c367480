"""arawn import, messages.jsonl: conversations, roles, bad lines, the remembered offset
(services/legacy_import/arawn_store/messages.py)."""

import json
import os
import uuid

import pytest

from migration_app.legacy.arawn_sample import sample_uuid
from migration_app.models import LegacyLogOffset
from migration_app.services import migration_undo
from migration_app.services.legacy_import.arawn_store.state import (
    session_conversation_id,
    workstream_conversation_id,
)
from projects_app.models import Conversation, Message
from sessions_app.models import Session
from tests.migration_app.arawn_helpers import arawn, arawn_db, arawn_run, items_of

pytestmark = pytest.mark.django_db
__all__ = ["arawn"]  # the fixture


def paused_log(sample) -> str:
    return os.path.join(sample.tree, "paused-ws", "messages.jsonl")


def append(path, *lines):
    with open(path, "a") as handle:
        for fields in lines:
            handle.write(json.dumps(fields) + "\n")


def new_line(ws="paused-ws", **fields):
    return {"id": str(uuid.uuid4()), "workstream_id": ws, "role": "user", "content": "more",
            "timestamp": "2026-03-01T00:00:00Z", **fields}  # fmt: skip


def test_every_good_line_becomes_a_message_in_its_sessions_conversation(arawn):
    run = arawn_run(arawn)
    assert Message.objects.count() == arawn.messages == run.counts["messages_imported"]
    first = Message.objects.get(pk=sample_uuid("msg", 1))  # ws-0000's line with a session
    assert first.conversation.session.pk == first.extra_data["session_id"]
    assert first.conversation_id == session_conversation_id(first.extra_data["session_id"])
    assert first.extra_data["log"] == "ws-0000/messages.jsonl" and first.extra_data["line"] == 1
    # Lines without a session_id: one conversation per workstream.
    lone = Message.objects.get(pk=sample_uuid("edge", 1))
    assert lone.conversation_id == workstream_conversation_id("paused-ws")
    assert lone.conversation.message_count == 4
    assert lone.conversation.last_message_at == max(
        lone.conversation.messages.values_list("created_at", flat=True)
    )


def test_tool_use_tool_result_and_agent_push_map_to_hub_roles(arawn):
    arawn_run(arawn)
    use = Message.objects.get(pk=sample_uuid("msg", 2))
    assert (use.role, use.extra_data["role"]) == ("assistant", "tool_use")
    assert use.tool_calls == [{"id": "tool-2", "name": "shell", "arguments": {"cmd": "ls"}}]
    result = Message.objects.get(pk=sample_uuid("msg", 3))
    assert (result.role, result.tool_call_id, result.extra_data["success"]) == (
        "tool", "tool-2", False,
    )  # fmt: skip
    assert result.extra_data["metadata"] == {"tool_call_id": "tool-2", "success": False}
    push = Message.objects.get(pk=sample_uuid("msg", 5))
    assert (push.role, push.extra_data["role"]) == ("system", "agent_push")


def test_file_order_is_kept_where_timestamps_tie(arawn):
    arawn_run(arawn)
    tied = Message.objects.filter(content__startswith="tie")
    assert tied[0].created_at == tied[1].created_at
    ordered = sorted(tied, key=lambda m: (m.created_at, m.extra_data["line"]))
    assert [m.content for m in ordered] == ["tie A", "tie B"]


def test_a_bad_line_is_a_rejected_item_naming_file_and_line_and_the_rest_imports(arawn):
    run = arawn_run(arawn)
    (log, number), = arawn.bad_lines  # fmt: skip
    bad = items_of(run, "message_line")[f"{log}:{number}"]
    assert bad.outcome == "failed" and "invalid JSON" in bad.reason
    after = [sample_uuid("edge", n) for n in (2, 3, 4)]  # the lines after it
    assert Message.objects.filter(pk__in=after).count() == 3


def test_a_secret_in_tool_arguments_is_dropped(arawn):
    arawn_run(arawn)
    call = Message.objects.get(pk=sample_uuid("edge", 2))
    assert call.tool_calls[0]["arguments"] == {"url": "x"}
    stored = json.dumps(list(Message.objects.values("tool_calls", "extra_data", "content")))
    assert "s3cr3t" not in stored and "api_token" not in stored


def test_a_rerun_after_appended_lines_reads_and_imports_only_the_new_ones(arawn):
    first = arawn_run(arawn)
    log = paused_log(arawn)
    kept = LegacyLogOffset.objects.get(path=log)
    assert (kept.offset, kept.lines) == (os.path.getsize(log), 5)
    added = [new_line(), new_line(session_id=arawn.sessions[0])]
    append(log, *added)
    second = arawn_run(arawn)
    assert second.counts["messages_imported"] == 2
    assert second.counts["logs_unchanged"] == first.counts.get("logs_unchanged", 0) + 5
    (batch,) = items_of(second, "message_batch").values()
    assert batch.subject_id == f"{log}:6-7" and batch.before == {"offset": kept.offset, "lines": 5}
    assert sorted(batch.after["ids"]) == sorted(line["id"] for line in added)
    # The bad line of the first run is not read again.
    assert not second.items.filter(subject_type="message_line").exists()
    assert Message.objects.get(pk=added[1]["id"]).conversation.session.pk == arawn.sessions[0]
    # Undo of the second run takes the log back to where that run found it.
    migration_undo(run=second)
    assert LegacyLogOffset.objects.get(path=log).offset == kept.offset
    assert Message.objects.count() == arawn.messages
    assert arawn_run(arawn).counts["messages_imported"] == 2


def test_an_unfinished_last_line_waits_for_the_next_run(arawn):
    log = paused_log(arawn)
    line = json.dumps(new_line()) + "\n"
    with open(log, "a") as handle:
        handle.write(line[:20])
    arawn_run(arawn)
    assert LegacyLogOffset.objects.get(path=log).offset == os.path.getsize(log) - 20
    with open(log, "a") as handle:
        handle.write(line[20:])
    assert arawn_run(arawn).counts["messages_imported"] == 1


def test_a_log_replaced_since_is_read_again_and_known_messages_are_skipped(arawn):
    arawn_run(arawn)
    log = paused_log(arawn)
    with open(log) as handle:
        lines = handle.readlines()
    with open(log, "w") as handle:
        handle.writelines(lines[2:])  # shorter, another start
    run = arawn_run(arawn)
    assert items_of(run, "message_log")[log].reason.startswith("the log is shorter")
    assert run.counts["messages_already_present"] == 3 and run.counts["messages_imported"] == 0


def test_messages_of_a_session_unknown_to_the_database_get_their_own_conversation(arawn):
    append(paused_log(arawn), new_line(session_id="ghost-session"))
    run = arawn_run(arawn)
    conv = Conversation.objects.get(pk=session_conversation_id("ghost-session"))
    assert conv.message_count == 1 and "no such session" in conv.title
    assert items_of(run, "conversation")[str(conv.pk)].outcome == "migrated"


def test_a_line_whose_id_is_no_uuid_is_rejected(arawn):
    append(paused_log(arawn), new_line(id="not-a-uuid"))
    run = arawn_run(arawn)
    assert items_of(run, "message_line")[f"{paused_log(arawn)}:6"].reason == (
        "id 'not-a-uuid' is not a UUID"
    )


def test_big_batches_ask_the_database_in_chunks_and_undo_them_whole(arawn, monkeypatch):
    """A batch holds ten row batches of lines; id lists go to the database IN_CHUNK at a
    time (SQLite refuses more than 32,766 parameters), on import and on undo."""
    from migration_app.services.legacy_import import shared

    monkeypatch.setattr(shared, "IN_CHUNK", 3)
    run = arawn_run(arawn)
    assert Message.objects.count() == arawn.messages
    assert arawn_run(arawn).counts["messages_imported"] == 0
    migration_undo(run=run)
    assert not Message.objects.exists() and not LegacyLogOffset.objects.exists()


def test_a_session_that_appears_later_joins_the_conversation_its_messages_made(arawn):
    append(paused_log(arawn), new_line(session_id="late-session"))
    first = arawn_run(arawn)
    conv = Conversation.objects.get(pk=session_conversation_id("late-session"))
    with arawn_db(arawn) as db:
        db.execute(
            "INSERT INTO sessions VALUES ('late-session', 'paused-ws', '2026-03-01T00:00:00Z',"
            " NULL, 1, NULL, 0)"
        )
    second = arawn_run(arawn)
    session = Session.objects.get(pk="late-session")
    assert session.conversation_id == conv.pk and conv.messages.count() == 1
    # Undoing the run that brought the session leaves the conversation the first one made.
    migration_undo(run=second)
    assert Conversation.objects.filter(pk=conv.pk).exists()
    migration_undo(run=first)
    assert not Conversation.objects.filter(pk=conv.pk).exists()
