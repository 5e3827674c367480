"""arawn import, messages.jsonl: conversations, roles, file order where timestamps tie,
bad lines, the remembered offset (services/legacy_import/arawn_store/messages.py)."""

import datetime as dt
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


TIE = "2026-03-01T00:00:00Z"
MICRO = dt.timedelta(microseconds=1)


def new_line(ws="paused-ws", **fields):
    return {"id": str(uuid.uuid4()), "workstream_id": ws, "role": "user", "content": "more",
            "timestamp": TIE, **fields}  # fmt: skip


def tied(n, **fields):
    """Line `tn` at TIE; the later n, the smaller its id: id order is the file's reversed."""
    return new_line(id=str(uuid.UUID(int=2**120 - n)), content=f"t{n}", **fields)


def hub_order(ws="paused-ws") -> list[str]:
    """The contents of a workstream's conversation in the order the hub (admin, API) reads."""
    conversation = Conversation.objects.get(pk=workstream_conversation_id(ws))
    return list(
        conversation.messages.order_by("created_at", "id").values_list("content", flat=True)
    )


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


def test_file_order_is_kept_where_timestamps_tie_also_across_an_append(arawn):
    log = paused_log(arawn)
    append(log, tied(1), tied(2), tied(3))
    arawn_run(arawn)
    assert hub_order() == ["first", "call", "tie A", "tie B", "t1", "t2", "t3"]
    append(log, tied(4), tied(5))  # the tie goes on in lines the next run reads
    arawn_run(arawn)
    assert hub_order()[4:] == ["t1", "t2", "t3", "t4", "t5"]
    rows = Message.objects.filter(content__in=["t1", "t2", "t3", "t4", "t5"]).order_by("content")
    at = [m.created_at for m in rows]
    assert at == [dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + n * MICRO for n in range(5)]
    assert {m.extra_data["timestamp"] for m in rows} == {TIE}  # the source's text, verbatim


def test_tied_lines_get_the_same_created_at_across_batches_runs_and_one_run(arawn):
    log = paused_log(arawn)
    lines = [tied(n) for n in range(1, 25)]
    append(log, *lines[:12])
    first = arawn_run(arawn, batch_size=1)  # ten lines a transaction: the tie spans batches
    append(log, *lines[12:])
    second = arawn_run(arawn, batch_size=1)
    stepwise = dict(Message.objects.values_list("id", "created_at"))
    migration_undo(run=second)
    migration_undo(run=first)
    assert not Message.objects.exists()
    arawn_run(arawn)  # the whole log at once
    assert dict(Message.objects.values_list("id", "created_at")) == stepwise
    assert hub_order()[4:] == [f"t{n}" for n in range(1, 25)]


def test_only_ties_move_a_line_that_goes_back_in_time_keeps_its_timestamp(arawn):
    append(
        paused_log(arawn),
        tied(1),
        tied(2),
        new_line(content="back", timestamp="2026-02-28T23:59:59Z"),
    )
    arawn_run(arawn)
    at = dict(
        Message.objects.filter(content__in=["t1", "t2", "back"]).values_list(
            "content", "created_at"
        )
    )
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert at == {"t1": start, "t2": start + MICRO, "back": start - dt.timedelta(seconds=1)}


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
    assert batch.subject_id == f"{log}:6-7"
    assert batch.before == {"offset": kept.offset, "lines": 5, "tie_count": 1,  # tie A, tie B
                            "tie_timestamp": kept.tie_timestamp.isoformat()}  # fmt: skip
    assert sorted(batch.after["ids"]) == sorted(line["id"] for line in added)
    # The bad line of the first run is not read again.
    assert not second.items.filter(subject_type="message_line").exists()
    assert Message.objects.get(pk=added[1]["id"]).conversation.session.pk == arawn.sessions[0]
    # Undo of the second run takes the log back to where that run found it.
    migration_undo(run=second)
    back = LegacyLogOffset.objects.get(path=log)
    assert (back.offset, back.tie_timestamp, back.tie_count) == (
        kept.offset, kept.tie_timestamp, kept.tie_count,
    )  # fmt: skip
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
