"""`session_delete`: sessions leave the store, journaled so that undo brings them back
(the ao-rs store's `delete`, done undoably).

Each deleted session's row is kept whole in its item's `before`; undo inserts it again.
What belongs to the session but not to its row stays where it is: its conversation and
messages (the workspace's; a project may have adopted them) and its work files on disk,
so a restored session finds them again.
"""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import transaction

from migration_app.models import MigrationItem, MigrationRun
from migration_app.selectors import keyset_pages
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    UndoResult,
    migration_items_record,
    migration_kind_register,
    migration_run_progress,
    migration_run_selection_batches,
    migration_selection_count,
)
from projects_app.models import Conversation, Project
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from sessions_app.usage import usage_sessions_rebuild

KIND = MigrationRun.Kind.SESSION_DELETE
BATCH_SIZE = 500
Outcome = MigrationItem.Outcome
_FIELDS = list(Session._meta.concrete_fields)


def _row(session: Session) -> dict:
    """The session's every column, as JSON."""
    row = {field.attname: getattr(session, field.attname) for field in _FIELDS}
    for name, value in row.items():
        if isinstance(value, datetime):
            row[name] = value.isoformat()
        elif isinstance(value, UUID):
            row[name] = str(value)
    return row


def _session(row: dict) -> Session:
    values = {field: row.get(field.attname) for field in _FIELDS}
    return Session(**{f.attname: None if v is None else f.to_python(v) for f, v in values.items()})


def session_delete_plan(*, session_ids: Iterable[str]) -> Planned:
    """The sessions to delete, by id (the caller has already checked it may see them)."""
    session_ids = sorted(set(session_ids))
    if not session_ids:
        raise MigrationError("No session to delete.")
    total = migration_selection_count(queryset=Session.objects.all(), subject_ids=session_ids)
    return Planned(params={"batch_size": BATCH_SIZE}, total=total, selection=session_ids)


def session_delete_execute(run: MigrationRun) -> dict:
    for batch in migration_run_selection_batches(run=run, size=run.params["batch_size"]):
        with transaction.atomic():
            sessions = {s.pk: s for s in Session.objects.select_for_update().filter(pk__in=batch)}
            items = [
                ItemRecord("session", sid, Outcome.MIGRATED, before=_row(sessions[sid]))
                if sid in sessions
                else ItemRecord("session", sid, Outcome.SKIPPED, reason="no such session")
                for sid in batch
            ]
            Session.objects.filter(pk__in=list(sessions)).delete()
            migration_items_record(run=run, items=items)
        migration_run_progress(run=run, advance=len(sessions))
    return {}


def _restorable(sessions: list[Session], notes: list[str]) -> list[Session]:
    """The rows as they were, minus links to what is gone or taken since (each noted);
    three queries whatever the batch size."""
    projects = Project.objects.only("pk").in_bulk({s.project_id for s in sessions})
    wanted = {s.conversation_id for s in sessions if s.conversation_id}
    free = Conversation.objects.only("pk").in_bulk(wanted).keys() - set(
        Session.objects.filter(conversation_id__in=wanted).values_list("conversation_id", flat=True)
    )
    workstreams = Workstream.objects.only("pk").in_bulk({s.workstream_id for s in sessions})
    for session in sessions:
        if session.project_id and session.project_id not in projects:
            notes.append(f"session {session.pk}: project {session.project_id} is gone")
            session.project_id = None
        if session.conversation_id and session.conversation_id not in free:
            notes.append(f"session {session.pk}: its conversation is gone or taken")
            session.conversation_id = None
        if session.workstream_id not in workstreams:
            notes.append(f"session {session.pk}: workstream {session.workstream_id} is gone")
            session.workstream_id = SCRATCH_WORKSTREAM_ID
    return sessions


def session_delete_undo(run: MigrationRun) -> UndoResult:
    """Insert every deleted session again, unless its id has been used since."""
    result = UndoResult()
    migrated = run.items.filter(outcome=Outcome.MIGRATED).values_list("pk", "subject_id", "before")
    for items in keyset_pages(migrated, size=BATCH_SIZE):
        ids = [sid for _, sid, _ in items]
        with transaction.atomic():
            taken = set(Session.objects.filter(pk__in=ids).values_list("pk", flat=True))
            restored = _restorable(
                [_session(before) for _, sid, before in items if sid not in taken], result.notes
            )
            Session.objects.bulk_create(restored, batch_size=BATCH_SIZE)
            # Their usage records went with them (cascade): counted again from what stayed.
            usage_sessions_rebuild(session_ids=[s.pk for s in restored])
            done = [pk for pk, sid, _ in items if sid not in taken]
            MigrationItem.objects.filter(pk__in=done).update(outcome=Outcome.UNDONE)
        result.restored += len(done)
        result.notes.extend(f"session {sid}: the id is in use again" for sid in sorted(taken))
    return result


migration_kind_register(
    MigrationKind(KIND, session_delete_plan, session_delete_execute, session_delete_undo)
)
