"""Undo an import_transcripts run: exactly what it wrote, newest first.

Its messages (new ones removed, grown ones restored), each file's offset and archive copy
(back to where the run found them: a copy it started is removed, one it appended to is
cut back, one it set aside is put back), the sessions it linked, the conversations and
native sessions it made. 500 items at a time.
"""

from __future__ import annotations

import os
import uuid

from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from migration_app.services.journal import UndoResult, migration_items_undo
from migration_app.services.legacy_import.shared import Outcome, messages_delete
from projects_app.models import Conversation, Message
from sessions_app.models import Session
from sessions_app.usage import usage_messages_record


def import_transcripts_undo(run: MigrationRun) -> UndoResult:
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
        before, archive = first.before, (first.after or {}).get("archive", "")
        for item in ours:
            aside = (item.after or {}).get("aside")
            if aside and os.path.exists(aside):
                os.replace(aside, archive)
        if before is None:
            TranscriptFile.objects.filter(path=path).delete()
            if os.path.isfile(archive):
                os.unlink(archive)
        else:
            TranscriptFile.objects.filter(path=path).update(**before)
            if os.path.isfile(archive) and os.path.getsize(archive) > before["offset"]:
                with open(archive, "ab") as handle:
                    handle.truncate(before["offset"])
        restored += len(ours)
    return restored


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
