"""migrate_legacy --source minsky: minsky's session stores (issue 16).

SOURCE is a `session-db.json`, a `sessions.db` (SQLite) or a postgres:// URL, opened
read-only by the pure reader (migration_app/legacy/minsky.py); each record is mapped by
legacy/minsky_map.py. Every session comes in, finished ones included.

Per batch, one transaction with a fixed number of queries: which ids exist, which
projects exist, the highest number per project, one bulk insert of projects, one of
sessions (if it fails, one savepoint per session so a bad row fails alone), one of journal
items, one progress update. Idempotent by primary keys: a session already imported from
the same source is skipped; projects are keyed by the record's projectId, else by its
repository (a stable id derived from the workspace and `repoUrl`), so a re-run reuses them.
A dry run is this code rolled back (journal.DryRun.ROLLED_BACK).

Undo removes the run's sessions and the projects it created, but is refused while a later
run that changed any of those sessions (a re-association) is not itself undone.

A password in a postgres:// URL is never stored: the run keeps the URL without it, and
the password stays in this process for the run's execute (a run executed elsewhere uses
libpq's PGPASSWORD / ~/.pgpass).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from migration_app.legacy.minsky import (
    POSTGRES,
    MinskySourceError,
    MinskyStore,
    is_minsky_store,
    minsky_default_location,
    minsky_source_shape,
    url_without_password,
)
from migration_app.legacy.minsky_sample import minsky_sample_write
from migration_app.services.journal import MigrationError, Planned
from migration_app.services.legacy_import import (
    LegacySource,
    legacy_source_register,
    workspace_require,
)
from migration_app.services.legacy_import.minsky_store.run import minsky_store_execute
from migration_app.services.legacy_import.minsky_store.state import PASSWORDS
from migration_app.services.legacy_import.minsky_store.undo import minsky_store_undo
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE
from projects_app.models import Workspace


def minsky_store_plan(
    *,
    location: str,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Planned:
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    if not location.startswith(("postgres://", "postgresql://")):
        location = os.path.abspath(os.path.expanduser(location))
    try:
        shape = minsky_source_shape(location)
        with MinskyStore(location) as store:
            total = store.count()
    except MinskySourceError as exc:
        raise MigrationError(str(exc)) from None
    workspace_require(slug=workspace_slug)
    kept = location
    if shape == POSTGRES:
        kept = url_without_password(location)
        password = urlsplit(location).password
        if password:
            PASSWORDS[kept] = password
    params = {"path": kept, "shape": shape, "workspace": workspace_slug,
              "batch_size": batch_size}  # fmt: skip
    return Planned(params=params, total=total)


legacy_source_register(
    LegacySource(
        name="minsky",
        default_location=minsky_default_location,
        plan=minsky_store_plan,
        execute=minsky_store_execute,
        undo=minsky_store_undo,
        options=("workspace_slug", "batch_size"),
        sample_write=minsky_sample_write,
        recognises=is_minsky_store,
    )
)
