import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import Session
from sessions_app.selectors import session_list_for_admin, session_search_qualified
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def real_distinct(kind: str, **filters) -> list:
    return list(Session.objects.filter(**filters).datetimes("created_at", kind))


@pytest.mark.parametrize("kind", ["year", "month", "day"])
def test_periods_equal_the_distinct_query_when_every_period_has_rows(kind):
    for created in [at(2024, 12, 31, 23), at(2025, 1, 1, 0, 30), at(2025, 1, 2, 5), at(2025, 2, 1)]:
        SessionFactory(created_at=created)
    # Day level is asked within one month, as the admin does.
    filters = {"created_at__year": 2025, "created_at__month": 1} if kind == "day" else {}
    ours = list(session_list_for_admin().filter(**filters).datetimes("created_at", kind))
    assert ours == real_distinct(kind, **filters)
    assert len(ours) >= 2


def test_periods_without_rows_are_listed_between_first_and_last():
    SessionFactory(created_at=at(2022, 5, 1))
    SessionFactory(created_at=at(2025, 5, 1))
    years = list(session_list_for_admin().datetimes("created_at", "year"))
    assert years == [at(2022, 1, 1), at(2023, 1, 1), at(2024, 1, 1), at(2025, 1, 1)]
    assert real_distinct("year") == [at(2022, 1, 1), at(2025, 1, 1)]
    assert (
        list(session_list_for_admin().datetimes("created_at", "year", order="DESC"))
        == (years[::-1])
    )


def test_no_rows_no_periods_and_filters_apply():
    assert list(session_list_for_admin().datetimes("created_at", "month")) == []
    SessionFactory(created_at=at(2025, 3, 9), status="failed")
    SessionFactory(created_at=at(2025, 7, 9), status="running")
    failed = session_list_for_admin().filter(status="failed")
    assert list(failed.datetimes("created_at", "month")) == [at(2025, 3, 1)]


def test_days_follow_the_current_time_zone_across_dst():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    SessionFactory(created_at=dt.datetime(2025, 3, 29, 12, tzinfo=berlin))
    SessionFactory(created_at=dt.datetime(2025, 3, 31, 12, tzinfo=berlin))
    with timezone.override(berlin):
        days = list(session_list_for_admin().datetimes("created_at", "day"))
    assert [d.day for d in days] == [29, 30, 31]
    assert all((d.hour, d.minute) == (0, 0) for d in days)


def test_changelist_date_drilldown_uses_no_distinct_scan(staff_client):
    SessionFactory(created_at=at(2023, 1, 5))
    SessionFactory(created_at=at(2025, 8, 5))
    url = reverse("admin:sessions_app_session_changelist")
    with CaptureQueriesContext(connection) as queries:
        content = staff_client.get(url).content.decode()
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()]
    for year in (2023, 2024, 2025):
        assert f"created_at__year={year}" in content
    by_year = staff_client.get(url, {"created_at__year": 2025}).content.decode()
    assert "created_at__month=8" in by_year and "created_at__month=1&" not in by_year


@pytest.mark.parametrize(
    "term, expected",
    [
        ("id:abc", {"abc-1", "abc-2"}),
        ("  ID: abc-1 ", {"abc-1"}),
        ("task:md#123", {"abc-2"}),
        ("issue:42", {"xyz"}),
        ("id:ABC", set()),  # ids are case-sensitive, on SQLite too
    ],
)
def test_qualified_search_filters_one_field(term, expected):
    SessionFactory(id="abc-1", task_id="123")
    SessionFactory(id="abc-2", task_id="md#123")
    SessionFactory(id="xyz", issue_id="42", title="abc mentioned in the title")
    result = session_search_qualified(queryset=Session.objects.all(), term=term)
    assert set(result.values_list("id", flat=True)) == expected


@pytest.mark.parametrize("term", ["abc", "fix: login", "id:", "task: ", ""])
def test_other_terms_are_not_qualified(term):
    assert session_search_qualified(queryset=Session.objects.all(), term=term) is None


def test_changelist_qualified_and_plain_search(staff_client):
    SessionFactory(id="abc-1")
    SessionFactory(id="xyz", title="about abc")
    url = reverse("admin:sessions_app_session_changelist")
    qualified = staff_client.get(url, {"q": "id:abc"}).context["cl"]
    assert [s.id for s in qualified.result_list] == ["abc-1"]
    plain = staff_client.get(url, {"q": "abc"}).context["cl"]
    assert {s.id for s in plain.result_list} == {"abc-1", "xyz"}


def test_qualified_id_search_uses_the_primary_key_index():
    SessionFactory(id="abc-1")
    result = session_search_qualified(queryset=Session.objects.all(), term="id:ab")
    assert [s.id for s in result] == ["abc-1"]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL: test_paginators checks the plan on an analyzed large table")
    plan = result.explain()
    assert "USING INDEX sqlite_autoindex_sessions_app_session" in plan, plan


def test_min_and_max_are_asked_one_by_one_with_the_same_answer():
    SessionFactory(created_at=at(2023, 1, 5), status="failed")
    SessionFactory(created_at=at(2025, 8, 5), status="failed")
    SessionFactory(created_at=at(2026, 1, 1), status="running")
    failed = session_list_for_admin().filter(status="failed")
    with CaptureQueriesContext(connection) as queries:
        bounds = failed.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert bounds == Session.objects.filter(status="failed").aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    assert bounds == {"first": at(2023, 1, 5), "last": at(2025, 8, 5)}
    assert len(queries) == 2
    # Anything else is one ordinary query.
    with CaptureQueriesContext(connection) as queries:
        assert failed.aggregate(n=Count("id"), last=Max("created_at"))["n"] == 2
    assert len(queries) == 1
