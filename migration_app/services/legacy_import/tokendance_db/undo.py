"""Undo a TokenDance import: remove exactly the rows the run created, newest kind first.

A conversation, project or workspace the run created is removed only when nothing else
uses it any more (rows added after the run are kept, and the notes say so); message
counters of the conversations that stay are recomputed.
"""

from __future__ import annotations

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import UndoResult, migration_items_undo
from migration_app.services.legacy_import.shared import conversations_recount
from migration_app.services.unused_rows import projects_undo, unused_rows_delete
from projects_app.models import Artifact, Conversation, Message, ProjectVersion, Workspace
from sessions_app.models import Session


def tokendance_undo(run: MigrationRun) -> UndoResult:
    return migration_items_undo(run=run, undoers=_UNDO)


def _sessions(chunk: list[MigrationItem], notes: list[str]) -> int:
    afters = [item.after for item in chunk]
    Artifact.objects.filter(pk__in=[a for after in afters for a in after["artifacts"]]).delete()
    Message.objects.filter(pk__in=[m for after in afters for m in after["messages"]]).delete()
    created = [i.subject_id for i in chunk if i.after["session_created"]]
    Session.objects.filter(pk__in=created, source="tokendance").delete()
    own = [a["conversation_id"] for a in afters if a["conversation_created"]]
    _conversations_delete(own, notes)
    kept = [
        a["conversation_id"]
        for a in afters
        if a["conversation_id"] and a["conversation_id"] not in own
    ]
    conversations_recount(kept)
    return len(chunk)


def _conversations_delete(ids: list[str], notes: list[str]) -> None:
    used = set(
        Conversation.objects.filter(pk__in=ids, messages__isnull=False).values_list("pk", flat=True)
    )
    for pk in sorted(map(str, used)):
        notes.append(f"conversation {pk} kept: it holds messages the run did not create")
    Conversation.objects.filter(pk__in=ids).exclude(pk__in=used).delete()


def _messages(chunk: list[MigrationItem], notes: list[str]) -> int:
    Message.objects.filter(pk__in=[i.subject_id for i in chunk]).delete()
    conversations_recount({i.after["conversation_id"] for i in chunk})
    return len(chunk)


def _artifacts(chunk: list[MigrationItem], notes: list[str]) -> int:
    Artifact.objects.filter(pk__in=[i.subject_id for i in chunk]).delete()
    return len(chunk)


def _versions(chunk: list[MigrationItem], notes: list[str]) -> int:
    for item in chunk:
        ProjectVersion.objects.filter(
            project_id=item.after["project_id"], version_number=item.after["version_number"]
        ).delete()
    return len(chunk)


def _conversations(chunk: list[MigrationItem], notes: list[str]) -> int:
    _conversations_delete([i.after["id"] for i in chunk], notes)
    return len(chunk)


def _workspaces(chunk: list[MigrationItem], notes: list[str]) -> int:
    ids = [i.after["id"] for i in chunk]
    users = ("projects", "sessions", "conversations", "workstreams")
    return unused_rows_delete(model=Workspace, ids=ids, relations=users, notes=notes)


_UNDO = {
    "session": _sessions,
    "message": _messages,
    "artifact": _artifacts,
    "project_version": _versions,
    "conversation": _conversations,
    "project": projects_undo,
    "workspace": _workspaces,
}
