"""Claude Code transcripts (`<claude home>/projects/<cwd slug>/<uuid>.jsonl`, subagents in
`<uuid>/subagents/*.jsonl`): pure readers, no Django.

One JSON object a line. `user` lines hold text or tool results (`tool_use_id`,
`is_error`); `assistant` lines hold content blocks (text, thinking, tool_use) of one API
message, which Claude Code writes as several lines repeating `message.id` and `requestId`
with a growing `usage`: they become one message, blocks in order, usage from the last
line. Every other record type (summary, system, progress, file-history-snapshot, …) is
kept as a system message with the record verbatim.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from migration_app.legacy.transcripts import (
    TranscriptMessage,
    TranscriptRead,
    count,
    text_of,
    transcript_records,
)

SUBAGENTS = "subagents"


def claude_transcripts_find(claude_home: str) -> Iterator[tuple[str, str, str | None]]:
    """(path, session uuid, parent uuid or None) of every transcript under
    `<home>/projects`, in a stable order; subagents follow their session."""
    projects = os.path.join(claude_home, "projects")
    for bucket in _listed(projects):
        folder = os.path.join(projects, bucket)
        for path, uuid in _jsonl_files(folder):
            yield path, uuid, None
            for sub, agent in _jsonl_files(os.path.join(folder, uuid, SUBAGENTS)):
                yield sub, agent, uuid


def _listed(folder: str) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _jsonl_files(folder: str) -> Iterator[tuple[str, str]]:
    """(path, name without `.jsonl`) of the transcript files in `folder`, by name."""
    for name in _listed(folder):
        path = os.path.join(folder, name)
        if name.endswith(".jsonl") and os.path.isfile(path):
            yield path, name.removesuffix(".jsonl")


def claude_usage(usage: Any) -> dict[str, int] | None:
    """{input, output, cache_write, cache_read} of a Claude `usage` object, and
    `cache_write_1h` (those of the cache writes made for the 1-hour cache) when it gives
    the split in `cache_creation` (newer Claude Code versions); without it every cache
    write is a 5-minute one."""
    if not isinstance(usage, dict):
        return None
    tokens = {
        "input": count(usage.get("input_tokens")),
        "output": count(usage.get("output_tokens")),
        "cache_write": count(usage.get("cache_creation_input_tokens")),
        "cache_read": count(usage.get("cache_read_input_tokens")),
    }
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        one_hour = count(split.get("ephemeral_1h_input_tokens"))
        if not tokens["cache_write"]:  # the split without its total
            tokens["cache_write"] = count(split.get("ephemeral_5m_input_tokens")) + one_hour
        tokens["cache_write_1h"] = min(one_hour, tokens["cache_write"])
    return tokens


def claude_transcript_read(path: str, *, offset: int = 0, end: int | None = None) -> TranscriptRead:
    """The messages of the whole lines between `offset` and `end`, in file order."""
    read = TranscriptRead(end=offset)
    streamed: dict[tuple[str, str], TranscriptMessage] = {}
    for start, record in transcript_records(read, path, offset=offset, end=end):
        kind = record.get("type")
        if kind == "assistant" and isinstance(record.get("message"), dict):
            _assistant(read, streamed, record, start)
        elif kind == "user" and isinstance(record.get("message"), dict):
            read.messages.extend(_user(record, start))
        else:
            read.messages.append(_other(record, start))
    return read


def _key(record: dict[str, Any], start: int) -> str:
    uuid = record.get("uuid")
    return uuid if isinstance(uuid, str) and uuid else f"@{start}"


def _stamp(record: dict[str, Any]) -> str:
    stamp = record.get("timestamp")
    return stamp if isinstance(stamp, str) else ""


def _assistant(read: TranscriptRead, streamed: dict, record: dict, start: int) -> None:
    message = record["message"]
    api_id, request = message.get("id"), record.get("requestId")
    group = (str(api_id), str(request)) if api_id else None
    current = streamed.get(group) if group else None
    if current is None:
        key = f"msg:{api_id}:{request}" if group else _key(record, start)
        current = TranscriptMessage(
            key=key, start=start, role="assistant", timestamp=_stamp(record)
        )
        read.messages.append(current)
        if group:
            streamed[group] = current
    current.records.append(record)
    if isinstance(message.get("model"), str):
        current.model = message["model"]
    # Each streamed line repeats the usage so far: the last one is the message's.
    usage = claude_usage(message.get("usage"))
    if usage is not None:
        current.usage = usage
    blocks = message.get("content")
    for block in blocks if isinstance(blocks, list) else [blocks]:
        _block(current, block)


def _block(message: TranscriptMessage, block: Any) -> None:
    if isinstance(block, str):
        block = {"type": "text", "text": block}
    if not isinstance(block, dict):
        return
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        message.content = "\n\n".join(p for p in (message.content, block["text"]) if p)
    elif kind in ("thinking", "redacted_thinking"):
        message.thinking.append(str(block.get("thinking", "")))
    elif kind == "tool_use":
        call = {
            "id": block.get("id", ""),
            "name": block.get("name", ""),
            "input": block.get("input"),
        }
        message.tool_calls = [*(message.tool_calls or []), call]


def _user(record: dict, start: int) -> list[TranscriptMessage]:
    """A user line: its text as one user message, each tool result as a tool message."""
    content = record["message"].get("content")
    blocks = content if isinstance(content, list) else [content]
    results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
    text = text_of(
        [b for b in blocks if not (isinstance(b, dict) and b.get("type") == "tool_result")]
    )
    key, stamp = _key(record, start), _stamp(record)
    messages = []
    if text or not results:
        messages.append(
            TranscriptMessage(
                key=key, start=start, role="user", content=text, timestamp=stamp, records=[record]
            )
        )
    for result in results:
        call_id = str(result.get("tool_use_id", ""))
        messages.append(
            TranscriptMessage(
                key=f"{key}/{call_id}",
                start=start,
                role="tool",
                content=text_of(result.get("content")),
                timestamp=stamp,
                tool_call_id=call_id,
                is_error=result.get("is_error") is True,
                records=[record],
            )
        )
    return messages


def _other(record: dict, start: int) -> TranscriptMessage:
    """Any other record: a system message holding the record verbatim."""
    kind = record.get("type")
    text = record.get("content") if kind == "system" else record.get("summary")
    return TranscriptMessage(
        key=_key(record, start),
        start=start,
        role="system",
        content=text_of(text),
        timestamp=_stamp(record),
        record_type=str(kind) if kind is not None else "",
        records=[record],
    )
