"""Claude Code and Codex transcripts: where Claude Code keeps them (legacy-formats §2.6),
and the shape every transcript reader returns. Pure: no Django.

Claude Code files a transcript under `<claude home>/projects/<slug of the worktree's real
path>/<uuid>.jsonl`. The importer copies it to the bucket of the session's new worktree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from migration_app.legacy.jsonl import jsonl_lines, record_parse

_SLUG_RE = re.compile(r"[^A-Za-z0-9-]")
# A transcript file name is built from the uuid: no separators, no dots.
_UUID_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,200}")


def claude_slug(path: str) -> str:
    """Claude Code's project bucket name: every char outside [a-zA-Z0-9-] becomes '-'."""
    return _SLUG_RE.sub("-", path)


def wants_transcript(agent: str, uuid: str, worktree: str) -> bool:
    """Claude Code sessions with a uuid and a worktree have a transcript to relocate."""
    return agent == "claude-code" and bool(worktree) and _UUID_NAME_RE.fullmatch(uuid) is not None


def transcript_source(*, claude_home: str, worktree: str, uuid: str, realpath=os.path.realpath):
    """Where the session's transcript is now."""
    bucket = claude_slug(realpath(worktree))
    return os.path.join(claude_home, "projects", bucket, f"{uuid}.jsonl")


def transcript_destination(
    *, claude_home: str, data_dir: str, project_id: str, session_id: str, uuid: str
) -> str:
    """Where it goes: the bucket of the session's new worktree, the literal path
    `<data dir>/worktrees/<project>/<session>` (no realpath)."""
    new_worktree = os.path.join(data_dir, "worktrees", project_id, session_id)
    return os.path.join(claude_home, "projects", claude_slug(new_worktree), f"{uuid}.jsonl")


class CachedRealpath:
    """os.path.realpath that resolves each parent directory once: a project's worktrees
    share theirs, and resolving walks every component with lstat. Only the last
    component is looked at per call. Meant for one run (a symlink changed meanwhile is
    not seen); it forgets everything past `keep` directories, so memory stays bounded."""

    def __init__(self, keep: int = 10_000):
        self.keep = keep
        self._dirs: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        parent, name = os.path.split(path)
        if not parent or name in ("", ".", ".."):
            return os.path.realpath(path)
        real_parent = self._dirs.get(parent)
        if real_parent is None:
            if len(self._dirs) >= self.keep:
                self._dirs.clear()
            real_parent = self._dirs[parent] = os.path.realpath(parent)
        candidate = os.path.join(real_parent, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


# --- what a transcript reader returns ----------------------------------------------------


@dataclass
class TranscriptMessage:
    """One message of a transcript, as the hub stores it (every original record kept)."""

    key: str  # stable within its file: the record's uuid, the API message id, or @offset
    start: int  # byte offset of its first line
    role: str  # user, assistant, tool, system
    content: str = ""
    timestamp: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str = ""
    is_error: bool = False
    model: str = ""
    usage: dict[str, int] | None = None  # input, output, cache_write (cache_write_1h), cache_read
    thinking: list[str] = field(default_factory=list)
    record_type: str = ""
    records: list[Any] = field(default_factory=list)  # the lines it came from, verbatim


@dataclass
class TranscriptRead:
    """What one read of a file gave: its messages in file order, the lines that could
    not be read (offset, why), and where the next read starts."""

    messages: list[TranscriptMessage] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    end: int = 0  # just after the last whole line read
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. Codex's session_meta payload

    @property
    def tail_start(self) -> int:
        """Where the next read starts: the end, unless the last assistant message may
        still grow (it is the last message: a streamed API message; or its token count
        has not come yet, as in Codex), then that message's first line."""
        assistant = next((m for m in reversed(self.messages) if m.role == "assistant"), None)
        if assistant is not None and (assistant is self.messages[-1] or assistant.usage is None):
            return assistant.start
        return self.end


def text_of(value: Any) -> str:
    """The text of a content value: a string, or the text parts of a list of blocks."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [text_of(block) for block in value]
        return "\n\n".join(part for part in parts if part)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    return ""


def count(value: Any) -> int:
    """A token count from a record: non-negative int, anything else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def transcript_records(
    read: TranscriptRead, path: str, *, offset: int, end: int | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each whole line's object with the byte offset it starts at; `read.end` follows what
    is consumed, and a line that is no JSON object is kept as a problem (the file goes on)."""
    for line in jsonl_lines(path, offset=offset, end=end):
        read.end = line.end
        if not line.raw.strip():
            continue
        try:
            record = record_parse(line.raw)
        except ValueError as exc:
            read.problems.append((line.start, str(exc)))
            continue
        yield line.start, record
