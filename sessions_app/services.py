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


def session_patch_validate(
    *,
    session: Session,
    title: str | None = None,
    task_id: str | None = None,
    metadata: dict | None = None,  # merged as it is (session_patch)
) -> dict:
    """The field changes of a PATCH, validated (ValidationError) before anything is written."""
    changes = {
        name: value for name, value in (("title", title), ("task_id", task_id)) if value is not None
    }
    values = {f.attname: getattr(session, f.attname) for f in Session._meta.concrete_fields}
    candidate = Session(**{**values, **changes})
    candidate.clean_fields(exclude=[f.name for f in Session._meta.fields if f.name not in changes])
    return changes


@transaction.atomic
def session_patch(*, session: Session, **fields) -> Session:
    """Update a session's title and task id; metadata is merged key by key (`fields`: those
    of session_patch_validate)."""
    changes = session_patch_validate(session=session, **fields)
    metadata = fields.get("metadata")
    fresh = Session.objects.select_for_update().get(pk=session.pk)
    if changes or metadata:
        for name, value in changes.items():
            setattr(fresh, name, value)
        if metadata:
            fresh.metadata = {**(fresh.metadata or {}), **metadata}
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=[*changes, "metadata", "updated_at"])
    return fresh
