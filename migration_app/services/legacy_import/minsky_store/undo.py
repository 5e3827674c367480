"""Undo of a minsky import: refused while a later run changed its sessions."""

from __future__ import annotations

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import migration_run_later_touching
from migration_app.services.journal import MigrationConflict, UndoResult, migration_items_undo
from migration_app.services.legacy_import.shared import IN_CHUNK
from migration_app.services.unused_rows import projects_undo
from projects_app.models import Source
from sessions_app.models import Session


def minsky_store_undo(run: MigrationRun) -> UndoResult:
    later = migration_run_later_touching(run=run, subject_type="session", chunk=IN_CHUNK)
    if later is not None:
        raise MigrationConflict(
            f"Run {later.pk} ({later.get_kind_display()}, started "
            f"{later.started_at:%Y-%m-%d %H:%M:%S} UTC) changed sessions of this import "
            "since; undo that run first, then this one."
        )

    def sessions(chunk: list[MigrationItem], notes: list[str]) -> int:
        ids = [item.subject_id for item in chunk]
        ours = Session.objects.filter(pk__in=ids, source=Source.MINSKY,
                                      source_path=run.params["path"])  # fmt: skip
        deleted = ours.count()
        ours.delete()
        if deleted < len(ids):
            notes.append(f"{len(ids) - deleted} session(s) were removed since")
        return deleted

    undoers = {"session": sessions, "project": projects_undo}
    return migration_items_undo(
        run=run, undoers=undoers, chunk_sizes=dict.fromkeys(undoers, IN_CHUNK)
    )
