"""Write-side use cases of the sessions app."""

from django.db import transaction
from django.utils import timezone

from projects_app.models import Conversation, Workspace
from sessions_app.files import workstream_dirs_create
from sessions_app.models import Session, Workstream
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


@transaction.atomic
def session_create(*, workspace: Workspace, title: str) -> Session:
    """A native session in the scratch workstream, with its own conversation.

    This is the old, session-centric way of starting work (the deprecated
    `POST /api/v1/sessions`); new clients create projects instead.
    """
    conversation = Conversation.objects.create(workspace=workspace, title=title[:500])
    session = Session(workspace=workspace, title=title, conversation=conversation)
    session.full_clean(exclude=["workstream"])
    session.save(force_insert=True)
    return session


def session_archive(*, session: Session) -> Session:
    """Archive a session; archiving an archived session changes nothing.

    Compare-and-set, so two concurrent archives record one `archived_at`.
    """
    now = timezone.now()
    Session.objects.filter(pk=session.pk, archived_at__isnull=True).update(
        status=Session.Status.ARCHIVED, archived_at=now, updated_at=now
    )
    session.refresh_from_db()
    return session
