"""A Claude Code transcript and a Codex rollout with known token arithmetic, written as
real files (no Django needed: bench/usage_ccusage.py gives the same files to ccusage)."""

from tests.migration_app.transcript_helpers import (
    CLAUDE_UUID,
    CODEX_THREAD,
    CWD,
    claude_assistant,
    claude_path,
    claude_user,
    codex_line,
    codex_path,
    lines_write,
    usage,
)


def assistant(uuid, msg_id, text, *, model, use, request, ts="2026-01-02T10:00:01.000Z"):
    record = claude_assistant(uuid, msg_id, {"type": "text", "text": text}, usage=use,
                              request=request, ts=ts)  # fmt: skip
    record["message"]["model"] = model
    return record


def claude_files(home):
    """msg_1 streamed over three lines whose usage grows (only the last counts); msg_2 on
    another day in Tokyo; a model the price table does not know; a subagent on Haiku."""
    main = lines_write(
        claude_path(home),
        [
            claude_user("u1", "fix the bug"),
            assistant("a1", "msg_1", "a", model="claude-sonnet-4-5-20250929",
                      use=usage(10, 1, 100, 5), request="r1"),
            assistant("a2", "msg_1", "b", model="claude-sonnet-4-5-20250929",
                      use=usage(10, 4, 100, 5), request="r1"),
            assistant("a3", "msg_1", "c", model="claude-sonnet-4-5-20250929",
                      use=usage(10, 30, 100, 5), request="r1"),
            assistant("a4", "msg_2", "d", model="claude-opus-4-5-20251101",
                      use=usage(3, 200, 0, 2000), request="r2", ts="2026-01-02T23:30:00.000Z"),
            assistant("a5", "msg_3", "e", model="claude-mystery-9",
                      use=usage(1, 2, 3, 4), request="r3", ts="2026-01-02T23:40:00.000Z"),
        ],
    )  # fmt: skip
    lines_write(
        main.parent / CLAUDE_UUID / "subagents" / "agent-x.jsonl",
        [
            claude_user("s1", "look around"),
            assistant("s2", "msg_s", "f", model="claude-haiku-4-5-20251001",
                      use=usage(7, 11, 13, 17), request="rs"),
        ],
    )  # fmt: skip
    return main


def codex_file(home):
    """Counts with running totals only (no last_token_usage), one repeated: the deltas."""

    def total(inp, cached, out):
        usage = {"input_tokens": inp, "cached_input_tokens": cached, "output_tokens": out}
        return codex_line("event_msg", {"type": "token_count",
                                        "info": {"total_token_usage": usage}})  # fmt: skip

    return lines_write(
        codex_path(home),
        [
            codex_line("session_meta", {"id": CODEX_THREAD, "cwd": CWD}),
            codex_line("turn_context", {"cwd": CWD, "model": "gpt-5-codex"}),
            codex_line("response_item", {"type": "message", "role": "user",
                                         "content": [{"type": "input_text", "text": "go"}]}),
            codex_line("response_item", {"type": "function_call", "name": "shell",
                                         "arguments": "{}", "call_id": "c1"}),
            total(1000, 800, 50),
            total(1000, 800, 50),
            codex_line("response_item", {"type": "function_call_output", "call_id": "c1",
                                         "output": "ok"}),
            codex_line("response_item", {"type": "message", "role": "assistant",
                                         "content": [{"type": "output_text", "text": "done"}]}),
            total(2200, 1700, 70),
        ],
    )  # fmt: skip
