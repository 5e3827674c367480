"""find_sessions_by_task_id (legacy-formats §5.6, §8 #8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.selectors import find_sessions_by_task_id
from tests.factories import SessionFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions():
    SessionFactory(id="test-session-md123", task_id="123")
    SessionFactory(id="another-session", task_id="456")
    SessionFactory(id="unrelated-session", task_id="999")
    SessionFactory(id="qualified-mt", task_id="mt#456")


def ids(task_id, **kwargs):
    return sorted(find_sessions_by_task_id(task_id=task_id, **kwargs).values_list("id", flat=True))


def test_qualified_id_finds_plain_and_qualified_rows(sessions):
    assert ids("md#123") == ["test-session-md123"]
    assert ids("mt#456") == ["another-session", "qualified-mt"]


def test_plain_id_is_read_as_the_markdown_task(sessions):
    assert ids("123") == ["test-session-md123"]
    assert ids("#123") == ["test-session-md123"]


def test_non_existent_and_invalid_ids_find_nothing(sessions):
    assert ids("md#999999") == []
    assert ids("invalid-id") == []
    assert ids("") == []


def test_whether_a_task_has_sessions(sessions):
    def has(task_id):
        return find_sessions_by_task_id(task_id=task_id).exists()

    assert has("md#123") and has("456")
    assert has("gh#123")  # plain 123 is its local id
    assert not has("mt#777") and not has("invalid-id")


def test_workspace_scope(sessions):
    other = WorkspaceFactory(slug="elsewhere")
    SessionFactory(id="far", task_id="md#123", workspace=other)
    assert ids("md#123") == ["far", "test-session-md123"]
    assert ids("md#123", workspace_ids=[other.pk]) == ["far"]
    assert ids("md#123", workspace_ids=[]) == []


def test_the_lookup_is_one_indexed_in_query(sessions):
    with CaptureQueriesContext(connection) as ctx:
        list(find_sessions_by_task_id(task_id="md#123"))
    [query] = ctx.captured_queries
    assert '"task_id" IN (' in query["sql"]
    assert "LIKE" not in query["sql"].upper() and "REGEXP" not in query["sql"].upper()


def test_the_lookup_uses_the_task_id_index(sessions):
    sql, params = find_sessions_by_task_id(task_id="md#123").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny tables make a sequential scan cheapest; ask whether the index can serve it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "session_task_id_idx" in plan
