"""Undo an import_transcripts run: exactly what it wrote, newest first.

Its messages (new ones removed, grown ones restored), each file's offset and archive copy
(back to where the run found them: a copy it started is removed, one it appended to is
cut back, one it set aside is put back), the sessions it linked, the conversations and
native sessions it made. 500 items at a time.

The archive copy may be the only one left (Claude Code deletes its transcripts after 30
days), so undo never destroys bytes the original no longer holds: a copy whose original
is gone or changed is kept, with a note, and its row still goes back. An undo is refused
while a later run, not undone, read on in one of its files (undo that run first).
"""

from __future__ import annotations

import os
import uuid

from django.utils.dateparse import parse_datetime

from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from migration_app.selectors import migration_run_later_touching
from migration_app.services.journal import MigrationConflict, UndoResult, migration_items_undo
from migration_app.services.legacy_import.shared import IN_CHUNK, Outcome, messages_delete
from migration_app.services.transcripts.archive import archive_set_aside, range_sha256
from projects_app.models import Conversation, Message
from sessions_app.models import Session
from sessions_app.usage import usage_messages_record


def import_transcripts_undo(run: MigrationRun) -> UndoResult:
    later = migration_run_later_touching(run=run, subject_type="transcript_file", chunk=IN_CHUNK)
    if later is not None:
        # Its bytes sit on this run's in the copy: cutting this run's out would take them too.
        raise MigrationConflict(
            f"Run {later.pk} ({later.get_kind_display()}, started "
            f"{later.started_at:%Y-%m-%d %H:%M:%S} UTC) read on in transcript files of this "
            "import since; undo that run first, then this one."
        )
    return migration_items_undo(run=run, undoers=_UNDO, chunk_sizes={"transcript_messages": 20})


def _messages(chunk: list[MigrationItem], notes: list[str]) -> int:
    restored = messages_delete(chunk)
    for item in chunk:
        for old in (item.before or {}).get("updated", []):
            values = {k: v for k, v in old.items() if k != "id"}
            restored += Message.objects.filter(pk=uuid.UUID(old["id"])).update(**values)
    # Restored messages get their earlier usage back (removed ones took theirs along).
    usage_messages_record(
        message_ids=[old["id"] for item in chunk for old in (item.before or {}).get("updated", [])]
    )
    return restored


def _files(chunk: list[MigrationItem], notes: list[str]) -> int:
    """Each file back to where the run's first window of it found it (a run reads a big
    file in several windows, each journaled with the state before it)."""
    restored = 0
    for path in sorted({item.subject_id for item in chunk}):
        ours = [i for i in chunk if i.subject_id == path]
        first = (
            MigrationItem.objects.filter(
                run_id=chunk[0].run_id, subject_type="transcript_file", subject_id=path,
                outcome__in=(Outcome.MIGRATED, Outcome.UNDONE),
            )
            .order_by("pk")
            .first()
        )  # fmt: skip
        if first.outcome == Outcome.UNDONE:
            restored += len(ours)  # an earlier chunk put this file back already
            continue
        before, archive = first.before, (first.after or {}).get("archive", "")
        aside = (first.after or {}).get("aside", "")
        # The run copied from 0 into a new copy when it set one aside or started the file.
        start = 0 if before is None or aside else before["offset"]
        kept = _kept_why(path=path, archive=archive, start=start, end=_end(first, path))
        put_back = bool(aside) and os.path.exists(aside)
        if put_back:
            if kept:  # the earlier copy comes back: the run's new one moves beside it
                kept += f"; it is kept as {archive_set_aside(archive)}"
            os.replace(aside, archive)
        if kept:
            notes.append(f"kept the archive copy {archive}: {kept}")
        if before is None:
            TranscriptFile.objects.filter(path=path).delete()
            # A copy set aside with no row before (one an earlier undo kept) is back.
            if os.path.isfile(archive) and not kept and not put_back:
                os.unlink(archive)
        else:
            # Runs journaled before ties were kept have none: the row goes back to no tie.
            tie = before.get("tie_timestamp")
            TranscriptFile.objects.filter(path=path).update(
                **{**before, "tie_timestamp": parse_datetime(tie) if tie else None,
                   "tie_count": before.get("tie_count", 0)}
            )  # fmt: skip
            if os.path.isfile(archive) and os.path.getsize(archive) > before["offset"] and not kept:
                with open(archive, "ab") as handle:
                    handle.truncate(before["offset"])
        restored += len(ours)
    return restored


def _end(first: MigrationItem, path: str) -> int:
    """Where the run's copy of `path` ends: the offset of its last window."""
    last = (
        MigrationItem.objects.filter(
            run_id=first.run_id, subject_type="transcript_file", subject_id=path,
            outcome__in=(Outcome.MIGRATED, Outcome.UNDONE), after__has_key="offset",
        )
        .order_by("-pk")
        .first()
    )  # fmt: skip
    return last.after["offset"]


def _kept_why(*, path: str, archive: str, start: int, end: int) -> str:
    """Why bytes [start, end) of the copy must stay, or "" when the original still holds
    them and the copy holds nothing past them (what this run wrote, nothing more)."""
    if not os.path.isfile(archive) or os.path.getsize(archive) <= start:
        return ""  # nothing of this run's is there to remove
    row = TranscriptFile.objects.filter(path=path).first()
    if os.path.getsize(archive) != end or (row is not None and row.offset != end):
        return f"it does not end where this run left it, at byte {end}"
    if not os.path.isfile(path):
        return f"the original {path} is gone, so the copy is the only one"
    if os.path.getsize(path) < end or range_sha256(path, start, end) != range_sha256(
        archive, start, end
    ):
        return f"the original {path} no longer holds the bytes copied"
    return ""


def _links(chunk: list[MigrationItem], notes: list[str]) -> int:
    restored = 0
    for item in chunk:
        conversation = (item.after or {}).get("conversation")
        restored += Session.objects.filter(pk=item.subject_id, conversation_id=conversation).update(
            conversation=None
        )
    return restored


def _sessions(chunk: list[MigrationItem], notes: list[str]) -> int:
    made = {i.subject_id: (i.after or {}).get("source_path") for i in chunk}
    rows = Session.objects.filter(pk__in=list(made))
    ours = [pk for pk, path in rows.values_list("pk", "source_path") if made[pk] == path]
    if len(ours) < len(made):
        notes.append(f"{len(made) - len(ours)} session(s) were changed or removed since")
    Session.objects.filter(pk__in=ours).delete()
    return len(ours)


def _conversations(chunk: list[MigrationItem], notes: list[str]) -> int:
    deleted, _ = Conversation.objects.filter(pk__in=[i.subject_id for i in chunk]).delete()
    return len(chunk) if deleted else 0


_UNDO = {
    "transcript_messages": _messages,
    "transcript_file": _files,
    "session_link": _links,
    "session": _sessions,
    "conversation": _conversations,
}
