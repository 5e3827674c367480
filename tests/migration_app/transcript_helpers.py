"""Claude Code transcripts and Codex rollouts written as real files, in the documented
shapes, for the reader and import tests."""

from __future__ import annotations

import json
from pathlib import Path

CLAUDE_UUID = "5b0c7a2e-1111-4d2a-9c1e-0a1b2c3d4e5f"
CODEX_THREAD = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
CWD = "/home/dev/app"
SHELL_ARGS = '{"command":["pytest"]}'


def lines_write(path: Path, records: list, *, append: bool = False, tail: bytes = b"") -> Path:
    """Write records one JSON object a line (a str record is written as it is: a bad
    line); `tail` is a half-written last line with no newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((r if isinstance(r, str) else json.dumps(r)).encode() + b"\n" for r in records)
    with open(path, "ab" if append else "wb") as handle:
        handle.write(data + tail)
    return path


def claude_path(home: Path, uuid: str = CLAUDE_UUID, cwd: str = CWD) -> Path:
    return home / "projects" / cwd.replace("/", "-") / f"{uuid}.jsonl"


def claude_user(uuid: str, text, *, session=CLAUDE_UUID, ts="2026-01-02T10:00:00.000Z"):
    return {
        "type": "user", "uuid": uuid, "parentUuid": None, "sessionId": session,
        "timestamp": ts, "cwd": CWD, "version": "2.0.0", "gitBranch": "main",
        "message": {"role": "user", "content": text},
    }  # fmt: skip


def claude_assistant(uuid: str, msg_id: str, block: dict, *, usage: dict, request="req_1",
                     ts="2026-01-02T10:00:01.000Z"):  # fmt: skip
    return {
        "type": "assistant", "uuid": uuid, "sessionId": CLAUDE_UUID, "timestamp": ts,
        "requestId": request, "cwd": CWD,
        "message": {
            "id": msg_id, "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [block], "stop_reason": None, "usage": usage,
        },
    }  # fmt: skip


def usage(inp: int, out: int, write: int = 0, read: int = 0) -> dict:
    return {
        "input_tokens": inp, "output_tokens": out,
        "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
    }  # fmt: skip


def tool_result(uuid: str, call_id: str, text: str, *, error: bool = False):
    block = {"type": "tool_result", "tool_use_id": call_id, "content": text, "is_error": error}
    return claude_user(uuid, [block])


def claude_session(home: Path, uuid: str = CLAUDE_UUID, cwd: str = CWD) -> Path:
    """A small session: a prompt, one streamed API message of three lines (thinking,
    text, tool_use), its tool result, a summary record."""
    return lines_write(
        claude_path(home, uuid, cwd),
        [
            claude_user("u1", "fix the bug"),
            claude_assistant("a1", "msg_1", {"type": "thinking", "thinking": "look first"},
                             usage=usage(10, 1, 100, 5)),
            claude_assistant("a2", "msg_1", {"type": "text", "text": "Reading it."},
                             usage=usage(10, 4, 100, 5)),
            claude_assistant("a3", "msg_1", {"type": "tool_use", "id": "toolu_1", "name": "Read",
                                             "input": {"file_path": "/x.py"}},
                             usage=usage(10, 30, 100, 5)),
            tool_result("u2", "toolu_1", "no such file", error=True),
            {"type": "summary", "summary": "Bug fix", "leafUuid": "a3"},
        ],
    )  # fmt: skip


def codex_path(home: Path, thread: str = CODEX_THREAD) -> Path:
    return home / "sessions" / "2026" / "01" / "02" / f"rollout-2026-01-02T10-00-00-{thread}.jsonl"


def codex_line(kind: str, payload: dict, ts: str = "2026-01-02T10:00:00.000Z") -> dict:
    return {"timestamp": ts, "type": kind, "payload": payload}


def codex_count(total_in: int, total_out: int, last_in: int, last_out: int, cached: int = 0):
    total = {"input_tokens": total_in, "cached_input_tokens": cached, "output_tokens": total_out}
    last = {"input_tokens": last_in, "cached_input_tokens": cached, "output_tokens": last_out}
    info = {"total_token_usage": total, "last_token_usage": last}
    return codex_line("event_msg", {"type": "token_count", "info": info})


def codex_session(home: Path, thread: str = CODEX_THREAD, cwd: str = CWD) -> Path:
    """A prompt, a shell call answered with a failing exit code, the turn's token count
    (written twice, as Codex does), the assistant's answer and its count."""
    return lines_write(
        codex_path(home, thread),
        [
            codex_line("session_meta", {"id": thread, "cwd": cwd, "cli_version": "0.50.0"}),
            codex_line("turn_context", {"cwd": cwd, "model": "gpt-5-codex"}),
            codex_line("response_item", {"type": "message", "role": "user",
                                         "content": [{"type": "input_text", "text": "run tests"}]}),
            codex_line("response_item", {"type": "function_call", "name": "shell",
                                         "arguments": SHELL_ARGS, "call_id": "call_1"}),
            codex_count(1000, 50, 1000, 50, cached=800),
            codex_count(1000, 50, 1000, 50, cached=800),
            codex_line("response_item", {"type": "function_call_output", "call_id": "call_1",
                                         "output": json.dumps({"output": "1 failed",
                                                               "metadata": {"exit_code": 1}})}),
            codex_line("response_item", {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "One test fails."}]}),
            codex_count(2200, 70, 1200, 20, cached=900),
        ],
    )  # fmt: skip


def homes(tmp_path: Path) -> tuple[Path, Path]:
    """An empty Claude Code home and Codex home under tmp_path."""
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    claude.mkdir(exist_ok=True)
    codex.mkdir(exist_ok=True)
    return claude, codex


def transcripts_run(tmp_path: Path, *, dry_run: bool = False, **request):
    """An import as the command starts it, over the two homes of `homes`."""
    from migration_app.dispatch import migration_run_dispatch
    from migration_app.models import MigrationRun

    claude, codex = homes(tmp_path)
    request.setdefault("claude_home", str(claude))
    request.setdefault("codex_home", str(codex))
    return migration_run_dispatch(
        kind=MigrationRun.Kind.IMPORT_TRANSCRIPTS, dry_run=dry_run, **request
    )
