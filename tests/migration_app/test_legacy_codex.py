"""The Codex rollout reader, on real files."""

import json

from migration_app.legacy.codex import codex_rollout_read, codex_rollouts_find
from tests.migration_app.transcript_helpers import (
    CODEX_THREAD,
    CWD,
    codex_count,
    codex_line,
    codex_session,
    lines_write,
)


def _read(tmp_path):
    return codex_rollout_read(str(codex_session(tmp_path)))


def test_meta_and_roles_in_file_order(tmp_path):
    read = _read(tmp_path)
    assert read.meta["id"] == CODEX_THREAD and read.meta["cwd"] == CWD
    assert [(m.role, m.record_type) for m in read.messages] == [
        ("system", "session_meta"),
        ("system", "turn_context"),
        ("user", ""),
        ("assistant", ""),
        ("tool", ""),
        ("assistant", ""),
    ]


def test_function_call_and_output_are_paired_by_call_id(tmp_path):
    call, output = _read(tmp_path).messages[3:5]
    assert call.tool_calls == [{"id": "call_1", "name": "shell", "input": '{"command":["pytest"]}'}]
    assert call.model == "gpt-5-codex"
    assert (output.tool_call_id, output.content, output.is_error) == ("call_1", "1 failed", True)


def test_token_count_delta_goes_to_the_message_it_follows_once(tmp_path):
    messages = _read(tmp_path).messages
    call, answer = messages[3], messages[5]
    assert call.usage == {"input": 1000, "output": 50, "cache_write": 0, "cache_read": 800}
    assert answer.usage == {"input": 1200, "output": 20, "cache_write": 0, "cache_read": 900}
    # The repeated count is kept with the call's records, not counted again.
    assert [r["type"] for r in call.records] == ["response_item", "event_msg", "event_msg"]


def _say(text):
    return codex_line("response_item", {"type": "message", "role": "assistant", "content": text})


def _total(inp, out):
    """A count with running totals only (no `last_token_usage`)."""
    usage = {"input_tokens": inp, "output_tokens": out}
    return codex_line("event_msg", {"type": "token_count", "info": {"total_token_usage": usage}})


def test_delta_from_running_totals_when_no_last_usage(tmp_path):
    path = lines_write(
        tmp_path / "r.jsonl", [_say("a"), _total(100, 10), _say("b"), _total(250, 15)]
    )
    usages = [m.usage for m in codex_rollout_read(str(path)).messages]
    assert [(u["input"], u["output"]) for u in usages] == [(100, 10), (150, 5)]


def test_a_read_from_the_middle_carries_on_the_turn_above_it(tmp_path):
    above = [codex_line("turn_context", {"model": "gpt-5-codex"}), _say("a"), _total(100, 10)]
    path = lines_write(tmp_path / "r.jsonl", above)
    offset = path.stat().st_size
    lines_write(path, [_total(100, 10), _say("b"), _total(250, 15)], append=True)
    read = codex_rollout_read(str(path), offset=offset)
    # The repeated count is not counted again; the new one is a delta of the totals above.
    assert [(m.role, m.model, m.usage) for m in read.messages] == [
        ("system", "", None),
        (
            "assistant",
            "gpt-5-codex",
            {"input": 150, "output": 5, "cache_write": 0, "cache_read": 0},
        ),
    ]


def test_a_count_with_no_message_before_it_is_kept_on_its_own(tmp_path):
    path = lines_write(tmp_path / "r.jsonl", [codex_count(5, 1, 5, 1), "oops"])
    read = codex_rollout_read(str(path))
    assert [m.record_type for m in read.messages] == ["event_msg:token_count"]
    # Paid for all the same: the turn stopped before any answer (ccusage counts it too).
    assert read.messages[0].usage == {"input": 5, "output": 1, "cache_write": 0, "cache_read": 0}
    assert len(read.problems) == 1


def test_find_lists_rollouts_by_date(tmp_path):
    path = codex_session(tmp_path)
    (path.parent / "other.jsonl").write_text("{}\n")
    assert list(codex_rollouts_find(str(tmp_path))) == [(str(path), CODEX_THREAD)]


def _item(payload):
    return codex_line("response_item", payload)


def _messages(tmp_path, records):
    return codex_rollout_read(str(lines_write(tmp_path / "r.jsonl", records))).messages


def test_reasoning_is_an_assistant_message_thinking_its_summary_texts(tmp_path):
    summary = [{"type": "summary_text", "text": "Check the tests"}, {"type": "summary_text"},
               {"type": "summary_text", "text": "Then fix them"}]  # fmt: skip
    reasoning = {"type": "reasoning", "summary": summary, "encrypted_content": "gAAAA"}
    [message] = _messages(tmp_path, [_item(reasoning)])
    assert (message.role, message.content) == ("assistant", "")
    assert message.thinking == ["Check the tests", "Then fix them"]


def test_a_compacted_record_keeps_its_message_text(tmp_path):
    [message] = _messages(tmp_path, [codex_line("compacted", {"message": "Summary so far"})])
    assert (message.role, message.record_type) == ("system", "compacted")
    assert message.content == "Summary so far"


def test_custom_tool_call_is_paired_with_its_custom_output(tmp_path):
    patch = "*** Begin Patch\n*** Update File: a.py\n*** End Patch"
    output = json.dumps({"output": "Success. Updated a.py", "metadata": {"exit_code": 0}})
    call, answer = _messages(tmp_path, [
        _item({"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch",
               "input": patch}),
        _item({"type": "custom_tool_call_output", "call_id": "call_2", "output": output}),
    ])  # fmt: skip
    assert call.role == "assistant"
    assert call.tool_calls == [{"id": "call_2", "name": "apply_patch", "input": patch}]
    assert (answer.role, answer.tool_call_id) == ("tool", "call_2")
    assert (answer.content, answer.is_error) == ("Success. Updated a.py", False)


def test_local_shell_call_is_a_tool_call_of_its_action(tmp_path):
    action = {"type": "exec", "command": ["ls", "-la"], "working_directory": CWD}
    call, answer = _messages(tmp_path, [
        _item({"type": "local_shell_call", "call_id": "call_3", "status": "completed",
               "action": action}),
        _item({"type": "function_call_output", "call_id": "call_3", "output": "a.py"}),
    ])  # fmt: skip
    assert call.role == "assistant"
    # It has no name of its own: the item type names the tool.
    assert call.tool_calls == [{"id": "call_3", "name": "local_shell_call", "input": action}]
    assert (answer.role, answer.tool_call_id, answer.content) == ("tool", "call_3", "a.py")


def _output(call_id, data):
    return _item({"type": "function_call_output", "call_id": call_id, "output": json.dumps(data)})


def test_an_output_is_an_error_when_it_says_it_failed_or_exits_non_zero(tmp_path):
    outputs = _messages(tmp_path, [
        _output("refused", {"content": "not allowed", "success": False}),
        _output("exit-2", {"output": "boom", "metadata": {"exit_code": 2}}),
        _output("exit-0", {"output": "ok", "metadata": {"exit_code": 0}}),
        _output("succeeded", {"content": "done", "success": True}),
    ])  # fmt: skip
    assert [(m.tool_call_id, m.content, m.is_error) for m in outputs] == [
        ("refused", "not allowed", True),
        ("exit-2", "boom", True),
        ("exit-0", "ok", False),
        ("succeeded", "done", False),
    ]
