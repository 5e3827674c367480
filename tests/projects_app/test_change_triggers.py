"""The change-token triggers survive what would silently remove them (SQLite)."""

import re

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, connections, models
from django.db.backends.sqlite3.base import DatabaseWrapper

from projects_app import change_triggers
from projects_app.models import ChangeToken, Project, Workspace
from tests.factories import ProjectFactory, default_workspace

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the triggers are SQLite's"),
]


def triggers_present(conn=connection) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()} & set(change_triggers.TRIGGER_NAMES)


def drop_one_trigger():
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "{change_triggers.TRIGGER_NAMES[0]}"')


def test_the_migrated_database_has_every_trigger_and_a_token():
    assert triggers_present() == set(change_triggers.TRIGGER_NAMES)
    assert change_triggers.list_token_read(connection) is not None


def test_with_a_trigger_missing_there_is_no_token_so_nothing_is_kept():
    drop_one_trigger()
    assert change_triggers.list_token_read(connection) is None


def test_every_migrate_puts_missing_triggers_back_and_renews_the_token():
    before = change_triggers.list_token_read(connection)
    drop_one_trigger()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert triggers_present() == set(change_triggers.TRIGGER_NAMES)
    after = change_triggers.list_token_read(connection)
    assert after is not None and after != before
    ProjectFactory(workspace=default_workspace())  # and the restored trigger works
    assert change_triggers.list_token_read(connection) != after


@pytest.fixture
def scratch_sqlite(tmp_path):
    """A Django connection to an empty SQLite file (not the test database)."""
    scratch = DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "scratch.sqlite3"), "OPTIONS": {}},
        alias="scratch",
    )
    connections["scratch"] = scratch  # the schema editor looks its connection up by alias
    yield scratch
    scratch.close()
    del connections["scratch"]


def test_without_the_token_table_no_trigger_is_created(scratch_sqlite):
    # A trigger writing to a missing table would make every project write fail.
    with scratch_sqlite.schema_editor() as editor:
        editor.create_model(Workspace)
        editor.create_model(Project)
    change_triggers.triggers_ensure(scratch_sqlite)
    assert triggers_present(scratch_sqlite) == set()


def test_a_table_rebuilt_by_the_schema_editor_loses_its_triggers_until_ensured(scratch_sqlite):
    with scratch_sqlite.schema_editor() as editor:
        for model in (Workspace, Project, ChangeToken):
            editor.create_model(model)
    change_triggers.triggers_ensure(scratch_sqlite)
    assert change_triggers.list_token_read(scratch_sqlite) is not None

    # An ALTER that SQLite cannot do in place: Django copies the table and drops the old.
    old = Project._meta.get_field("title")
    new = models.CharField(max_length=900, blank=True)
    new.set_attributes_from_name("title")
    new.model = Project
    with scratch_sqlite.schema_editor() as editor:
        editor.alter_field(Project, old, new)
    missing = set(change_triggers.TRIGGER_NAMES) - triggers_present(scratch_sqlite)
    assert missing == {name for name in change_triggers.TRIGGER_NAMES if "_project_" in name}
    assert change_triggers.list_token_read(scratch_sqlite) is None

    change_triggers.triggers_ensure(scratch_sqlite)
    assert triggers_present(scratch_sqlite) == set(change_triggers.TRIGGER_NAMES)
    assert change_triggers.list_token_read(scratch_sqlite) is not None


def test_the_triggers_watch_every_table_the_project_list_reads():
    from projects_app.selectors import project_list
    from tests.factories import StaffFactory, UserFactory

    for user in (UserFactory(), StaffFactory()):
        for filters in ({}, {"workspace_id": default_workspace().pk, "status": "draft"}):
            sql = str(project_list(user=user, **filters).query)
            tables = set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql))
            assert tables and tables <= set(change_triggers.WATCHED_TABLES), sql


def test_a_trigger_of_another_version_is_replaced():
    old_name = "projects_app_project_insert_renews_list_token_v0"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TRIGGER "{old_name}" AFTER INSERT ON projects_app_project '
            f"BEGIN UPDATE {change_triggers.TOKEN_TABLE} SET token = 'old'; END"
        )
    change_triggers.triggers_ensure(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s", [old_name])
        assert cursor.fetchall() == []
    ProjectFactory(workspace=default_workspace())
    assert change_triggers.list_token_read(connection) not in (None, "old")


@pytest.mark.django_db(transaction=True)
def test_migrating_back_before_the_token_table_leaves_project_writes_working():
    from django.core.management import call_command

    call_command("migrate", "projects_app", "0002", verbosity=0)
    try:
        assert triggers_present() == set()
        ProjectFactory(workspace=default_workspace())  # no trigger writes a missing table
    finally:
        call_command("migrate", verbosity=0)
    assert triggers_present() == set(change_triggers.TRIGGER_NAMES)
    assert change_triggers.list_token_read(connection) is not None


def test_loading_a_dumped_token_gives_a_new_one(tmp_path):
    from django.core.management import call_command

    dumped = change_triggers.list_token_read(connection)
    fixture = tmp_path / "tokens.json"
    call_command("dumpdata", "projects_app.ChangeToken", output=str(fixture), verbosity=0)
    assert dumped in fixture.read_text()
    call_command("loaddata", str(fixture), verbosity=0)
    assert change_triggers.list_token_read(connection) not in (None, dumped)
