"""A window of a transcript file → the values the hub stores for its messages. Pure (no
Django), so that a second process can prepare the next window while the import writes
this one (services/transcripts/lookahead.py); the import calls the same function itself
when nothing was prepared ahead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.dateparse import parse_datetime  # pure: no settings, no apps

from migration_app.legacy.claude_code import claude_transcript_read
from migration_app.legacy.codex import codex_rollout_read
from migration_app.legacy.transcript_secrets import record_secrets_drop

READERS = {"claude-code": claude_transcript_read, "codex": codex_rollout_read}
_NS = uuid.UUID("6f1d2c3b-8a47-4e59-b0c1-2d3e4f5a6b7c")
_CHUNK = 1 << 20


def stable_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(_NS, "\x1f".join(parts))


def timestamp(value: str) -> dt.datetime | None:
    try:
        stamp = parse_datetime(value) if value else None
    except ValueError:
        return None
    if stamp is not None and stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp


class StoredJSON(str):
    """A JSON value already encoded: written to a JSON column as it is."""


class PreparedMessage(NamedTuple):
    id: uuid.UUID
    start: int  # byte offset of its first line
    role: str
    content: str
    timestamp: dt.datetime | None  # the record's own, parsed; None when it has none
    tool_calls: StoredJSON | None
    tool_call_id: str
    extra_data: StoredJSON  # every original field, secrets dropped
    tokens_used: int
    usage: dict[str, int] | None
    model: str
    key: str


@dataclass
class PreparedRead:
    """A TranscriptRead as the hub stores it: its messages' values, the lines that could
    not be read, where the next read starts, the session's cwd and first prompt."""

    messages: list[PreparedMessage] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    end: int = 0
    tail_start: int = 0
    cwd: str = ""
    prompt: str = ""
    digest: str = ""  # sha256 of the file's bytes [0, end) as read, when asked for


def window_prepare(
    *, path: str, source: str, relative: str, offset: int, end: int, digest_from: int = -1
) -> PreparedRead:
    """The messages of the whole lines of `path` between `offset` and `end`. With
    `digest_from` (where the copy of this read starts), the sha256 of bytes [0, end) too:
    the import uses this read only when its archive copy holds those very bytes."""
    read = READERS[source](path, offset=offset, end=end)
    # The session's cwd: Codex's session_meta, else the first record that names one.
    cwds = [read.meta.get("cwd")] + [m.records[0].get("cwd") for m in read.messages if m.records]
    prompt = next((m.content for m in read.messages if m.role == "user" and m.content), "")
    return PreparedRead(
        messages=[_prepared(source, relative, m) for m in read.messages],
        problems=read.problems, end=read.end, tail_start=read.tail_start,
        cwd=next((c for c in cwds if isinstance(c, str) and c), ""), prompt=prompt,
        digest=_running_sha256(path, digest_from, end) if digest_from >= 0 else "",
    )  # fmt: skip


def _prepared(source: str, relative: str, m) -> PreparedMessage:
    records, dropped = record_secrets_drop(m.records)
    tool_calls, dropped_calls = record_secrets_drop(m.tool_calls)
    extra = {"source": source, "transcript": relative, "offset": m.start, "key": m.key,
             "records": records}  # fmt: skip
    # Those a message has (a usage is None or a dict of counts, never empty).
    optional = {"record_type": m.record_type, "model": m.model, "usage": m.usage,
                "thinking": m.thinking, "is_error": m.is_error}  # fmt: skip
    extra.update({key: value for key, value in optional.items() if value})
    if dropped or dropped_calls:
        extra["secrets_dropped"] = dropped + dropped_calls
    usage = m.usage or {}
    return PreparedMessage(
        stable_id("message", source, relative, m.key), m.start, m.role, m.content,
        timestamp(m.timestamp),
        None if tool_calls is None else StoredJSON(json.dumps(tool_calls)), m.tool_call_id[:255],
        StoredJSON(json.dumps(extra)), usage.get("input", 0) + usage.get("output", 0), m.usage,
        m.model, m.key,
    )  # fmt: skip


# The last file hashed, and how far: the next window of a large file goes on from there.
_running: dict[str, tuple[int, Any]] = {}


def _running_sha256(path: str, start: int, end: int) -> str:
    position, digest = _running.pop(path, (-1, None))
    if position != start:
        position, digest = 0, hashlib.sha256()
    _running.clear()
    with open(path, "rb") as handle:
        handle.seek(position)
        while position < end and (chunk := handle.read(min(_CHUNK, end - position))):
            digest.update(chunk)
            position += len(chunk)
    _running[path] = (position, digest.copy())
    return digest.hexdigest()
