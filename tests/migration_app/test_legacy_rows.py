"""Session rows prepared outside the ORM read back exactly as the ORM would store them."""

import datetime as dt

import pytest
from django.db import connection

from migration_app.legacy.records import SessionRecord
from migration_app.legacy.rows import MAPPED_COLUMNS, session_row_mapping, session_row_values
from migration_app.services.legacy_import.ao.state import session_row_format
from projects_app.bulk import rows_insert
from sessions_app.models import HARNESSES, Session
from tests.factories import ProjectFactory, default_workspace

pytestmark = pytest.mark.django_db

PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


def a_record(project_id: str) -> SessionRecord:
    return SessionRecord(
        id="proj-7",
        project_id=project_id,
        source="ao",
        source_path="/legacy/projects/proj/sessions/proj-7.json",
        status="working",
        activity_state="active",
        is_terminated=False,
        legacy_status="working",
        created_at=dt.datetime(2025, 3, 1, 23, 30, 0, 123456, tzinfo=PLUS_TWO),
        updated_at=dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC),
        activity_last_at=dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC),
        first_signal_at=None,
        kind="worker",
        agent="claude-code",
        display_name="d" * 600,  # longer than the column: cut to 500
        branch="feat/ü",
        metadata={"cost": {"usd": 1.25}, "big": str(2**64 - 1), "text": 'é\n"q"'},
    )


def test_every_column_of_the_table_is_written_once():
    row_format = session_row_format()
    table = [f.attname for f in Session._meta.concrete_fields]
    assert sorted(row_format.columns) == sorted(table)
    assert len(session_row_values(a_record("proj"), row_format)) == len(table)
    assert tuple(session_row_mapping(a_record("proj"), frozenset(HARNESSES))) == MAPPED_COLUMNS


def test_a_prepared_row_reads_back_as_the_orm_stores_the_same_session():
    project = ProjectFactory(id="proj")
    record = a_record(project.pk)
    state_format = session_row_format()

    mapping = session_row_mapping(record, frozenset(HARNESSES))
    Session.objects.create(**mapping, num=7, workspace=default_workspace())
    through_orm = Session.objects.filter(pk=record.id).values().get()
    Session.objects.filter(pk=record.id).delete()

    values = session_row_values(record, state_format)
    columns = state_format.columns
    values[columns.index("num")] = 7
    workspace = Session._meta.get_field("workspace")
    values[columns.index("workspace_id")] = workspace.get_db_prep_save(
        default_workspace().pk, connection
    )
    rows_insert(Session, columns, [values])
    prepared = Session.objects.filter(pk=record.id).values().get()

    assert prepared == through_orm
    assert prepared["created_at"] == dt.datetime(2025, 3, 1, 21, 30, 0, 123456, tzinfo=dt.UTC)
    assert len(prepared["display_name"]) == 500
    assert prepared["workstream_id"] == "scratch"  # an unmapped column: the model default
