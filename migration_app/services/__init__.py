"""Every migration service; importing this package registers their undo functions."""

from migration_app.services import (
    attach_workstream,  # noqa: F401
    session_to_project,  # noqa: F401
    task_reassociation,  # noqa: E402,F401
)
from migration_app.services.journal import (  # noqa: F401
    ItemRecord,
    MigrationConflict,
    MigrationError,
    UndoResult,
    migration_items_record,
    migration_run_counts,
    migration_run_finish,
    migration_run_progress,
    migration_run_start,
    migration_runs_close_interrupted,
    migration_undo,
    undo_handler,
)
from migration_app.services.legacy_import import legacy_import_run, legacy_import_undo  # noqa: F401,E402
