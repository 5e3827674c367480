"""The server-bound cursor: prepared on PostgreSQL, logged and error-translated like
Django's own cursor on both databases."""

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from config.bound_cursor import server_bound_cursor
from config.compiled_query import CompiledQuery
from projects_app.models import Workspace
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db

by_slug = CompiledQuery(
    lambda *, slug: Workspace.objects.filter(slug=slug).values_list("name"),
    params={"slug": str},
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_logged_as_one_query():
    with (
        CaptureQueriesContext(connection) as captured,
        server_bound_cursor(logged_as="SELECT 1") as cursor,
    ):
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]
    assert [query["sql"] for query in captured] == ["SELECT 1"]


def test_database_errors_arrive_as_djangos():
    with pytest.raises(DatabaseError), server_bound_cursor(logged_as="bad") as cursor:
        cursor.execute("SELECT * FROM no_such_table")


def test_compiled_queries_are_prepared_on_postgresql_after_five_runs():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    WorkspaceFactory(slug="prepared", name="Prepared")
    for run in range(1, 9):
        assert by_slug.rows(slug="prepared") == [("Prepared",)]
        prepared = any('"slug" = $1' in sql for sql in prepared_statements())
        assert prepared == (run > 5), run
