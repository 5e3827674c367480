"""projects_app/db_tuning.py: the page cache of a large import, the statistics after it."""

import pytest
from django.db import connection

from projects_app import db_tuning
from projects_app.bulk import rows_insert
from projects_app.models import Message
from tests.factories import ConversationFactory
from tests.projects_app.test_bulk import COLUMNS, message_rows

pytestmark = pytest.mark.django_db


def page_cache() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


def test_the_page_cache_is_larger_while_an_import_runs_and_back_after():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    before = page_cache()
    with db_tuning.sqlite_page_cache(mib=64):
        assert page_cache() == -64 * 1024  # KiB
    assert page_cache() == before != -64 * 1024


def planner_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def statistics_of_empty_tables(*models) -> None:
    """The statistics of `models` as they are, empty, in this test: ANALYZE writes them in
    place, so another test's rolled-back rows leave theirs behind."""
    tables = ", ".join(m._meta.db_table for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_tables_analyze_gives_the_planner_the_rows_just_written():
    rows = message_rows(ConversationFactory(), [f"word{n}" for n in range(40)])
    rows_insert(Message, COLUMNS, rows)
    assert planner_rows(Message) != 40
    db_tuning.tables_analyze([Message])
    assert planner_rows(Message) == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@pytest.mark.django_db(transaction=True)  # committed: the statistics count committed writes
def test_tables_analyze_leaves_a_table_with_less_than_a_tenth_of_its_rows_changed():
    conversation = ConversationFactory()
    rows_insert(Message, COLUMNS, message_rows(conversation, [f"a{n}" for n in range(100)]))
    db_tuning.tables_analyze([Message])
    assert planner_rows(Message) == 100
    rows_insert(Message, COLUMNS, message_rows(conversation, [f"b{n}" for n in range(5)]))
    db_tuning.tables_analyze([Message])
    assert planner_rows(Message) == 100  # a cron run that added a few: not analysed again
    rows_insert(Message, COLUMNS, message_rows(conversation, [f"c{n}" for n in range(10)]))
    db_tuning.tables_analyze([Message])
    assert planner_rows(Message) == 115
