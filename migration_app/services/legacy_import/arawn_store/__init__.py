"""migrate_legacy --source arawn DATA_DIR: workstreams, sessions, message logs and files.

The steps, in order (each in batches, one transaction per batch, items journaled):
`rows` (workstreams.db → Workstream, Session and one Conversation per session),
`messages` (each workstream's messages.jsonl from its remembered byte offset),
`files` (production/, work/ and scratch sessions' work/, copied after each batch
commits). A dry run is the same execute rolled back by the journal: no row, no offset,
no file. `undo` removes exactly what a run wrote.
"""

from __future__ import annotations

import os

from django.utils import timezone

from migration_app.legacy.arawn import (
    ArawnError,
    arawn_db_open,
    arawn_layout,
    arawn_sessions,
    arawn_workstreams,
    is_arawn_store,
)
from migration_app.legacy.arawn_sample import arawn_sample_write
from migration_app.models import MigrationRun
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    Planned,
    migration_run_progress,
)
from migration_app.services.legacy_import import (
    LegacySource,
    legacy_source_register,
    source_dir_require,
    workspace_require,
)
from migration_app.services.legacy_import.arawn_store.files import files_import
from migration_app.services.legacy_import.arawn_store.messages import message_logs, messages_import
from migration_app.services.legacy_import.arawn_store.rows import (
    sessions_import,
    workstreams_import,
)
from migration_app.services.legacy_import.arawn_store.state import ArawnState
from migration_app.services.legacy_import.arawn_store.undo import arawn_store_undo
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE, Outcome
from projects_app.models import Workspace

SOURCE = "arawn"


def default_location() -> str:
    """arawn's default data dir: `~/.config/arawn` (its example config), else `~/.arawn`."""
    config = os.path.expanduser("~/.config/arawn")
    return config if os.path.isdir(config) else os.path.expanduser("~/.arawn")


def arawn_store_plan(
    *,
    location: str,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Planned:
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    expected = "arawn's data directory (the one holding workstreams.db)"
    path = source_dir_require(location=location, expected=expected)
    workspace_require(slug=workspace_slug)
    try:
        db_path = arawn_layout(path).db_path
        conn = arawn_db_open(db_path)
        try:
            workstreams = arawn_workstreams(conn)
            sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        finally:
            conn.close()
        layout = arawn_layout(path, workstream_ids={row["id"] for row in workstreams})
    except (ArawnError, OSError) as exc:
        raise MigrationError(f"{path} cannot be read as an arawn data directory: {exc}") from None
    params = {
        "path": path,
        "db_path": layout.db_path,
        "tree": layout.tree,
        "notes": layout.notes,
        "workspace": workspace_slug,
        "batch_size": batch_size,
    }
    return Planned(params=params, total=len(workstreams) + sessions)


def arawn_store_execute(run: MigrationRun) -> dict:
    params = run.params
    state = ArawnState(
        run=run,
        workspace=Workspace.objects.get(slug=params["workspace"]),
        db_path=params["db_path"],
        tree=params["tree"],
        batch_size=params["batch_size"],
        now=timezone.now(),
    )
    try:
        if params["notes"]:
            note = "; ".join(params["notes"])
            state.record([ItemRecord("layout", params["path"], Outcome.SKIPPED, note)])
        conn = arawn_db_open(state.db_path)
        try:
            workstreams_import(state, arawn_workstreams(conn))
            sessions_import(state, arawn_sessions(conn))
        finally:
            conn.close()
        logs = len(message_logs(state))
        migration_run_progress(run=run, total=run.progress_total + logs)
        messages_import(state)
        files_import(state)
    finally:
        run.counts = _summary(state)
    return run.counts


def _summary(state: ArawnState) -> dict:
    counts: dict = dict.fromkeys(
        ("messages_imported", "messages_already_present", "message_lines_rejected",
         "logs_unchanged", "files_to_copy", "files_copied", "files_already_present",
         "files_clashing"),
        0,
    )  # fmt: skip
    counts.update(state.counts)
    return counts


def _sample_write(path: str, sessions: int = 12) -> None:
    arawn_sample_write(path, sessions=sessions, messages=5 * sessions, files=2 * sessions)


legacy_source_register(
    LegacySource(
        name=SOURCE,
        default_location=default_location,
        plan=arawn_store_plan,
        execute=arawn_store_execute,
        undo=arawn_store_undo,
        options=("workspace_slug", "batch_size"),
        sample_write=_sample_write,
        recognises=is_arawn_store,
    )
)
