"""Admin of the migration journal, and the migration actions on the session changelist."""

from migration_app.admin import legacy_imports, runs, sessions  # noqa: F401
