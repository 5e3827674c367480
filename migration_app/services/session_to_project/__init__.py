"""Session → project (TokenDance's project-first migration): `plan` decides, `run` writes."""

from migration_app.services.session_to_project.plan import SessionPlan
from migration_app.services.session_to_project.run import (
    BATCH_SIZE_DEFAULT,
    KIND,
    session_to_project_preview,
    session_to_project_selection,
)

__all__ = [
    "BATCH_SIZE_DEFAULT",
    "KIND",
    "SessionPlan",
    "session_to_project_preview",
    "session_to_project_selection",
]
