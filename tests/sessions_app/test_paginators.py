"""The changelist paginator estimates large PostgreSQL counts instead of running COUNT(*)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app import paginators
from sessions_app.models import Session
from sessions_app.paginators import EstimatedCountPaginator
from tests.factories import BASE_TIME, default_workspace

pytestmark = pytest.mark.django_db

ROWS = 20_000


def sessions_insert(n: int) -> None:
    workspace = default_workspace()
    statuses = Session.Status.values
    Session.objects.bulk_create(
        [
            Session(
                id=f"p{i:06d}",
                workspace=workspace,
                status=statuses[i % len(statuses)],
                created_at=BASE_TIME,
                updated_at=BASE_TIME,
            )
            for i in range(n)
        ],
        batch_size=5000,
    )


def count_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's planner statistics")


@pytest.fixture
def large_analyzed_table(monkeypatch):
    postgres_only()
    sessions_insert(ROWS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sessions_app_session")
    # 20k rows stand for a million: what matters is being above the threshold.
    monkeypatch.setattr(paginators, "EXACT_COUNT_BELOW", 2_000)


def test_unfiltered_count_comes_from_reltuples_without_count(large_analyzed_table):
    paginator = EstimatedCountPaginator(Session.objects.all(), 100)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    assert count_queries(queries) == []
    assert any("reltuples" in q["sql"] for q in queries)
    assert abs(count - ROWS) <= ROWS * 0.05


def test_filtered_count_comes_from_explain_without_count(large_analyzed_table):
    paginator = EstimatedCountPaginator(
        Session.objects.filter(status__in=["running", "failed"]), 100
    )
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    assert count_queries(queries) == []
    assert any(q["sql"].startswith("EXPLAIN") for q in queries)
    assert abs(count - ROWS / 3) <= ROWS * 0.05


def test_small_result_is_counted_exactly(large_analyzed_table):
    paginator = EstimatedCountPaginator(Session.objects.filter(id__startswith="p00001"), 100)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 10
    assert len(count_queries(queries)) == 1


def test_admin_changelist_never_counts_the_large_table(large_analyzed_table, staff_client):
    url = reverse("admin:sessions_app_session_changelist")
    for params in ({}, {"status__exact": "running"}):
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url, params)
        assert response.status_code == 200
        counts = [sql for sql in count_queries(queries) if "sessions_app_session" in sql]
        assert counts == [], counts
        assert response.context["cl"].result_count > 2_000


def test_other_databases_count_exactly():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL estimates")
    sessions_insert(300)
    paginator = EstimatedCountPaginator(Session.objects.all(), 100)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 300
    assert len(count_queries(queries)) == 1


def test_qualified_id_prefix_search_uses_an_index(large_analyzed_table, staff_client):
    url = reverse("admin:sessions_app_session_changelist")
    response = staff_client.get(url, {"q": "id:p0001"})
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_count == 100  # p000100 … p000199, counted exactly (small)
    plan = cl.queryset.explain()
    assert "Index" in plan and "Seq Scan on sessions_app_session" not in plan, plan


def test_an_empty_result_counts_nothing_on_every_database():
    # The session list's answer to a malformed search is .none(): no SQL to explain.
    paginator = EstimatedCountPaginator(Session.objects.none(), 100)
    assert paginator.count == 0


def test_a_full_text_search_of_the_list_uses_the_search_index(large_analyzed_table, staff_client):
    url = reverse("admin:sessions_app_session_changelist")
    response = staff_client.get(url, {"q": "heron"})
    assert response.status_code == 200
    plan = response.context["cl"].queryset.explain()
    assert "search_session_fts_gin" in plan and "Seq Scan on sessions_app_session" not in plan
