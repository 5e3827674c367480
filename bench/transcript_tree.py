"""Synthetic Claude Code and Codex transcripts in their documented shapes, for the transcript
benchmark (the shapes: docs/transcripts.md, Performance; the fields the readers use:
docs/transcripts.md). Deterministic for a seed. Each writer counts the lines it wrote and
the messages the importer must make of them (a streamed API message is one, a token count
joins its answer).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass, field

_TEXT = (
    "the fix reads each file once and keeps the offset so a re-run only sees appended "
    "bytes while the archive copy stays byte exact and every message keeps its records "
    "def main return import from class self value path line test assert error none"
)
_WORDS = _TEXT.split(" ")
_CWDS = [f"/home/dev/project-{n}" for n in range(8)]
_DAY = 86_400


@dataclass
class TreeCounts:
    lines: int = 0
    messages: int = 0  # the Message rows the importer must make of those lines
    bytes: int = 0
    files: list[str] = field(default_factory=list)  # every transcript file written


def _text(rng: random.Random, words: int) -> str:
    start = rng.randrange(len(_WORDS))
    return " ".join(_WORDS[(start + i * 7) % len(_WORDS)] for i in range(words))


def _stamp(seconds: int) -> str:
    day, rest = divmod(seconds, _DAY)
    clock = f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
    return f"2026-01-{1 + day % 28:02d}T{clock}.000Z"


class _File:
    """One transcript being written: lines and messages counted as they go."""

    def __init__(self, path: str, counts: TreeCounts, *, append: bool = False):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.handle = open(path, "ab" if append else "wb")  # noqa: SIM115 (closed by close())
        self.counts, self.written = counts, 0
        if not append:
            counts.files.append(path)

    def line(self, record: dict, *, messages: int = 1) -> None:
        data = json.dumps(record, separators=(",", ":")).encode() + b"\n"
        self.handle.write(data)
        self.written += len(data)
        self.counts.lines += 1
        self.counts.messages += messages
        self.counts.bytes += len(data)

    def close(self) -> None:
        self.handle.close()


def claude_turns(out: _File, rng: random.Random, session: str, cwd: str, budget: int,
                 clock: int) -> int:  # fmt: skip
    """Append turns (prompt, a streamed answer of thinking / text / tool_use, its tool
    result, now and then a system record) until `budget` bytes are written."""
    common = {"sessionId": session, "cwd": cwd, "version": "2.0.14", "gitBranch": "main",
              "userType": "external", "isSidechain": False}  # fmt: skip
    parent = None
    while out.written < budget:
        clock += 7
        user = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.line({"type": "user", "uuid": user, "parentUuid": parent, "timestamp": _stamp(clock),
                  **common, "message": {"role": "user", "content": _text(rng, 40)}})  # fmt: skip
        msg_id, request = f"msg_{rng.getrandbits(64):016x}", f"req_{rng.getrandbits(64):016x}"
        call = f"toolu_{rng.getrandbits(64):016x}"
        blocks = [
            {"type": "thinking", "thinking": _text(rng, 60), "signature": "c2ln" * 20},
            {"type": "text", "text": _text(rng, 80)},
            {"type": "tool_use", "id": call, "name": "Bash",
             "input": {"command": "pytest -q", "description": _text(rng, 8)}},
        ]  # fmt: skip
        parent = user
        for n, block in enumerate(blocks):  # one API message, three lines: one Message
            line_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            usage = {"input_tokens": 12, "output_tokens": 40 * (n + 1),
                     "cache_creation_input_tokens": 900, "cache_read_input_tokens": 15_000,
                     "service_tier": "standard"}  # fmt: skip
            out.line(
                {"type": "assistant", "uuid": line_id, "parentUuid": parent,
                 "timestamp": _stamp(clock + 1), "requestId": request, **common,
                 "message": {"id": msg_id, "type": "message", "role": "assistant",
                             "model": "claude-sonnet-4-5-20250929", "content": [block],
                             "stop_reason": "tool_use" if n == 2 else None, "usage": usage}},
                messages=1 if n == 0 else 0,
            )  # fmt: skip
            parent = line_id
        result = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.line({"type": "user", "uuid": result, "parentUuid": parent,
                  "timestamp": _stamp(clock + 3), **common,
                  "message": {"role": "user", "content": [
                      {"type": "tool_result", "tool_use_id": call, "is_error": rng.random() < 0.1,
                       "content": _text(rng, rng.choice((30, 200, 1200)))}]},
                  "toolUseResult": {"stdout": "ok", "interrupted": False}})  # fmt: skip
        parent = result
        if rng.random() < 0.1:
            out.line({"type": "system", "subtype": "info", "uuid": str(uuid.uuid4()),
                      "timestamp": _stamp(clock + 4), **common, "content": "compacting",
                      "level": "info"})  # fmt: skip
    return clock


def codex_turns(out: _File, rng: random.Random, budget: int, clock: int, totals: dict) -> int:
    """Append turns (turn_context, user message, reasoning, a function call and its output,
    the answer, its token_count) until `budget` bytes are written."""

    def item(payload, *, messages=1, kind="response_item"):
        out.line({"timestamp": _stamp(clock), "type": kind, "payload": payload},
                 messages=messages)  # fmt: skip

    while out.written < budget:
        clock += 9
        item({"cwd": _CWDS[0], "approval_policy": "on-request", "model": "gpt-5-codex",
              "effort": "medium", "summary": "auto"}, kind="turn_context")  # fmt: skip
        item({"type": "message", "role": "user",
              "content": [{"type": "input_text", "text": _text(rng, 40)}]})  # fmt: skip
        item({"type": "reasoning", "summary": [{"type": "summary_text", "text": _text(rng, 30)}],
              "encrypted_content": "gAAAA" + "x" * 200})  # fmt: skip
        call = f"call_{rng.getrandbits(64):016x}"
        item({"type": "function_call", "name": "shell", "call_id": call,
              "arguments": json.dumps({"command": ["bash", "-lc", "pytest -q"]})})  # fmt: skip
        output = {
            "output": _text(rng, rng.choice((30, 200, 1200))),
            "metadata": {"exit_code": int(rng.random() < 0.1), "duration_seconds": 0.4},
        }
        item({"type": "function_call_output", "call_id": call, "output": json.dumps(output)})
        item({"type": "message", "role": "assistant",
              "content": [{"type": "output_text", "text": _text(rng, 80)}]})  # fmt: skip
        last = {"input_tokens": 3000, "cached_input_tokens": 2000, "output_tokens": 300,
                "reasoning_output_tokens": 100, "total_tokens": 3300}  # fmt: skip
        for key, value in last.items():
            totals[key] = totals.get(key, 0) + value
        item({"type": "token_count", "info": {"total_token_usage": dict(totals),
              "last_token_usage": last, "model_context_window": 272000}},
             kind="event_msg", messages=0)  # joins the answer before it  # fmt: skip
    return clock


def transcript_tree_generate(claude_home: str, codex_home: str, *, total_bytes: int,
                             files: int, seed: int = 18) -> TreeCounts:  # fmt: skip
    """About `total_bytes` in `files` transcripts: two in three Claude Code (one in five of
    those with a subagent), one in three Codex."""
    rng, counts = random.Random(seed), TreeCounts()
    per_file = max(total_bytes // files, 2048)
    for n in range(files):
        thread = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        clock = n * 3600
        if n % 3 != 2:
            cwd = _CWDS[n % len(_CWDS)]
            folder = os.path.join(claude_home, "projects", cwd.replace("/", "-"))
            out = _File(os.path.join(folder, f"{thread}.jsonl"), counts)
            sub_budget = per_file // 4 if n % 5 == 0 else 0
            claude_turns(out, rng, thread, cwd, per_file - sub_budget, clock)
            out.close()
            if sub_budget:
                sub = os.path.join(folder, thread, "subagents", f"agent-{n:06x}.jsonl")
                out = _File(sub, counts)
                claude_turns(out, rng, thread, cwd, sub_budget, clock)
                out.close()
        else:
            day = 1 + n % 28
            name = f"rollout-2026-01-{day:02d}T10-00-00-{thread}.jsonl"
            out = _File(os.path.join(codex_home, "sessions", "2026", "01", f"{day:02d}", name),
                        counts)  # fmt: skip
            out.line({"timestamp": _stamp(clock), "type": "session_meta",
                      "payload": {"id": thread, "timestamp": _stamp(clock), "cwd": _CWDS[0],
                                  "originator": "codex_cli_rs", "cli_version": "0.46.0",
                                  "instructions": None}})  # fmt: skip
            codex_turns(out, rng, per_file, clock, {})
            out.close()
    return counts


def transcripts_append(paths: list[str], *, per_file: int, seed: int = 81) -> TreeCounts:
    """Append about `per_file` bytes of new turns to each file (the same shapes; a Codex
    rollout's running totals start again, which the reader takes as a new count)."""
    rng, counts = random.Random(seed), TreeCounts()
    for n, path in enumerate(paths):
        out = _File(path, counts, append=True)
        if "/sessions/" in path:
            codex_turns(out, rng, per_file, 40 * _DAY + n * 3600, {"input_tokens": 10**9})
        else:
            session = os.path.basename(path).removesuffix(".jsonl")
            claude_turns(out, rng, session, _CWDS[0], per_file, 40 * _DAY + n * 3600)
        out.close()
    return counts
