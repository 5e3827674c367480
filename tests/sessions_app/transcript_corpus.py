"""A long Claude Code transcript written as a real file, in the documented shapes, for the
viewer's tests, its browser test and bench/transcript_viewer.py.

One cycle of 7 lines, one second apart: a user prompt; one streamed API message of three
lines (thinking, text, a Bash tool_use; same `message.id` and `requestId`, growing
usage); the tool's result; a `progress` and a `file-history-snapshot` record (types the
viewer hides). One result, `ERROR_CALL`, is an error, about 60% of the way in; subagent
transcripts (`<uuid>/subagents/agent-<n>.jsonl`) start between their parent's cycles.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

SESSION_UUID = "7c1e9a40-5d2b-4f8e-9a31-b2c4d6e8f0a1"
CWD = "/home/dev/big-app"
START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
MODEL = "claude-sonnet-4-5"
CYCLE = 7
ERROR_CALL = "toolu_error_first"


@dataclass(frozen=True)
class Corpus:
    path: Path  # the session's transcript
    lines: int  # lines of the session's own transcript
    turns: int  # cycles (a prompt and an answer each)
    subagents: list[str]  # subagent names (file names without .jsonl)
    error_turn: int  # the cycle whose tool result is the first error
    subagent_turns: list[int]  # the cycle after which each subagent starts


def _stamp(second: float) -> str:
    return (START + dt.timedelta(seconds=second)).isoformat().replace("+00:00", "Z")


def _base(kind: str, uuid: str, second: int, session: str) -> dict:
    return {
        "type": kind, "uuid": uuid, "parentUuid": None, "sessionId": session,
        "timestamp": _stamp(second), "cwd": CWD, "version": "2.0.14", "gitBranch": "main",
    }  # fmt: skip


def _usage(out: int) -> dict:
    return {
        "input_tokens": 1200, "output_tokens": out,
        "cache_creation_input_tokens": 300, "cache_read_input_tokens": 9000,
    }  # fmt: skip


def cycle(
    n: int, second: float, *, session: str, tag: str, call_id: str, error: bool, step=1.0
) -> list:
    """The CYCLE lines of turn `n`, the first at `second`, `step` seconds apart."""
    msg, req = f"msg_{tag}{n}", f"req_{tag}{n}"

    def assistant(k: int, block: dict, out: int) -> dict:
        record = _base("assistant", f"{tag}a{n}-{k}", second + k * step, session)
        record["requestId"] = req
        record["message"] = {
            "id": msg, "type": "message", "role": "assistant", "model": MODEL,
            "content": [block], "stop_reason": None, "usage": _usage(out),
        }  # fmt: skip
        return record

    prompt = _base("user", f"{tag}u{n}", second, session)
    prompt["message"] = {"role": "user", "content": f"Step {n}: run the checks of module {n}."}
    result = _base("user", f"{tag}r{n}", second + 4 * step, session)
    output = f"exit 1: module_{n} failed" if error else f"ok: module_{n} passed ({n} tests)"
    block = {"type": "tool_result", "tool_use_id": call_id, "content": output, "is_error": error}
    result["message"] = {"role": "user", "content": [block]}
    progress = _base("progress", f"{tag}p{n}", second + 5 * step, session)
    progress["data"] = {"type": "bash_progress", "elapsedTimeSeconds": 1}
    snapshot = {
        "type": "file-history-snapshot", "messageId": f"{tag}u{n}",
        "snapshot": {"trackedFileBackups": {}, "timestamp": _stamp(second + 6 * step)},
        "isSnapshotUpdate": False,
    }  # fmt: skip
    return [
        prompt,
        assistant(1, {"type": "thinking", "thinking": f"Module {n} first.", "signature": "s"}, 5),
        assistant(2, {"type": "text", "text": f"Running the checks of module {n}."}, 20),
        assistant(
            3,
            {
                "type": "tool_use",
                "id": call_id,
                "name": "Bash",
                "input": {"command": f"pytest tests/module_{n}", "description": "checks"},
            },
            60,
        ),  # fmt: skip
        result,
        progress,
        snapshot,
    ]


def _write(path: Path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def claude_transcript_write(
    home: Path,
    *,
    lines: int = 50_000,
    subagents: int = 2,
    subagent_turns: int = 30,
    uuid: str = SESSION_UUID,
) -> Corpus:
    """A session of about `lines` lines (whole cycles) under `<home>/projects`, and
    `subagents` subagent transcripts of `subagent_turns` cycles each."""
    turns = max(lines // CYCLE, 2)
    error_turn = turns * 3 // 5
    folder = home / "projects" / CWD.replace("/", "-")
    path = folder / f"{uuid}.jsonl"
    records = (
        record
        for n in range(turns)
        for record in cycle(
            n, n * 10, session=uuid, tag="", error=n == error_turn,
            call_id=ERROR_CALL if n == error_turn else f"toolu_{n}",
        )
    )  # fmt: skip
    _write(path, records)
    names, starts = [], []
    for s in range(subagents):
        name = f"agent-{s:04x}"
        names.append(name)
        # Early on, then spread out; in the quiet seconds after a parent cycle (its
        # lines take 0..6 of every 10).
        after = min(s * turns // subagents + 20, turns - 1)
        starts.append(after)
        begin = after * 10 + 7.2
        sub = (
            record
            for n in range(subagent_turns)
            for record in cycle(
                n, begin + n * CYCLE * 0.01, session=uuid, tag=f"s{s}-",
                call_id=f"toolu_s{s}_{n}", error=False, step=0.01,
            )
        )  # fmt: skip
        _write(folder / uuid / "subagents" / f"{name}.jsonl", sub)
    return Corpus(path, turns * CYCLE, turns, names, error_turn, starts)
