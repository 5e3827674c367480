"""find_sessions_by_task_id / has_sessions_for_task (legacy-formats §5.6, §8 #8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.selectors import find_sessions_by_task_id, has_sessions_for_task
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


def test_a_bare_word_finds_the_rows_storing_it_verbatim(sessions):
    # minsky stores `update-test` as it is (its storage rule 6) and looks it up verbatim.
    SessionFactory(id="bare", task_id="update-test")
    SessionFactory(id="qualified", task_id="md#update-test")
    assert ids("update-test") == ["bare"]
    assert ids(" update-test ") == ["bare"]
    assert ids("md#update-test") == ["bare", "qualified"]
    assert ids("a b") == [] and ids("MT#1") == []


def test_has_sessions_for_task(sessions):
    assert has_sessions_for_task(task_id="md#123") is True
    assert has_sessions_for_task(task_id="456") is True
    assert has_sessions_for_task(task_id="gh#123") is True  # plain 123 is its local id
    assert has_sessions_for_task(task_id="mt#777") is False
    assert has_sessions_for_task(task_id="invalid-id") is False


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
    # Without the default newest-first ordering: PostgreSQL may otherwise walk the
    # created_at index to skip a sort, which says nothing about the lookup itself.
    lookup = find_sessions_by_task_id(task_id="md#123").order_by()
    sql, params = lookup.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny tables make a sequential scan cheapest; ask whether the index can serve it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "session_task_id_idx" in plan
