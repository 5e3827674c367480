"""The ao and ao-rs stores as legacy sources of migrate_legacy (issue 3), and their undo."""

import os
from functools import partial

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import UndoResult, migration_items_undo
from migration_app.services.legacy_import import LegacySource, legacy_source_register
from migration_app.services.legacy_import.ao.run import ao_store_execute, ao_store_plan
from migration_app.services.unused_rows import projects_undo
from sessions_app.models import Session


def ao_store_undo(run: MigrationRun) -> UndoResult:
    """Remove exactly what the run created: its sessions (only while they still carry the
    source path this run wrote), its projects (only when no session is left in them) and
    its transcript copies."""
    undoers = {"transcript": _transcripts, "session": _sessions, "project": projects_undo}
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


AO_STORE_OPTIONS = (
    "workspace_slug", "claude_home", "include_terminated", "batch_size", "parse_ahead",
    "max_file_bytes",
)  # fmt: skip


for name, location, sample, recognises in (
    ("ao", "~/.agent-orchestrator", partial(ao_tree_generate, sessions=40), ao_ts.is_ao_store),
    ("ao-rs", "~/.ao-rs/sessions", partial(ao_rs_tree_generate, sessions=30), ao_rs.is_ao_rs_store),
):
    legacy_source_register(
        LegacySource(
            name=name,
            default_location=partial(os.path.expanduser, location),
            plan=partial(ao_store_plan, source=name),
            execute=ao_store_execute,
            undo=ao_store_undo,
            options=AO_STORE_OPTIONS,
            sample_write=sample,
            recognises=recognises,
        )
    )
