"""Attach scratch sessions to a named workstream, moving their files: `plan` decides,
`run` claims and moves, `recovery` finishes a dead run's moves and undoes."""

from migration_app.services.attach_workstream.recovery import (  # noqa: F401
    KIND,
    attach_workstream_recover,
    attach_workstream_undo,
)
from migration_app.services.attach_workstream.run import (  # noqa: F401
    AttachResult,
    attach_preview,
    attach_result,
)
