"""Each workstream's messages.jsonl → Messages, streamed from the offset reached before.

A batch of lines is one transaction: its conversations (one per session, one per
workstream for lines without a session), its messages, its journal items and the log's
new offset (LegacyLogOffset) commit together, so after a kill -9 the offset is exactly
where the rows end. A re-run reads on from there: after arawn appended lines, only those.

The hub orders a conversation by (created_at, id), and ids are random: a line whose
timestamp ties with the line before it is given 1 µs more than that line (the source
string stays in extra_data["timestamp"]), so the file order is the hub's. The offset
row carries where the last line stands among tied lines, so lines appended after a tie
get what one run over the whole log would give them.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from typing import NamedTuple

from django.db import IntegrityError, transaction

from migration_app.legacy.arawn import (
    MESSAGES_LOG,
    LogLine,
    log_head,
    log_lines,
    symlink_on_the_way,
)
from migration_app.models import LegacyLogOffset
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.arawn_store.state import (
    ArawnState,
    session_conversation_id,
    workstream_conversation_id,
)
from migration_app.services.legacy_import.shared import (
    NewMessage,
    Outcome,
    batched,
    conversation_counters_update,
    messages_write,
    pks_present,
    tie_broken,
)
from projects_app.models import Conversation, Message

LINES_PER_ROW_BATCH = 10


class LogPosition(NamedTuple):
    """How far a log is imported: bytes and lines, and the last line's place among tied
    lines (it was given tie_timestamp + tie_count µs)."""

    offset: int = 0
    lines: int = 0
    tie_timestamp: dt.datetime | None = None
    tie_count: int = 0

    def journaled(self) -> dict:
        stamp = self.tie_timestamp.isoformat() if self.tie_timestamp else None
        return {"offset": self.offset, "lines": self.lines, "tie_timestamp": stamp,
                "tie_count": self.tie_count}  # fmt: skip


def message_logs(state: ArawnState) -> list[tuple[str, str]]:
    """(workstream id, log path) of every usable workstream that has a log."""
    logs = [(ws_id, os.path.join(state.tree, ws_id, MESSAGES_LOG)) for ws_id in state.workstreams]
    return sorted((ws_id, path) for ws_id, path in logs if os.path.isfile(path))


def messages_import(state: ArawnState) -> None:
    for ws_id, path in message_logs(state):
        link = symlink_on_the_way(state.tree, path)
        if link:
            why = f"{link} is a symlink; not followed"
            state.record([ItemRecord("message_log", path, Outcome.FAILED, why)])
        else:
            _log_import(state, ws_id, path)
        migration_run_progress(run=state.run, advance=1)


def _start(state: ArawnState, path: str) -> tuple[LogPosition, list[ItemRecord]]:
    """Where to read from: the offset kept, unless the log is no longer the one read."""
    kept = LegacyLogOffset.objects.filter(path=path).values("head_sha256", *LogPosition._fields)
    kept = kept.first()
    if not kept or not kept["offset"]:
        return LogPosition(), []
    size = os.path.getsize(path)
    if size >= kept["offset"] and log_head(path, kept["offset"]) == kept["head_sha256"]:
        return LogPosition(*(kept[name] for name in LogPosition._fields)), []
    state.bump("logs_reread")
    why = "the log is shorter or its start changed since the last import; read again from 0"
    return LogPosition(), [ItemRecord("message_log", path, Outcome.SKIPPED, why)]


def _log_import(state: ArawnState, ws_id: str, path: str) -> None:
    position, notes = _start(state, path)
    if notes:
        state.record(notes)
    if position.offset == os.path.getsize(path):
        state.bump("logs_unchanged")
        return
    # Lines are small: ten times the row batch per transaction (a commit each costs ~5 ms).
    size = state.batch_size * LINES_PER_ROW_BATCH
    lines = log_lines(path, offset=position.offset, lines_before=position.lines)
    for batch in batched(lines, size):
        with transaction.atomic():
            position = _batch_write(state, ws_id, path, batch, position)


@functools.lru_cache(maxsize=65_536)
def _conversation_for(ws_id: str, session_id: str | None) -> tuple[uuid.UUID, str, str]:
    if session_id:
        return session_conversation_id(session_id), "session_id", session_id
    return workstream_conversation_id(ws_id), "workstream_id", ws_id


def _batch_write(
    state: ArawnState, ws_id: str, path: str, batch: list[LogLine], before: LogPosition
) -> LogPosition:
    """Write a batch of lines; returns the log's position after it."""
    position = before
    items: list[ItemRecord] = []
    parsed: list[tuple[LogLine, uuid.UUID, uuid.UUID]] = []
    wanted: dict[uuid.UUID, tuple[str, str, LogLine]] = {}
    for line in batch:
        message = line.message
        if message is not None:
            try:
                message_id = uuid.UUID(message["id"])
            except ValueError:
                line.problem, message = f"id {message['id']!r} is not a UUID", None
        if message is None:
            state.bump("message_lines_rejected")
            where = f"{path}:{line.number}"
            items.append(ItemRecord("message_line", where, Outcome.FAILED, line.problem))
            continue
        message["created_at"], position = tie_broken(message["created_at"], position)
        conv_id, key, ref = _conversation_for(ws_id, message["session_id"])
        wanted.setdefault(conv_id, (key, ref, line))
        parsed.append((line, message_id, conv_id))
    items += _conversations_ensure(state, wanted)
    new, seen = [], set()
    rel = os.path.relpath(path, state.tree)
    for line, message_id, conv_id in parsed:
        if message_id in seen:
            state.bump("messages_already_present")
            continue
        seen.add(message_id)
        m = line.message
        extra = {**m["extra"], "source": "arawn", "log": rel, "line": line.number}
        if m["session_id"]:
            extra["session_id"] = m["session_id"]
        new.append(
            NewMessage(message_id, conv_id, m["role"], m["content"], m["tool_calls"],
                       m["tool_call_id"], extra, m["created_at"])
        )  # fmt: skip
    new = _messages_insert(state, new)
    state.bump("messages_imported", len(new))
    conversation_counters_update(new)
    position = position._replace(offset=batch[-1].end, lines=batch[-1].number)
    after = {"ids": [str(m.id) for m in new], **position.journaled()}
    subject = f"{path}:{batch[0].number}-{position.lines}"
    items.append(
        ItemRecord(
            "message_batch",
            subject,
            Outcome.MIGRATED,
            f"{len(new)} messages",
            before.journaled(),
            after,
        )
    )
    LegacyLogOffset.objects.update_or_create(
        path=path,
        defaults={**position._asdict(), "head_sha256": log_head(path, position.offset)},
    )
    state.record(items)
    return position


def _messages_insert(state: ArawnState, new: list[NewMessage]) -> list[NewMessage]:
    """Insert the batch; returns the messages inserted. Usually none exists yet, so the
    batch is written without asking first (in a savepoint); when one does (a log read
    again, a line in two logs), the ids present are asked and the others written."""
    try:
        with transaction.atomic():
            messages_write(new)
        return new
    except IntegrityError:
        pass
    present = pks_present(Message, [m.id for m in new])
    state.bump("messages_already_present", len(present))
    new = [m for m in new if m.id not in present]
    messages_write(new)
    return new


def _conversations_ensure(
    state: ArawnState, wanted: dict[uuid.UUID, tuple[str, str, LogLine]]
) -> list[ItemRecord]:
    """Create the conversations a batch needs that do not exist yet (a session's exists
    from its import; a workstream's, or an unknown session's, is made here)."""
    existing = pks_present(Conversation, wanted)
    items, new = [], []
    for conv_id, (key, ref, line) in wanted.items():
        if conv_id in existing:
            continue
        if key == "workstream_id":
            title = f"arawn workstream {ref}: messages without a session"
        else:
            title = f"arawn session {ref} (no such session in workstreams.db)"
        new.append(
            Conversation(
                id=conv_id,
                workspace=state.workspace,
                title=title[:500],
                purpose="arawn",
                extra_data={"source": "arawn", key: ref},
                created_at=line.message["created_at"],
            )
        )
        after = {key: ref}
        items.append(ItemRecord("conversation", str(conv_id), Outcome.MIGRATED, title, None, after))
    Conversation.objects.bulk_create(new)
    return items
