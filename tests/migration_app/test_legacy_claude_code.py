"""The Claude Code transcript reader, on real files."""

from migration_app.legacy.claude_code import claude_transcript_read, claude_transcripts_find
from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    claude_assistant,
    claude_path,
    claude_session,
    claude_user,
    lines_write,
    usage,
)


def test_streamed_lines_of_one_api_message_become_one_message(tmp_path):
    read = claude_transcript_read(str(claude_session(tmp_path)))
    roles = [m.role for m in read.messages]
    assert roles == ["user", "assistant", "tool", "system"]
    assistant = read.messages[1]
    assert assistant.key == "msg:msg_1:req_1"
    assert assistant.thinking == ["look first"]
    assert assistant.content == "Reading it."
    assert assistant.tool_calls == [
        {"id": "toolu_1", "name": "Read", "input": {"file_path": "/x.py"}}
    ]
    assert [r["uuid"] for r in assistant.records] == ["a1", "a2", "a3"]
    assert assistant.model == "claude-sonnet-4-5"


def test_usage_is_counted_once_from_the_last_line(tmp_path):
    assistant = claude_transcript_read(str(claude_session(tmp_path))).messages[1]
    assert assistant.usage == {"input": 10, "output": 30, "cache_write": 100, "cache_read": 5}


def test_cache_writes_keep_their_1_hour_part_when_the_line_gives_the_split(tmp_path):
    def usage_of(cache_fields: dict) -> dict:
        use = {"input_tokens": 1, "output_tokens": 2, **cache_fields}
        line = claude_assistant("a1", "msg_1", {"type": "text", "text": "x"}, usage=use)
        path = lines_write(tmp_path / "t.jsonl", [line])
        return claude_transcript_read(str(path)).messages[0].usage

    split = {"ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 600}
    both = usage_of({"cache_creation_input_tokens": 1000, "cache_creation": split})
    assert both == {"input": 1, "output": 2, "cache_write": 1000, "cache_write_1h": 600,
                    "cache_read": 0}  # fmt: skip
    # Only the total (older Claude Code): every write a 5-minute one, no 1-hour part.
    assert usage_of({"cache_creation_input_tokens": 1000}) == {
        "input": 1, "output": 2, "cache_write": 1000, "cache_read": 0,
    }  # fmt: skip
    # The split without its total: the total is their sum.
    assert usage_of({"cache_creation": split})["cache_write"] == 1000
    # A 1-hour count above the total is cut to it (the total is what was billed).
    over = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 5000}
    assert (
        usage_of({"cache_creation_input_tokens": 700, "cache_creation": over})["cache_write_1h"]
        == 700
    )


def test_tool_result_keeps_its_call_id_and_error(tmp_path):
    tool = claude_transcript_read(str(claude_session(tmp_path))).messages[2]
    assert (tool.tool_call_id, tool.is_error, tool.content) == ("toolu_1", True, "no such file")
    assert tool.key == "u2/toolu_1"


def test_a_bad_line_is_a_problem_and_the_file_goes_on(tmp_path):
    path = lines_write(
        tmp_path / "t.jsonl",
        [claude_user("u1", "a"), "{not json", "[1, 2]", claude_user("u2", "b")],
    )
    read = claude_transcript_read(str(path))
    assert [m.content for m in read.messages] == ["a", "b"]
    assert [why.split(":")[0] for _, why in read.problems] == [
        "invalid JSON",
        "a line must hold a JSON object",
    ]
    assert read.end == path.stat().st_size


def test_a_half_written_last_line_waits_for_the_next_read(tmp_path):
    path = lines_write(tmp_path / "t.jsonl", [claude_user("u1", "a")], tail=b'{"type": "us')
    read = claude_transcript_read(str(path))
    assert [m.key for m in read.messages] == ["u1"]
    assert read.end == path.stat().st_size - len(b'{"type": "us')
    with open(path, "ab") as handle:
        handle.write(b'er", "uuid": "u2", "message": {"content": "b"}}\n')
    again = claude_transcript_read(str(path), offset=read.end)
    assert [(m.key, m.content) for m in again.messages] == [("u2", "b")]


def test_unknown_record_types_are_kept_as_system_messages(tmp_path):
    odd = {"type": "file-history-snapshot", "messageId": "m9", "snapshot": {"a": 1}}
    path = lines_write(tmp_path / "t.jsonl", [odd, {"type": "brand-new", "x": [1]}])
    messages = claude_transcript_read(str(path)).messages
    assert [(m.role, m.record_type) for m in messages] == [
        ("system", "file-history-snapshot"),
        ("system", "brand-new"),
    ]
    assert messages[0].records == [odd]
    assert messages[1].key == f"@{len(path.read_bytes().splitlines(True)[0])}"


def test_tail_start_rereads_a_message_still_streaming(tmp_path):
    path = claude_path(tmp_path)
    lines_write(path, [
        claude_user("u1", "go"),
        claude_assistant("a1", "msg_7", {"type": "text", "text": "one"}, usage=usage(5, 1)),
    ])  # fmt: skip
    first = claude_transcript_read(str(path))
    lines_write(path, [claude_assistant("a2", "msg_7", {"type": "text", "text": "two"},
                                        usage=usage(5, 9))], append=True)  # fmt: skip
    again = claude_transcript_read(str(path), offset=first.tail_start)
    assert [(m.key, m.content, m.usage["output"]) for m in again.messages] == [
        ("msg:msg_7:req_1", "one\n\ntwo", 9)
    ]


def test_find_lists_sessions_and_their_subagents(tmp_path):
    main = claude_session(tmp_path)
    sub = lines_write(
        main.parent / CLAUDE_UUID / "subagents" / "agent-a1.jsonl", [claude_user("s1", "x")]
    )
    (main.parent / "notes.txt").write_text("not a transcript")
    assert list(claude_transcripts_find(str(tmp_path))) == [
        (str(main), CLAUDE_UUID, None),
        (str(sub), "agent-a1", CLAUDE_UUID),
    ]
    assert list(claude_transcripts_find(str(tmp_path / "missing"))) == []
