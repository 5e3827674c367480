"""Every migration kind; importing this package registers their plan, execute and undo."""

from migration_app.services import (  # noqa: F401
    attach_workstream,
    legacy_import,
    session_delete,
    session_to_project,
    task_reassociation,
    transcripts,
)
from migration_app.services.journal import (  # noqa: F401
    ItemRecord,
    MigrationConflict,
    MigrationError,
    UndoResult,
    migration_undo,
)
