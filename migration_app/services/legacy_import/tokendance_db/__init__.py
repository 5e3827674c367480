"""migrate_legacy --source tokendance: a TokenDance database (PostgreSQL URL or SQLite
file) and its session files, into the hub (issue 15).

Order: workspaces; the projects, conversations and project versions that TokenDance's
own migration made (verbatim); sessions in keyset batches with their messages, artifacts
and session files; then the messages and artifacts no session owns. Ids are kept
verbatim (ids the import makes up are derived from the source's), so a re-run, or a run
after kill -9, finds everything in place and reports it skipped. The source is opened
read-only and never written. A dry run is this same code, rolled back by the journal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.utils import timezone

from migration_app.legacy import tokendance_db as reader
from migration_app.legacy.tokendance_sample import sample_write
from migration_app.models import MigrationRun
from migration_app.services.journal import MigrationError, Planned, migration_run_progress
from migration_app.services.legacy_import import (
    LegacySource,
    legacy_source_register,
    workspace_require,
)
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE
from migration_app.services.legacy_import.tokendance_db.artifacts import pending_parents_link
from migration_app.services.legacy_import.tokendance_db.catalog import (
    projects_import,
    workspaces_import,
)
from migration_app.services.legacy_import.tokendance_db.leftovers import leftovers_import
from migration_app.services.legacy_import.tokendance_db.sessions import sessions_import
from migration_app.services.legacy_import.tokendance_db.state import State
from migration_app.services.legacy_import.tokendance_db.undo import tokendance_undo
from projects_app.models import Workspace

DEFAULT_LOCATION = "postgres://localhost:5432/tokendance"


def _location_normalised(location: str) -> str:
    if reader.location_kind(location) == "postgresql":
        if urlsplit(location).password is not None:
            raise MigrationError(
                "The URL carries a password, and run parameters are stored: pass the "
                "password in PGPASSWORD or ~/.pgpass instead."
            )
        return location
    return os.path.abspath(os.path.expanduser(location))


def tokendance_plan(
    *,
    location: str,
    workspace_slug: str | None = None,
    path_map: Sequence[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Planned:
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    location = _location_normalised(location)
    try:
        pairs = reader.path_map_parse(path_map or [])
    except ValueError as exc:
        raise MigrationError(str(exc)) from exc
    if workspace_slug:
        instead = "leave --workspace out to import TokenDance's own workspaces"
        workspace_require(slug=workspace_slug, instead=instead)
    try:
        source = reader.source_open(location)
    except reader.SourceError as exc:
        raise MigrationError(f"The TokenDance database cannot be imported: {exc}.") from exc
    try:
        total = reader.table_count(source, "sessions")
    finally:
        source.close()
    params = {
        "location": location,
        "path": reader.location_redacted(location),
        "workspace": workspace_slug or None,
        "path_map": [f"{old}={new}" for old, new in pairs],
        "batch_size": batch_size,
    }
    return Planned(params=params, total=total)


def tokendance_execute(run: MigrationRun) -> dict:
    params = run.params
    try:
        source = reader.source_open(params["location"])
    except reader.SourceError as exc:
        raise MigrationError(str(exc)) from exc
    target = None
    if params["workspace"]:
        target = Workspace.objects.get(slug=params["workspace"]).pk
    state = State(
        run=run,
        source=source,
        now=timezone.now(),
        location=params["path"],
        target_workspace=target,
        path_map=reader.path_map_parse(params["path_map"]),
        batch_size=params["batch_size"],
    )
    try:
        migration_run_progress(run=run, total=reader.table_count(source, "sessions"))
        workspaces_import(state)
        projects_import(state)
        sessions_import(state)
        leftovers_import(state)
        state.bump("artifact_parents_linked_late", pending_parents_link(state))
    finally:
        source.close()
        run.counts = {"session_files_already_imported": 0, **state.counts}
    return run.counts


legacy_source_register(
    LegacySource(
        name="tokendance",
        default_location=lambda: os.environ.get("TOKENDANCE_DATABASE_URL", DEFAULT_LOCATION),
        plan=tokendance_plan,
        execute=tokendance_execute,
        undo=tokendance_undo,
        options=("workspace_slug", "path_map", "batch_size"),
        sample_write=sample_write,
        recognises=reader.is_tokendance_database,
    )
)
