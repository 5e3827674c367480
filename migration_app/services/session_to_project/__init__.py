"""Session → project (TokenDance's project-first migration): `plan` decides, `run` writes."""

from migration_app.services.session_to_project.run import (  # noqa: F401
    BATCH_SIZE_DEFAULT,
    KIND,
    session_to_project_preview,
)
