"""One transcript file → its archive copy, then its messages, incrementally.

Per file: decide where to read from (the offset kept, or 0 when the file shrank or its
prefix changed, with a note and the earlier copy kept aside), copy the new whole lines to
the archive and verify them, parse them (from the copy; a dry run parses the original and
copies nothing, but checks that the copy could be written), and write the messages, the
journal items and the file's new offset together (ImportState.window_writes). A message
already present (same stable id) is not duplicated; the last message of a read is read
again next time (it may still grow) and updated if it did.

The hub orders a conversation by (created_at, id) and ids are uuid5: a message whose
timestamp ties with the one before it in the file gets 1 µs more than that one (the tie
rule of every legacy import, shared.tie_broken); one without a timestamp goes 1 µs after
the one before, or takes the file's first timestamp when it leads. The file's row keeps
the tie where the next read starts (before the message read again), so a file read in
windows or runs gets the created_at values one read of it gives.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field

from django.db import connection, transaction

from migration_app.legacy.jsonl import head_sha256, whole_lines_end
from migration_app.legacy.transcript_rows import PreparedMessage, PreparedRead
from migration_app.models import TranscriptFile
from migration_app.services.journal import ItemRecord
from migration_app.services.legacy_import.shared import (
    NewMessage,
    Outcome,
    RunState,
    Tie,
    conversation_counters_update,
    messages_write,
    rows_in,
    tie_broken,
)
from migration_app.services.transcripts.archive import (
    archive_append,
    archive_check,
    archive_path_for,
    archive_set_aside,
    copy_is_prefix_of,
    prefix_unchanged,
    range_sha256,
)
from migration_app.services.transcripts.linking import (
    TranscriptSource,
    conversation_resolve,
)
from migration_app.services.transcripts.lookahead import WindowLookahead
from projects_app.bulk import rows_count_in
from projects_app.models import Conversation, Message, Workspace
from sessions_app.models import Session
from sessions_app.usage import usage_rows_record

_STATE_FIELDS = ("size", "mtime_ns", "offset", "tail_start", "head_sha256", "prefix_sha256",
                 "tie_count")  # fmt: skip
_MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "extra_data", "tokens_used")


# New bytes read per transaction: a huge file is imported in windows, memory stays bounded
# and a kill -9 loses at most the last WINDOW bytes read (the next run reads on from there).
WINDOW = 8 << 20
GROUP_FILES = 100  # files whose windows may share a transaction (progress shows meanwhile)


class KeptFiles:
    """The TranscriptFile rows of the files a run is about to read, read many paths a
    query: one query a file took about 1.6 ms (cProfile of an append re-run of 100 files
    of a 581-file tree, 2026-12-07: 1,249 such look-ups, 2.0 of 20.5 s). A row is taken
    once, by the file's import; asked again (the file is retried) it is read again."""

    def __init__(self) -> None:
        self._rows: dict[str, TranscriptFile | None] = {}

    def load(self, files, *, needed: int) -> None:
        """Read the rows of `files` not read yet, when one of the first `needed` is missing:
        a query per about len(files) - needed files."""
        if any(f.path not in self._rows for f in files[:needed]):
            paths = [f.path for f in files if f.path not in self._rows]
            self._rows.update(dict.fromkeys(paths))
            self._rows.update((r.path, r) for r in TranscriptFile.objects.filter(path__in=paths))

    def peek(self, path: str) -> TranscriptFile | None:
        if path in self._rows:
            return self._rows[path]
        return TranscriptFile.objects.filter(path=path).first()

    def take(self, path: str) -> TranscriptFile | None:
        row = self.peek(path)
        self._rows.pop(path, None)
        return row


@dataclass
class ImportState(RunState):
    """`grouped` (a run in one process, on SQLite): the windows of small files share a
    transaction until WINDOW bytes or GROUP_FILES files are read, each window in a
    savepoint. A transaction a file cost a commit per appended file: 100 files × 1 MiB
    appended to a 1 GiB tree on SQLite, 13.44 s against 12.22 s grouped (0.117x -> 0.097x
    the first import, one A/B, 2026-12-07). A batch of workers is not grouped: its
    progress row says which file it has done."""

    workspace: Workspace
    grouped: bool = field(default=False, kw_only=True)
    # Windows prepared ahead in a second process; by default each is read when its turn comes.
    lookahead: WindowLookahead = field(
        default_factory=lambda: WindowLookahead(enabled=False, window=WINDOW), kw_only=True
    )
    kept: KeptFiles = field(default_factory=KeptFiles, kw_only=True)
    group: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, kw_only=True)
    _group_open: bool = field(default=False, kw_only=True)
    _group_bytes: int = field(default=0, kw_only=True)
    _group_files: int = field(default=0, kw_only=True)

    @contextlib.contextmanager
    def window_writes(self, size: int):
        """One window's writes: a transaction, or a savepoint of the open group."""
        if self.grouped and not self._group_open:
            self.group.enter_context(transaction.atomic())
            self._group_open = True
        with transaction.atomic():
            yield
        self._group_bytes += size
        self._group_commit_when_full()

    def file_done(self) -> None:
        self._group_files += 1
        self._group_commit_when_full()

    def _group_commit_when_full(self) -> None:
        """The run commits what is left when it ends (leaving `group`)."""
        if self._group_bytes >= WINDOW or self._group_files >= GROUP_FILES:
            self.group.close()
            self._group_open, self._group_bytes, self._group_files = False, 0, 0


def transcript_import(state: ImportState, file: TranscriptSource) -> None:
    kept = state.kept.take(file.path)
    st = os.stat(file.path)
    if kept and kept.unchanged_since(st):
        state.bump("files_unchanged")
        state.record([ItemRecord("transcript_file", file.path, Outcome.SKIPPED, "unchanged")])
        return
    archive = archive_path_for(source=file.source, relative=file.relative)
    archive_check(archive=archive)  # in a dry run too: it fails the files the real run would
    start, tail, notes, aside = _start(state, file, kept, archive)
    end = whole_lines_end(file.path, offset=start, limit=WINDOW)
    if end == start and not notes:
        state.bump("files_waiting")  # empty, or only a half-written line was added
        state.record(
            [ItemRecord("transcript_file", file.path, Outcome.SKIPPED, "no whole line yet")]
        )
        return
    source = file.path if state.run.dry_run else archive  # a dry run copies nothing
    prefix = hashlib.sha256()
    if start:
        range_sha256(source, 0, start, prefix)  # once per changed file and run
    while True:
        kept = _window_import(
            state, file, kept, _Window(archive, source, start, tail, end, prefix), notes, aside
        )
        notes, aside = [], ""
        start, tail = end, kept.tail_start
        end = whole_lines_end(file.path, offset=start, limit=WINDOW)
        if end == start:
            break
    # The windows kept the size read; the file's own size and mtime now say all is read.
    TranscriptFile.objects.filter(pk=kept.pk).update(size=st.st_size, mtime_ns=st.st_mtime_ns)


@dataclass
class _Window:
    archive: str
    source: str  # what is parsed: the archive copy, or the original in a dry run
    start: int
    tail: int
    end: int
    prefix: object  # sha256 of the bytes before `start`, going on


def _window_import(state, file, kept, w: _Window, notes, aside) -> TranscriptFile:
    """Copy bytes [start, end) to the archive, parse [tail, end), and write the messages,
    the items and the file's new offset together."""
    if not state.run.dry_run:
        archive_append(source_path=file.path, archive=w.archive, start=w.start, end=w.end,
                       prefix=w.prefix)  # fmt: skip
        state.bump("bytes_archived", w.end - w.start)
    else:
        range_sha256(w.source, w.start, w.end, w.prefix)
    read = state.lookahead.read(file=file, parse=w.source, tail=w.tail, start=w.start,
                                end=w.end, digest=w.prefix.hexdigest())  # fmt: skip
    # A read from 0 (a new or re-read file) starts with no tie; one from the tail goes on.
    tie = Tie(kept.tie_timestamp, kept.tie_count) if kept is not None and w.tail else Tie()
    stamps, tie = created_at_assign(read=read, tie=tie, now=state.now)
    st = os.stat(file.path)
    with state.window_writes(w.end - w.start):
        items = notes + [
            ItemRecord("transcript_line", f"{file.path}@{offset}", Outcome.FAILED, why)
            for offset, why in read.problems
        ]
        created = stamps[0] if stamps else state.now
        session, conversation = _link(state, file, read, kept, items, created)
        new, updated, grown = _messages_save(state, file, conversation.pk, read, stamps)
        subagent = file.agent_id if file.parent_id else ""
        usage_rows_record(rows=[
            (m.id, conversation.pk, when, m.model or None, file.source, m.usage, m.key)
            for m, when in new + grown if m.usage
        ], owners={conversation.pk: (session.pk, session.workspace_id, subagent)})  # fmt: skip
        after = {"ids": [str(m.id) for m, _ in new], "updated": [u["id"] for u in updated]}
        why = f"{len(new)} new, {len(updated)} updated"
        items.append(ItemRecord("transcript_messages", file.path, Outcome.MIGRATED, why,
                                {"updated": updated}, after))  # fmt: skip
        values = {
            "source": file.source, "device": st.st_dev, "inode": st.st_ino, "size": w.end,
            "mtime_ns": st.st_mtime_ns, "offset": w.end, "tail_start": _tail(read, w.end),
            "head_sha256": head_sha256(file.path, w.end), "prefix_sha256": w.prefix.hexdigest(),
            "archive_path": w.archive, "session_id": session.pk, "conversation_id": conversation.pk,
            **tie._asdict(),
        }  # fmt: skip
        row, _ = TranscriptFile.objects.update_or_create(path=file.path, defaults=values)
        after = {"archive": w.archive, "offset": w.end, "aside": aside, "session": session.pk}
        why = f"read {w.end - w.start} bytes"
        items.append(
            ItemRecord("transcript_file", file.path, Outcome.MIGRATED, why, _state_of(kept), after)
        )
        state.record(items)
    state.bump("problems", len(read.problems))
    return row


def _state_of(kept: TranscriptFile | None) -> dict | None:
    if kept is None:
        return None
    tie = kept.tie_timestamp.isoformat() if kept.tie_timestamp else None
    return {**{name: getattr(kept, name) for name in _STATE_FIELDS}, "tie_timestamp": tie}


def created_at_assign(
    *, read: PreparedRead, tie: Tie, now: dt.datetime
) -> tuple[list[dt.datetime], Tie]:
    """Each message's created_at, in file order, after the one `tie` ends on; and the tie
    where the next read starts (before the messages it reads again: they get the same)."""
    stamps = [m.timestamp for m in read.messages]
    # A leading message without a timestamp (a summary) takes the file's first one; when
    # the read has none yet, the import time (docs/transcripts.md).
    first = next((s for s in stamps if s is not None), None) or now
    tail, at_tail, created = read.tail_start, tie, []
    for message, stamp in zip(read.messages, stamps, strict=True):
        when, tie = tie_broken(stamp or tie.last or first, tie)
        created.append(when)
        if message.start < tail:
            at_tail = tie
    return created, at_tail


def _start(state, file, kept, archive) -> tuple[int, int, list[ItemRecord], str]:
    """(copy from, parse from, notes, where an earlier copy was set aside)."""
    if kept is None:
        # No row, but a copy: one an undo kept (its original was gone). Another file at the
        # same path must not overwrite it.
        if copy_is_prefix_of(source_path=file.path, archive=archive):
            return 0, 0, [], ""
        why = "an archive copy without an import (kept by an undo) holds other bytes"
    elif prefix_unchanged(
        source_path=file.path, archive=archive, offset=kept.offset, head=kept.head_sha256
    ):
        return kept.offset, kept.tail_start, [], ""
    else:
        state.bump("files_reread")
        why = "the file shrank or its start changed since the last import; read again from 0"
    aside = "" if state.run.dry_run or not os.path.exists(archive) else archive_set_aside(archive)
    if aside:
        why += f"; the earlier copy is kept as {aside}"
    return 0, 0, [ItemRecord("transcript_file", file.path, Outcome.SKIPPED, why)], aside


def _tail(read: PreparedRead, end: int) -> int:
    return read.tail_start if read.messages else end


def _link(state, file, read, kept, items, created):
    if kept and kept.conversation_id:
        conversation = Conversation.objects.filter(pk=kept.conversation_id).first()
        session = Session.objects.filter(pk=kept.session_id).first()
        if conversation is not None and session is not None:
            return session, conversation
    cwd, prompt = read.cwd, read.prompt
    title = prompt.splitlines()[0] if prompt else f"{file.source} {file.agent_id}"
    return conversation_resolve(
        file=file, workspace=state.workspace, cwd=cwd, title=title, created_at=created, items=items
    )


def _messages_save(
    state, file, conversation_id, read: PreparedRead, stamps
) -> tuple[list[tuple[PreparedMessage, dt.datetime]], list[dict], list[tuple]]:
    """Insert the new messages, update those that grew; returns the inserted (message,
    created_at), the updated rows' values before, and the updated (message, created_at)."""
    ids = [m.id for m in read.messages]
    present = {}
    # Counted first: a file read for the first time has none, and the count is cheap.
    native = connection.features.has_native_uuid_field
    if rows_count_in(Message, [i if native else i.hex for i in ids]):
        present = {
            row[0]: dict(zip(_MESSAGE_FIELDS, row[1:], strict=True))
            for row in rows_in(Message.objects, "pk", ids, "pk", *_MESSAGE_FIELDS)
        }
    new, updated, grown = [], [], []
    for message, when in zip(read.messages, stamps, strict=True):
        old = present.get(message.id)
        if old is None:
            new.append((message, when))
            continue
        values = _values(message)
        if old != values:
            Message.objects.filter(pk=message.id).update(**values)
            updated.append({"id": str(message.id), **old})
            grown.append((message, when))
        else:
            state.bump("messages_already_present")
    rows = [_new_message(conversation_id, m, when) for m, when in new]
    messages_write(rows)
    conversation_counters_update(rows)
    state.bump("messages_imported", len(new))
    state.bump("messages_updated", len(updated))
    return new, updated, grown


def _values(m: PreparedMessage) -> dict:
    """The stored fields of `m` as the ORM reads them (its JSON decoded)."""
    tool_calls = None if m.tool_calls is None else json.loads(m.tool_calls)
    return {"role": m.role, "content": m.content, "tool_calls": tool_calls,
            "tool_call_id": m.tool_call_id, "extra_data": json.loads(m.extra_data),
            "tokens_used": m.tokens_used}  # fmt: skip


def _new_message(conversation_id, m: PreparedMessage, when: dt.datetime) -> NewMessage:
    return NewMessage(m.id, conversation_id, m.role, m.content, m.tool_calls, m.tool_call_id,
                      m.extra_data, when, m.tokens_used)  # fmt: skip
