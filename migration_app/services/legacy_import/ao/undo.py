"""Undo of an ao/ao-rs import: exactly what the run created goes."""

from __future__ import annotations

import os

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import UndoResult, migration_items_undo
from migration_app.services.unused_rows import PROJECT_USERS, unused_rows_delete
from projects_app.models import Project
from sessions_app.models import Session

Outcome = MigrationItem.Outcome


def ao_store_undo(run: MigrationRun) -> UndoResult:
    """Remove exactly what the run created: its sessions, its projects, its transcript copies.

    A session is removed only while it still carries the source path this run wrote; a
    project only when no session is left in it.
    """
    undoers = {"transcript": _transcripts, "session": _sessions, "project": _projects}
    return migration_items_undo(run=run, undoers=undoers)


def _transcripts(chunk: list[MigrationItem], notes: list[str]) -> int:
    removed = 0
    for item in chunk:
        dest = (item.after or {}).get("dest") or item.subject_id
        try:
            os.unlink(dest)
            removed += 1
        except FileNotFoundError:
            notes.append(f"transcript {dest} was already gone")
    return removed


def _sessions(chunk: list[MigrationItem], notes: list[str]) -> int:
    by_path = {i.subject_id: (i.after or {}).get("source_path") for i in chunk}
    rows = Session.objects.filter(pk__in=list(by_path)).values_list("pk", "source_path")
    ours = [pk for pk, path in rows if by_path.get(pk) == path]
    if len(ours) < len(by_path):
        notes.append(f"{len(by_path) - len(ours)} session(s) were changed or removed since")
    deleted, _ = Session.objects.filter(pk__in=ours).delete()
    return len(ours) if deleted else 0


def _projects(chunk: list[MigrationItem], notes: list[str]) -> int:
    ids = [i.subject_id for i in chunk]
    return unused_rows_delete(model=Project, ids=ids, relations=PROJECT_USERS, notes=notes)
