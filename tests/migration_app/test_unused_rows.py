"""Undo's rule for shared rows: what a run created goes only when nothing uses it."""

import pytest

from migration_app.services.unused_rows import PROJECT_USERS, unused_rows_delete
from projects_app.models import Project, Workspace
from tests.factories import (
    ConversationFactory,
    ProjectFactory,
    SessionFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def test_a_project_in_use_is_kept_with_a_note_and_the_others_go():
    free, with_session, with_conversation = ProjectFactory.create_batch(3)
    SessionFactory(project=with_session, workspace=with_session.workspace)
    ConversationFactory(project=with_conversation)
    notes = []

    deleted = unused_rows_delete(
        model=Project,
        ids=[free.pk, with_session.pk, with_conversation.pk],
        relations=PROJECT_USERS,
        notes=notes,
    )

    assert deleted == 1
    assert set(Project.objects.values_list("pk", flat=True)) == {
        with_session.pk,
        with_conversation.pk,
    }
    assert sorted(notes) == sorted(
        f"project {pk} kept: other rows still use it"
        for pk in (with_session.pk, with_conversation.pk)
    )


def test_uuid_keys_given_as_text_are_matched_not_deleted_by_mistake():
    used, unused = WorkspaceFactory.create_batch(2)
    ProjectFactory(workspace=used)
    notes = []

    deleted = unused_rows_delete(
        model=Workspace, ids=[str(used.pk), str(unused.pk)], relations=("projects",), notes=notes
    )

    assert deleted == 1
    assert Workspace.objects.filter(pk=used.pk).exists()
    assert not Workspace.objects.filter(pk=unused.pk).exists()
    assert notes == [f"workspace {used.pk} kept: other rows still use it"]


def test_rows_already_gone_are_not_counted():
    project = ProjectFactory()
    gone = project.pk
    project.delete()
    assert unused_rows_delete(model=Project, ids=[gone], relations=PROJECT_USERS, notes=[]) == 0
