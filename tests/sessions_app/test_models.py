import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream
from tests.factories import ProjectFactory, SessionFactory, WorkstreamFactory, default_workspace

pytestmark = pytest.mark.django_db


def test_data_migrations_create_the_default_workspace_and_the_scratch_workstream():
    scratch = Workstream.objects.get(id=SCRATCH_WORKSTREAM_ID)
    assert scratch.is_scratch
    assert scratch.workspace == default_workspace()


def test_a_new_session_lands_in_scratch():
    assert SessionFactory().workstream_id == SCRATCH_WORKSTREAM_ID


def test_num_is_unique_within_a_project():
    project = ProjectFactory()
    SessionFactory(project=project, num=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionFactory(project=project, num=7)


def test_the_same_num_is_allowed_in_another_project_and_without_a_project():
    SessionFactory(project=ProjectFactory(), num=7)
    SessionFactory(project=ProjectFactory(), num=7)
    SessionFactory(project=None, num=7)
    SessionFactory(project=None, num=7)
    assert Session.objects.filter(num=7).count() == 4


@pytest.mark.django_db(transaction=True)
def test_foreign_keys_are_enforced_at_commit():
    session = SessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(workstream_id="no-such-stream")
    session.refresh_from_db()
    assert session.workstream_id == SCRATCH_WORKSTREAM_ID


def test_sqlite_connection_has_foreign_keys_on():
    if connection.vendor != "sqlite":
        pytest.skip("PRAGMA foreign_keys is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize(
    "name", ["scratch", "A", "project_123", "my-blog", "0f8fad5b-d9cb-469f-a165-70867728950e"]
)
def test_workstream_name_rule_accepts(name):
    WorkstreamFactory.build(id=name).clean_fields()


@pytest.mark.parametrize(
    "name", ["", "..", "../etc", "has/slash", "has spaces", "has.dot", ".hidden", "-x", "é"]
)
def test_workstream_name_rule_refuses(name):
    with pytest.raises(ValidationError):
        WorkstreamFactory.build(id=name).clean_fields()
