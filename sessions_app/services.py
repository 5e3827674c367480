"""Write-side use cases of the sessions app."""

from django.db import transaction

from projects_app.models import Workspace
from sessions_app.files import workstream_dirs_create
from sessions_app.models import Workstream
from sessions_app.names import validate_name


def workstream_create(
    *, workstream_id: str, workspace: Workspace, title: str = "", summary: str = ""
) -> Workstream:
    """Create a named workstream and its directories; refuses an invalid name."""
    validate_name(workstream_id)
    workstream = Workstream(
        id=workstream_id, workspace=workspace, title=title or workstream_id, summary=summary
    )
    workstream.full_clean()
    with transaction.atomic():
        workstream.save(force_insert=True)
    workstream_dirs_create(workstream_id)
    return workstream
