"""`session_delete`: a journaled deletion whose undo brings every session back as it was."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.dispatch import migration_run_dispatch
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import MigrationError, migration_undo
from projects_app.models import Message
from sessions_app.models import Session
from tests.factories import (
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    WorkstreamFactory,
)

pytestmark = pytest.mark.django_db

KIND = MigrationRun.Kind.SESSION_DELETE


def delete(*session_ids, dry_run=False):
    return migration_run_dispatch(
        kind=KIND, session_ids=list(session_ids), dry_run=dry_run, actor="tester"
    )


def row(session_id):
    values = Session.objects.filter(pk=session_id).values().get()
    return values


@pytest.fixture
def rich_session(db):
    project = ProjectFactory()
    conversation = ConversationFactory(workspace=project.workspace)
    MessageFactory(conversation=conversation, content="kept")
    return SessionFactory(
        id="to-delete",
        workspace=project.workspace,
        project=project,
        num=4,
        conversation=conversation,
        workstream=WorkstreamFactory(id="stream", workspace=project.workspace),
        title="A session",
        task_id="mt#9",
        created_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        archived_at=datetime(2025, 2, 1, tzinfo=UTC),
        metadata={"big": "123456789012345678901234567890", "nested": {"k": [1, None]}},
    )


def test_delete_journals_the_row_and_undo_restores_it_exactly(rich_session):
    before = row(rich_session.pk)
    run = delete(rich_session.pk)
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert not Session.objects.filter(pk=rich_session.pk).exists()
    [item] = run.items.all()
    assert (item.subject_id, item.outcome) == (rich_session.pk, MigrationItem.Outcome.MIGRATED)
    # What is not the session's row stays: its conversation and messages.
    assert Message.objects.filter(conversation_id=before["conversation_id"]).count() == 1

    undone = migration_undo(run=run)
    assert undone.status == MigrationRun.Status.UNDONE and undone.counts["undone"] == 1
    assert row(rich_session.pk) == before
    assert run.items.get().outcome == MigrationItem.Outcome.UNDONE


def test_a_dry_run_deletes_nothing_and_journals_what_it_would(rich_session):
    run = delete(rich_session.pk, dry_run=True)
    assert run.dry_run and run.counts["migrated"] == 1
    assert Session.objects.filter(pk=rich_session.pk).exists()
    with pytest.raises(MigrationError):
        migration_undo(run=run)


def test_an_unknown_id_is_skipped_and_an_empty_request_refused(db):
    run = delete("nope")
    assert run.items.get().outcome == MigrationItem.Outcome.SKIPPED
    with pytest.raises(MigrationError):
        delete()


def test_undo_leaves_an_id_used_again_alone_and_drops_links_to_what_is_gone(rich_session):
    other = SessionFactory(id="other")
    run = delete(rich_session.pk, other.pk)
    SessionFactory(id="other", title="new owner of the id")
    rich_session.project.delete()
    rich_session.conversation.delete()
    undone = migration_undo(run=run)
    assert undone.counts["undone"] == 1
    notes = " ".join(undone.counts["undo_notes"])
    assert "other: the id is in use again" in notes
    assert "is gone" in notes
    restored = Session.objects.get(pk=rich_session.pk)
    assert restored.project_id is None and restored.conversation_id is None
    assert Session.objects.get(pk="other").title == "new owner of the id"


def test_a_batch_costs_a_bounded_number_of_queries(db):
    for n in range(3):
        SessionFactory(id=f"few-{n}")
    for n in range(30):
        SessionFactory(id=f"many-{n}")

    def queries(ids):
        with CaptureQueriesContext(connection) as captured:
            run = delete(*ids)
        with CaptureQueriesContext(connection) as undo_captured:
            migration_undo(run=run)
        return len(captured), len(undo_captured)

    assert queries([f"few-{n}" for n in range(3)]) == queries([f"many-{n}" for n in range(30)])
