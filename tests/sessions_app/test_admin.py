import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app.models import Session
from tests.factories import (
    ProjectFactory,
    SessionFactory,
    UsageRecordFactory,
    WorkstreamFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:sessions_app_session_changelist")


def make_sessions(n):
    projects = ProjectFactory.create_batch(3)
    streams = WorkstreamFactory.create_batch(2)
    SessionFactory.create_batch(n, project=None)
    for i, session in enumerate(Session.objects.order_by("id")[: n // 2]):
        session.project = projects[i % 3]
        session.workstream = streams[i % 2]
        session.save()


@pytest.mark.parametrize("params", [{}, {"status__exact": "pending"}, {"q": "session-1"}])
def test_changelist_query_count_does_not_grow_with_rows(staff_client, params):
    make_sessions(10)
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(CHANGELIST, params).status_code == 200
    make_sessions(490)
    with CaptureQueriesContext(connection) as large:
        response = staff_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert len(large) == len(small)


def test_changelist_shows_100_rows_per_page_without_a_full_count_link(staff_client):
    make_sessions(150)
    content = staff_client.get(CHANGELIST).content.decode()
    assert content.count('class="action-select"') == 100


def test_search_by_id_prefix_and_exact_task_id(staff_client):
    SessionFactory(id="abc12345-x")
    SessionFactory(id="zzz", task_id="mt#7")
    by_prefix = staff_client.get(CHANGELIST, {"q": "abc123"}).content.decode()
    assert "abc12345-x" in by_prefix and ">zzz<" not in by_prefix
    by_task = staff_client.get(CHANGELIST, {"q": "mt#7"}).content.decode()
    assert ">zzz<" in by_task and "abc12345-x" not in by_task


def test_filter_by_status(staff_client):
    SessionFactory(id="running-one", status=Session.Status.RUNNING)
    SessionFactory(id="pending-one", status=Session.Status.PENDING)
    content = staff_client.get(CHANGELIST, {"status__exact": "running"}).content.decode()
    assert "running-one" in content and "pending-one" not in content


def test_date_drill_down_lists_years_then_months_then_days(staff_client):
    import datetime as dt

    SessionFactory(id="old", created_at=dt.datetime(2024, 11, 3, tzinfo=dt.UTC))
    SessionFactory(id="new", created_at=dt.datetime(2026, 2, 14, tzinfo=dt.UTC))
    years = staff_client.get(CHANGELIST).content.decode()
    assert all(f"created_at__year={y}" in years for y in (2024, 2025, 2026))
    months = staff_client.get(CHANGELIST, {"created_at__year": 2026}).content.decode()
    assert "created_at__month=2" in months and "created_at__month=3" not in months
    days = staff_client.get(
        CHANGELIST, {"created_at__year": 2026, "created_at__month": 2}
    ).content.decode()
    assert "created_at__day=14" in days and "created_at__day=15" not in days
    assert ">new<" in days and ">old<" not in days


def test_date_drill_down_never_scans_with_distinct(staff_client):
    make_sessions(20)
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(CHANGELIST)
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


def listed_ids(response) -> list[str]:
    return [s.pk for s in response.context["cl"].result_list]


def test_the_search_box_ranks_sessions_by_their_own_text(staff_client):
    # Words of the prompt and the display name: Django's field search never read them.
    SessionFactory(id="once", title="", prompt="the heron flew by")
    SessionFactory(id="twice", title="heron", display_name="heron watcher", prompt="heron")
    SessionFactory(id="never", title="sparrow", prompt="a sparrow")
    response = staff_client.get(CHANGELIST, {"q": "heron"})
    assert listed_ids(response) == ["twice", "once"]
    sorted_by_id = staff_client.get(CHANGELIST, {"q": "heron", "o": "1"})  # a column sort
    assert sorted(listed_ids(sorted_by_id)) == ["once", "twice"]
    assert listed_ids(staff_client.get(CHANGELIST, {"q": '"flew by" -sparrow'})) == ["once"]


def test_a_malformed_search_says_why_and_lists_nothing(staff_client):
    SessionFactory(title="heron")
    for query, reason in [('"heron', "quote"), ("-heron", "Only exclusions")]:
        response = staff_client.get(CHANGELIST, {"q": query})
        assert response.status_code == 200 and listed_ids(response) == []
        [message] = [str(m) for m in response.context["messages"]]
        assert message.startswith("Search: ") and reason in message


def test_a_partly_priced_session_names_its_tokens_with_no_price(staff_client):
    mixed = SessionFactory(id="mixed")
    UsageRecordFactory(session=mixed, total_tokens=1100, cost_micro_usd=2_530_000)
    UsageRecordFactory(session=mixed, model="mystery", total_tokens=45, cost_micro_usd=None)
    row = staff_client.get(CHANGELIST).content.decode().split(">mixed<")[1].split("</tr>")[0]
    assert "$2.53 + 45 tokens with no price</span>" in row


def test_the_session_page_has_a_usage_fieldset(staff_client):
    session = SessionFactory()
    UsageRecordFactory(session=session, subagent="explorer")
    change = reverse("admin:sessions_app_session_change", args=[session.pk])
    page = staff_client.get(change).content.decode()
    fieldset = page.split("Token usage and estimated cost</h2>")[1].split("</fieldset>")[0]
    assert 'id="session-usage"' in fieldset
    assert 'data-subagent="explorer"' in fieldset and 'data-total="all"' in fieldset
    idle = reverse("admin:sessions_app_session_change", args=[SessionFactory().pk])
    assert "No token usage recorded." in staff_client.get(idle).content.decode()


def test_past_the_rank_limit_the_search_box_lists_newest_first(staff_client, monkeypatch):
    from sessions_app import search_selectors
    from tests.factories import BASE_TIME

    SessionFactory(id="dense-old", title="heron heron heron", created_at=BASE_TIME)
    SessionFactory(id="sparse-new", prompt="a heron", created_at=BASE_TIME.replace(year=2027))
    assert listed_ids(staff_client.get(CHANGELIST, {"q": "heron"})) == ["dense-old", "sparse-new"]
    monkeypatch.setattr(search_selectors, "RANK_LIMIT", 1)  # two candidates: past it
    assert listed_ids(staff_client.get(CHANGELIST, {"q": "heron"})) == ["sparse-new", "dense-old"]
