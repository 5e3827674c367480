"""Each workstream's messages.jsonl → Messages, streamed from the offset reached before.

A batch of lines is one transaction: its conversations (one per session, one per
workstream for lines without a session), its messages, its journal items and the log's
new offset (LegacyLogOffset) commit together, so after a kill -9 the offset is exactly
where the rows end. A re-run reads on from there: after arawn appended lines, only those.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Max

from migration_app.legacy.arawn import (
    MESSAGES_LOG,
    LogLine,
    log_head,
    log_lines,
    symlink_on_the_way,
)
from migration_app.models import LegacyLogOffset
from migration_app.services.bulk import rows_insert, rows_update
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.arawn_store.state import (
    IN_CHUNK,
    ArawnState,
    Outcome,
    rows_in,
    session_conversation_id,
    workstream_conversation_id,
)
from projects_app.models import Conversation, Message

LINES_PER_ROW_BATCH = 10


def message_logs(state: ArawnState) -> list[tuple[str, str]]:
    """(workstream id, log path) of every usable workstream that has a log."""
    logs = []
    for ws_id in sorted(state.workstreams):
        path = os.path.join(state.tree, ws_id, MESSAGES_LOG)
        if os.path.isfile(path):
            logs.append((ws_id, path))
    return logs


def messages_import(state: ArawnState) -> None:
    for ws_id, path in message_logs(state):
        link = symlink_on_the_way(state.tree, path)
        if link:
            why = f"{link} is a symlink; not followed"
            state.record([ItemRecord("message_log", path, Outcome.FAILED, why)])
        else:
            _log_import(state, ws_id, path)
        migration_run_progress(run=state.run, advance=1)


def _start(state: ArawnState, path: str) -> tuple[int, int, list[ItemRecord]]:
    """Where to read from: the offset kept, unless the log is no longer the one read."""
    kept = LegacyLogOffset.objects.filter(path=path).values("offset", "lines", "head_sha256")
    kept = kept.first()
    if not kept or not kept["offset"]:
        return 0, 0, []
    size = os.path.getsize(path)
    if size >= kept["offset"] and log_head(path, kept["offset"]) == kept["head_sha256"]:
        return kept["offset"], kept["lines"], []
    state.bump("logs_reread")
    why = "the log is shorter or its start changed since the last import; read again from 0"
    return 0, 0, [ItemRecord("message_log", path, Outcome.SKIPPED, why)]


def _log_import(state: ArawnState, ws_id: str, path: str) -> None:
    offset, lines, notes = _start(state, path)
    if notes:
        state.record(notes)
    if offset == os.path.getsize(path):
        state.bump("logs_unchanged")
        return
    # Lines are small: ten times the row batch per transaction (a commit each costs ~5 ms).
    size = state.batch_size * LINES_PER_ROW_BATCH
    batches = _batched(log_lines(path, offset=offset, lines_before=lines), size)
    for batch in batches:
        with transaction.atomic():
            _batch_write(state, ws_id, path, batch, offset, lines)
        offset, lines = batch[-1].end, batch[-1].number


def _batched(lines: Iterator[LogLine], size: int) -> Iterator[list[LogLine]]:
    while chunk := list(islice(lines, size)):
        yield chunk


class NewMessage(NamedTuple):
    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str
    content: str
    tool_calls: list | None
    tool_call_id: str
    extra_data: dict
    created_at: dt.datetime
    tokens_used: int = 0


_MESSAGE_COLUMNS = (
    "id", "conversation", "role", "content", "tool_calls", "tool_call_id", "extra_data",
    "tokens_used", "created_at",
)  # fmt: skip


def messages_write(new: list[NewMessage]) -> None:
    """The batch's messages in one statement (bulk.rows_insert; COPY on PostgreSQL).

    `Message.objects.bulk_create` builds a model instance and compiles every value of every
    row. Same machine, same hour (2026-12-04, load 5.9, SQLite, 50,000 lines and 2,000
    files, `python -m bench.arawn_import --workstreams 20 --sessions 500 --messages 50000
    --files 2000 [--messages-via-orm]`): first import 5.17 s (3.07x its floor) with
    rows_insert, 6.33 s (5.24x its floor) with bulk_create."""
    if not new:
        return
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: looked up once, not per value
    ops, fields = db.ops, Message._meta
    uuid_field, json_field = fields.get_field("id"), fields.get_field("extra_data")
    encoder = json_field.encoder
    rows = [
        (
            uuid_field.get_db_prep_save(m.id, db),
            uuid_field.get_db_prep_save(m.conversation_id, db),
            m.role,
            m.content,
            None if m.tool_calls is None else ops.adapt_json_value(m.tool_calls, encoder),
            m.tool_call_id,
            ops.adapt_json_value(m.extra_data, encoder),
            m.tokens_used,
            ops.adapt_datetimefield_value(m.created_at),
        )
        for m in new
    ]
    rows_insert(Message, _MESSAGE_COLUMNS, rows)


@functools.lru_cache(maxsize=65_536)
def _conversation_for(ws_id: str, session_id: str | None) -> tuple[uuid.UUID, str, str]:
    if session_id:
        return session_conversation_id(session_id), "session_id", session_id
    return workstream_conversation_id(ws_id), "workstream_id", ws_id


def _batch_write(
    state: ArawnState, ws_id: str, path: str, batch: list[LogLine], offset: int, lines: int
) -> None:
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
    end, end_lines = batch[-1].end, batch[-1].number
    before = {"offset": offset, "lines": lines}
    after = {"ids": [str(m.id) for m in new], "offset": end, "lines": end_lines}
    subject = f"{path}:{batch[0].number}-{end_lines}"
    items.append(
        ItemRecord(
            "message_batch", subject, Outcome.MIGRATED, f"{len(new)} messages", before, after
        )
    )
    LegacyLogOffset.objects.update_or_create(
        path=path,
        defaults={"offset": end, "lines": end_lines, "head_sha256": log_head(path, end)},
    )
    state.record(items)


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
    present = {pk for (pk,) in rows_in(Message.objects, "pk", [m.id for m in new], "pk")}
    state.bump("messages_already_present", len(present))
    new = [m for m in new if m.id not in present]
    messages_write(new)
    return new


def _conversations_ensure(
    state: ArawnState, wanted: dict[uuid.UUID, tuple[str, str, LogLine]]
) -> list[ItemRecord]:
    """Create the conversations a batch needs that do not exist yet (a session's exists
    from its import; a workstream's, or an unknown session's, is made here)."""
    existing = {pk for (pk,) in rows_in(Conversation.objects, "pk", list(wanted), "pk")}
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


def conversation_counters_update(new: list[NewMessage]) -> None:
    """message_count and last_message_at of the conversations that received messages: one
    read and one `UPDATE … FROM (VALUES …)` (bulk.rows_update) per batch, however many
    conversations it touches (one UPDATE each cost 2.5 of 11 s at 50,000 lines)."""
    per: dict[uuid.UUID, list] = {}
    for m in new:
        count_last = per.setdefault(m.conversation_id, [0, m.created_at])
        count_last[0] += 1
        count_last[1] = max(count_last[1], m.created_at)
    if not per:
        return
    current = rows_in(
        Conversation.objects, "pk", list(per), "pk", "message_count", "last_message_at"
    )
    rows = []
    for conv_id, count, last in current:
        added, newest = per[conv_id]
        rows.append((conv_id, count + added, max(newest, last) if last else newest))
    columns = ("message_count", "last_message_at")
    for start in range(0, len(rows), IN_CHUNK):
        rows_update(Conversation, key="id", columns=columns, rows=rows[start : start + IN_CHUNK])


def conversations_recount(conversation_ids: list) -> None:
    """Counters from the rows (after an undo removed messages)."""
    for conv_id in conversation_ids:
        rows = Message.objects.filter(conversation_id=conv_id)
        Conversation.objects.filter(pk=conv_id).update(
            message_count=rows.count(), last_message_at=rows.aggregate(m=Max("created_at"))["m"]
        )
