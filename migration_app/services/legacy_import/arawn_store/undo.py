"""Undo an arawn import: exactly what the run wrote, newest kind first.

Files it copied (while they still are the copies: same size and mtime, or the same link
target), the messages of its batches (and each log's offset back to where the run found
it), the conversations it made, its sessions (new ones removed, refreshed ones restored),
its workstreams (when no session is left in them). 500 items at a time.
"""

from __future__ import annotations

import os

from django.utils.dateparse import parse_datetime

from migration_app.models import LegacyLogOffset, MigrationItem, MigrationRun
from migration_app.services.journal import UndoResult, migration_items_undo
from migration_app.services.legacy_import.arawn_store.rows import CHANGING
from migration_app.services.legacy_import.shared import messages_delete
from migration_app.services.unused_rows import unused_rows_delete
from projects_app.models import Conversation, Source
from sessions_app.models import Session, Workstream


def arawn_store_undo(run: MigrationRun) -> UndoResult:
    # A message batch item holds up to ten row batches of ids: a few items at a time.
    return migration_items_undo(run=run, undoers=_UNDO, chunk_sizes={"message_batch": 4})


def _files(chunk: list[MigrationItem], notes: list[str]) -> int:
    removed = 0
    for item in chunk:
        after = item.after or {}
        dest = after.get("dest", "")
        try:
            st = os.lstat(dest)
        except FileNotFoundError:
            notes.append(f"{item.subject_id} was already gone")
            continue
        if after.get("kind") == "symlink":
            ours = os.path.islink(dest) and os.readlink(dest) == after.get("target")
        else:
            ours = (st.st_size, st.st_mtime_ns) == (after.get("size"), after.get("mtime_ns"))
        if not ours:
            notes.append(f"{item.subject_id} changed since the import; kept")
            continue
        os.unlink(dest)
        removed += 1
    return removed


def _messages(chunk: list[MigrationItem], notes: list[str]) -> int:
    deleted = messages_delete(chunk)
    # Each log goes back to where the run's first batch of it started.
    for path in {item.subject_id.rsplit(":", 1)[0] for item in chunk}:
        first = (
            MigrationItem.objects.filter(
                run_id=chunk[0].run_id,
                subject_type="message_batch",
                subject_id__startswith=f"{path}:",
            )
            .order_by("id")
            .first()
        )
        before = first.before or {}
        if before.get("offset"):
            tie = before.get("tie_timestamp")  # absent from runs before ties were carried
            LegacyLogOffset.objects.filter(path=path).update(
                offset=before["offset"],
                lines=before["lines"],
                tie_timestamp=parse_datetime(tie) if tie else None,
                tie_count=before.get("tie_count", 0),
            )
        else:
            LegacyLogOffset.objects.filter(path=path).delete()
    return deleted


def _conversations(chunk: list[MigrationItem], notes: list[str]) -> int:
    deleted, _ = Conversation.objects.filter(pk__in=[i.subject_id for i in chunk]).delete()
    return len(chunk) if deleted else 0


def _sessions(chunk: list[MigrationItem], notes: list[str]) -> int:
    created = {i.subject_id: i.after or {} for i in chunk if not (i.after or {}).get("updated")}
    rows = Session.objects.filter(pk__in=list(created), source=Source.ARAWN)
    ours = [
        pk
        for pk, path in rows.values_list("pk", "source_path")
        if path == created[pk].get("source_path")
    ]
    if len(ours) < len(created):
        notes.append(f"{len(created) - len(ours)} session(s) were changed or removed since")
    Session.objects.filter(pk__in=ours).delete()
    made = [created[pk]["conversation"] for pk in ours if created[pk].get("conversation")]
    Conversation.objects.filter(pk__in=made).delete()
    restored = len(ours)
    for item in chunk:
        if (item.after or {}).get("updated"):
            values = dict(item.before)
            for name in ("completed_at", "terminated_at", "updated_at"):
                values[name] = parse_datetime(values[name]) if values[name] else None
            restored += Session.objects.filter(pk=item.subject_id).update(
                **{f: values[f] for f in CHANGING}
            )
    return restored


def _workstreams(chunk: list[MigrationItem], notes: list[str]) -> int:
    restored = 0
    for item in chunk:
        if (item.after or {}).get("updated"):
            values = {**item.before, "updated_at": parse_datetime(item.before["updated_at"])}
            restored += Workstream.objects.filter(pk=item.subject_id).update(**values)
    ids = [i.subject_id for i in chunk if not (i.after or {}).get("updated")]
    return restored + unused_rows_delete(
        model=Workstream, ids=ids, relations=["sessions"], notes=notes
    )


_UNDO = {
    "file": _files,
    "message_batch": _messages,
    "conversation": _conversations,
    "session": _sessions,
    "workstream": _workstreams,
}
