"""What the search tells PostgreSQL's planner: the rows holding a query's words are
counted from the index alone, and a phrase's newest matches may be read from a recent
window of time, giving the very page a walk back through time gives."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import QuerySet

from projects_app.models import Message
from sessions_app import search_postgresql
from sessions_app.search_query import query_parse
from sessions_app.search_selectors import SearchFilters, search_hits
from tests.factories import BASE_TIME, ConversationFactory, MessageFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner (SQLite reads its FTS5 index newest first)")
    # Counted, whatever PostgreSQL's statistics (left by other tests) estimate.
    monkeypatch.setattr(search_postgresql, "ESTIMATE_TRUSTED", 10**9)


# Days 0-80: the recent window (the last eighth, days 70-80) holds the three newest
# "red fox" matches and a "fox red" that holds the words but not the phrase.
DAYS = {0: "red fox", 30: "red fox", 60: "red fox", 65: "red", 74: "fox red", 76: "red fox",
        78: "red fox", 80: "red fox"}  # fmt: skip


def messages_on_days(days: dict[int, str]) -> list[Message]:
    conversation = ConversationFactory()
    return [
        MessageFactory(conversation=conversation, content=text,
                       created_at=BASE_TIME + dt.timedelta(days=day))
        for day, text in days.items()
    ]  # fmt: skip


def matches_newest_first() -> QuerySet:
    rows = Message.objects.extra(where=["search_vector @@ phraseto_tsquery('simple', 'red fox')"])
    return rows.order_by("-created_at", "-id")


def test_the_count_is_every_row_holding_the_words_in_any_order_past_the_cap():
    messages_on_days(DAYS)
    count = search_postgresql.candidate_count(
        table="projects_app_message", words=["red fox"], cap=2
    )  # fmt: skip
    assert count == 7  # every message but day 65's


def test_the_count_of_words_found_nowhere_is_zero():
    messages_on_days(DAYS)
    assert (
        search_postgresql.candidate_count(table="projects_app_message", words=["yak"], cap=2) == 0
    )


def test_a_recent_window_holding_the_page_gives_the_newest_matches():
    made = messages_on_days(DAYS)
    page = search_postgresql.recent_page(matches_newest_first(), limit=3)
    assert [m.pk for m in page] == [made[-1].pk, made[-2].pk, made[-3].pk]


def test_a_recent_window_short_of_the_page_gives_none():
    messages_on_days(DAYS)
    assert search_postgresql.recent_page(matches_newest_first(), limit=4) is None
    assert search_postgresql.recent_page(Message.objects.none(), limit=3) is None


def test_no_messages_at_all_is_an_empty_page():
    assert search_postgresql.recent_page(matches_newest_first(), limit=3) == []


@pytest.mark.parametrize("window_candidates", [0, 1_000])
def test_a_phrase_past_the_rank_limit_gets_the_same_page_with_or_without_the_window(
    monkeypatch, window_candidates
):
    monkeypatch.setattr("sessions_app.search_selectors.RANK_LIMIT", 1)
    monkeypatch.setattr("sessions_app.search_selectors.UNFILTERED_RANK_LIMIT", {})
    monkeypatch.setattr(search_postgresql, "WINDOW_CANDIDATES", window_candidates)
    pages = []
    recent_page = search_postgresql.recent_page
    monkeypatch.setattr(
        search_postgresql,
        "recent_page",
        lambda rows, limit: pages.append(recent_page(rows, limit=limit)) or pages[-1],
    )
    made = messages_on_days(DAYS)
    query = query_parse(text='"red fox"')
    hits, more = search_hits(user=StaffFactory(), query=query, filters=SearchFilters(), limit=2)
    assert [h.obj.pk for h in hits] == [made[-1].pk, made[-2].pk] and more
    assert [len(page) for page in pages] == ([3] if window_candidates else [])


def test_the_planner_settings_are_left_as_they_were():
    with connection.cursor() as cursor:
        with search_postgresql.scans_off("indexscan"):
            cursor.execute("SELECT current_setting('enable_indexscan')")
            assert cursor.fetchone()[0] == "off"
        cursor.execute("SELECT current_setting('enable_indexscan')")
        assert cursor.fetchone()[0] == "on"
