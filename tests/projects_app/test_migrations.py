"""0005 drops ChangeToken and the SQLite triggers that renewed it; it migrates both ways."""

import pytest
from django.core.management import call_command
from django.db import connection

from projects_app.models import Workspace
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_TABLE = "projects_app_changetoken"
WATCHED = ("projects_app_project", "projects_app_workspace", "projects_app_workspace_members")


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def token_triggers() -> set[str]:
    if connection.vendor != "sqlite":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
            [f"%{TOKEN_TABLE}%"],
        )
        return {row[0] for row in cursor.fetchall()}


def create_old_triggers() -> set[str]:
    """The triggers the retired change_triggers.py created after `migrate` (both versions)."""
    names = set()
    with connection.cursor() as cursor:
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                for suffix in ("", "_v1"):
                    name = f"{table}_{event.lower()}_renews_list_token{suffix}"
                    cursor.execute(
                        f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN '
                        f"UPDATE {TOKEN_TABLE} SET token = lower(hex(randomblob(16))); END"
                    )
                    names.add(name)
    return names


def write_every_watched_table():
    # Only the columns 0004 has: later migrations add some (0006: Workspace.metadata).
    workspace = Workspace.objects.only("pk").get(slug=Workspace.DEFAULT_SLUG)
    ProjectFactory(workspace=workspace)
    workspace.members.add(UserFactory())
    Workspace.objects.filter(pk=workspace.pk).update(name="Default")


def test_migrating_back_and_forth_drops_the_table_and_its_triggers():
    call_command("migrate", "projects_app", "0004", verbosity=0)
    try:
        assert TOKEN_TABLE in tables()
        if connection.vendor == "sqlite":
            created = create_old_triggers()
            assert token_triggers() == created and len(created) == 18
            write_every_watched_table()  # the triggers work while their table exists
    finally:
        call_command("migrate", verbosity=0)

    assert TOKEN_TABLE not in tables()
    assert token_triggers() == set()
    write_every_watched_table()  # no trigger writes to the missing table

    call_command("migrate", "projects_app", "0004", verbosity=0)
    try:
        assert TOKEN_TABLE in tables()
        write_every_watched_table()
    finally:
        call_command("migrate", verbosity=0)
    assert TOKEN_TABLE not in tables()
