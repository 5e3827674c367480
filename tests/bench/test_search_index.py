"""The benchmarks' switch for the search index: off, writes skip it; back on, the triggers
(and PostgreSQL's trigram indexes) are as the migration made them."""

import pytest
from django.db import connection

from bench.search_index import search_index_off
from sessions_app.search_query import query_parse
from sessions_app.search_selectors import SearchFilters, search_hits
from tests.factories import MessageFactory, SessionFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def constraints_checked_at_once():
    """PostgreSQL alters no table with foreign-key checks pending, as the test's own
    transaction defers them (the benchmarks switch the index between transactions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def found(text: str) -> set[str]:
    query = query_parse(text=text)
    hits, _ = search_hits(user=StaffFactory(), query=query, filters=SearchFilters())
    return {h.kind for h in hits}


def search_objects() -> set[str]:
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'"
    else:
        sql = (
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search_%' AND tgenabled = 'O' "
            "UNION SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm'"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {row[0] for row in cursor.fetchall()}


def test_writes_skip_the_index_while_it_is_off_and_reach_it_once_it_is_back():
    before = search_objects()
    assert before  # the migration made them
    with search_index_off():
        assert search_objects() == set()
        written = [SessionFactory(title="zanzibarquux"), MessageFactory(content="zanzibarquux")]
        assert found("zanzibarquux") == set()
        for row in written:  # deleted while it is off: they never meet the index
            row.delete()
    assert search_objects() == before
    SessionFactory(title="zanzibarquux")
    MessageFactory(content="zanzibarquux")
    assert found("zanzibarquux") == {"session", "message"}


def test_only_the_named_index_is_switched_off():
    with search_index_off(names=["message"]):
        SessionFactory(title="quokkaverse")
        MessageFactory(content="quokkaverse")
        assert found("quokkaverse") == {"session"}
