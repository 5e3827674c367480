"""Codex CLI rollouts (`<codex home>/sessions/YYYY/MM/DD/rollout-<ts>-<thread id>.jsonl`):
pure readers, no Django.

Each line is `{timestamp, type, payload}`: `session_meta` (id, cwd), `turn_context`
(model), `response_item` (message, reasoning, function_call / function_call_output paired
by `call_id`), `event_msg` (`token_count`: running totals and the last turn's delta),
`compacted`. A token count goes to the assistant message it follows (input is the gross
`input_tokens`, `cached_input_tokens` the cache read); records that are not messages are
kept as system messages with the record verbatim.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

from migration_app.legacy.jsonl import lines_before
from migration_app.legacy.transcripts import (
    TranscriptMessage,
    TranscriptRead,
    count,
    text_of,
    transcript_records,
)

_ROLLOUT_RE = re.compile(
    r"rollout-.*-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl"
)
_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output")


def codex_rollouts_find(codex_home: str) -> Iterator[tuple[str, str]]:
    """(path, thread id) of every rollout under `<home>/sessions`, in a stable order."""
    root = os.path.join(codex_home, "sessions")
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            match = _ROLLOUT_RE.fullmatch(name)
            if match:
                yield os.path.join(folder, name), match.group(1).lower()


def codex_usage(usage: Any) -> dict[str, int] | None:
    if not isinstance(usage, dict):
        return None
    return {
        "input": count(usage.get("input_tokens")),
        "output": count(usage.get("output_tokens")),
        "cache_write": 0,
        "cache_read": count(usage.get("cached_input_tokens")),
    }


class _Turn:
    """What the lines read so far say about the turn under way."""

    def __init__(self):
        self.model = ""
        self.totals: Any = None  # the last total_token_usage seen
        self.unpaid: TranscriptMessage | None = None  # assistant message awaiting its usage
        self.counted: TranscriptMessage | None = None  # the last one given its usage
        self.tools: dict[str, str] = {}  # call_id -> tool name


def codex_rollout_read(path: str, *, offset: int = 0, end: int | None = None) -> TranscriptRead:
    """The messages of the whole lines between `offset` and `end`, in file order. A read
    from the middle carries on the turn above it: its model and running totals."""
    read, turn = TranscriptRead(end=offset), _turn_before(path, offset)
    for start, record in transcript_records(read, path, offset=offset, end=end):
        payload = record.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        kind = record.get("type")
        if kind == "session_meta":
            read.meta = payload
        elif kind == "turn_context" and isinstance(payload.get("model"), str):
            turn.model = payload["model"]
        is_count = kind == "event_msg" and payload.get("type") == "token_count"
        attached, usage = _token_count(turn, record, payload) if is_count else (False, None)
        if attached:
            continue
        message = _message(turn, record, payload, start)
        if message.role == "assistant":
            turn.unpaid = message
        elif usage is not None:  # a turn cut short before any answer: still paid for
            message.usage, message.model, turn.counted = usage, turn.model, message
        read.messages.append(message)
    return read


def _turn_before(path: str, offset: int) -> _Turn:
    """The model of the last `turn_context` and the totals of the last `token_count`
    above `offset`, read backwards until both are found (a turn's worth of lines)."""
    turn, model_found, totals_found = _Turn(), False, False
    for raw in lines_before(path, offset) if offset else ():
        if not model_found and b'"turn_context"' in raw:
            payload = _payload(raw, "turn_context")
            if isinstance(payload.get("model"), str):
                turn.model, model_found = payload["model"], True
        elif not totals_found and b'"token_count"' in raw:
            payload = _payload(raw, "event_msg")
            info = payload.get("info") if payload.get("type") == "token_count" else None
            if isinstance(info, dict) and info.get("total_token_usage") is not None:
                turn.totals, totals_found = info["total_token_usage"], True
        if model_found and totals_found:
            break
    return turn


def _payload(raw: bytes, kind: str) -> dict:
    try:
        record = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(record, dict) or record.get("type") != kind:
        return {}
    payload = record.get("payload")
    return payload if isinstance(payload, dict) else {}


def _token_count(turn: _Turn, record: dict, payload: dict) -> tuple[bool, dict | None]:
    """Give the turn's usage to the assistant message it follows. (False, usage) when there
    is none to give it to: the record is then kept on its own, with that usage."""
    info = payload.get("info") if isinstance(payload.get("info"), dict) else {}
    totals = info.get("total_token_usage")
    if totals is not None and totals == turn.totals:
        # Codex repeats a count: kept with the message it counted, counted once.
        if turn.counted is not None:
            turn.counted.records.append(record)
        return turn.counted is not None, None
    last = codex_usage(info.get("last_token_usage"))
    if last is None and isinstance(totals, dict):
        before = turn.totals if isinstance(turn.totals, dict) else {}
        last = codex_usage({k: count(v) - count(before.get(k)) for k, v in totals.items()})
    turn.totals = totals
    return _attach(turn, record, last), last


def _attach(turn: _Turn, record: dict, usage: dict[str, int] | None) -> bool:
    message = turn.unpaid
    if message is None:
        return False
    message.records.append(record)
    message.usage = usage
    turn.unpaid, turn.counted = None, message
    return True


def _message(turn: _Turn, record: dict, payload: dict, start: int) -> TranscriptMessage:
    stamp = record.get("timestamp") if isinstance(record.get("timestamp"), str) else ""
    message = TranscriptMessage(key=f"@{start}", start=start, role="system", timestamp=stamp)
    message.records.append(record)
    kind, item = record.get("type"), payload.get("type")
    if kind != "response_item":
        message.record_type = f"{kind}:{item}" if kind == "event_msg" else str(kind or "")
        if kind == "compacted":
            message.content = text_of(payload.get("message"))
        return message
    if item == "message":
        role = payload.get("role")
        message.role = role if role in ("user", "assistant") else "system"
        message.content = text_of(payload.get("content"))
    elif item == "reasoning":
        message.role = "assistant"
        message.thinking = [text_of(s) for s in payload.get("summary") or [] if text_of(s)]
    elif item in _CALLS:
        call_id = str(payload.get("call_id") or payload.get("id") or "")
        name = str(payload.get("name") or item)
        turn.tools[call_id] = name
        arguments = payload.get("arguments", payload.get("input", payload.get("action")))
        message.role = "assistant"
        message.tool_calls = [{"id": call_id, "name": name, "input": arguments}]
    elif item in _OUTPUTS:
        message.role = "tool"
        message.tool_call_id = str(payload.get("call_id") or "")
        message.content, message.is_error = _output(payload.get("output"))
    else:
        message.record_type = f"response_item:{item}"
    if message.role == "assistant":
        message.model = turn.model
    return message


def _output(output: Any) -> tuple[str, bool]:
    """A tool output's text and whether it failed (`success: false`, or a non-zero exit
    code in the JSON text Codex writes for shell calls)."""
    data = output
    if isinstance(output, str):
        try:
            data = json.loads(output)
        except ValueError:
            return output, False
    if not isinstance(data, dict):
        return text_of(output) if not isinstance(output, str) else output, False
    failed = data.get("success") is False
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and metadata.get("exit_code") not in (None, 0):
        failed = True
    text = data.get("output", data.get("content", output))
    return (text if isinstance(text, str) else text_of(text) or json.dumps(text)), failed
