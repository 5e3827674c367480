"""Search over messages, sessions and projects: the index follows every write, filters
narrow, workspaces isolate, and hostile input never reaches the index as syntax."""

import datetime as dt

import pytest
from django.db import connection

from projects_app.models import Message
from sessions_app.models import Session
from sessions_app.search_query import query_parse
from sessions_app.search_selectors import UNFILTERED_RANK_LIMIT, SearchFilters, search_hits
from tests.factories import (
    BASE_TIME,
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
    WorkspaceFactory,
    transcript_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def find(user, text, **filters):
    hits, _ = search_hits(user=user, query=query_parse(text=text), filters=SearchFilters(**filters))
    return hits


def ids(hits, kind="message"):
    return {str(h.obj.pk) for h in hits if h.kind == kind}


def test_a_new_message_is_found_at_once_and_follows_updates_and_deletes(staff):
    message = MessageFactory(content="The flux capacitor overheated")
    assert ids(find(staff, "capacitor")) == {str(message.pk)}
    message.content = "All quiet now"
    message.save()
    assert ids(find(staff, "capacitor")) == set()
    assert ids(find(staff, "quiet")) == {str(message.pk)}
    message.delete()
    assert ids(find(staff, "quiet")) == set()


def test_bulk_created_messages_are_indexed(staff):
    conversation = ConversationFactory()
    Message.objects.bulk_create(
        Message(conversation=conversation, role="user", content=f"bulk row {n} zebra")
        for n in range(5)
    )
    assert len(ids(find(staff, "zebra"))) == 5


def test_sessions_and_projects_are_found_by_their_text(staff):
    session = SessionFactory(
        title="Refactor parser", display_name="parsey", prompt="rewrite the tokenizer",
        issue_id="ISSUE-42", branch="feat/tokenizer-x",
    )  # fmt: skip
    project = ProjectFactory(title="Tokenizer revamp", intent="faster tokenizer for logs")
    assert ids(find(staff, "tokenizer"), "session") == {session.pk}
    assert ids(find(staff, "tokenizer"), "project") == {project.pk}
    assert ids(find(staff, "parsey"), "session") == {session.pk}
    session.title = "Something else"
    session.display_name = ""
    session.save()
    assert ids(find(staff, "parsey"), "session") == set()
    # A branch found by a substring of it (trigram-indexed on PostgreSQL).
    assert ids(find(staff, "tokenizer-x"), "session") == {session.pk}
    assert ids(find(staff, "feat/tok"), "session") == {session.pk}


# Each indexed field holding a made-up word no other field (or factory default) holds;
# the words of a path-like id or branch are found on PostgreSQL too (search_schema).
SESSION_FIELDS = [
    ("title", "Quibbleflux retry", "quibbleflux"),
    ("display_name", "zanthor", "zanthor"),
    ("prompt", "please untangle the grommeldash", "grommeldash"),
    ("issue_id", "WOBBLEQUIN-31", "wobblequin"),
    ("issue_id", "WOBBLEQUIN-31", "WOBBLEQUIN-31"),  # the id as typed
    ("issue_id", "acme/gribblewick#12", "gribblewick"),  # one token to PostgreSQL's parser
    ("branch", "fix/snorklewhip", "snorklewhip"),
    ("task_id", "md#plinthorax", "plinthorax"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "word"), SESSION_FIELDS)
def test_a_session_is_found_by_each_indexed_field_alone(staff, field, value, word):
    found = SessionFactory(**{field: value})
    SessionFactory()  # holds none of the words
    hits = find(staff, word)
    assert [(h.kind, h.obj.pk) for h in hits] == [("session", found.pk)]


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [("title", "Frabjulon", "frabjulon"), ("intent", "tame the vorpalix queue", "vorpalix")],
)
def test_a_project_is_found_by_its_title_alone_and_by_its_intent_alone(staff, field, value, word):
    found = ProjectFactory(**{field: value})
    ProjectFactory(intent="nothing to see")
    hits = find(staff, word)
    assert [(h.kind, h.obj.pk) for h in hits] == [("project", found.pk)]


def test_phrases_and_exclusions(staff):
    hit = MessageFactory(content="the build rolled back cleanly")
    MessageFactory(content="back then the build rolled on")
    excluded = MessageFactory(content="the build rolled back on staging")
    assert ids(find(staff, '"rolled back"')) == {str(hit.pk), str(excluded.pk)}
    assert ids(find(staff, '"rolled back" -staging')) == {str(hit.pk)}


def test_ranking_puts_the_denser_match_first(staff):
    weak = MessageFactory(content="kiwi " + "filler words here " * 40)
    strong = MessageFactory(content="kiwi kiwi kiwi")
    assert [str(h.obj.pk) for h in find(staff, "kiwi")] == [str(strong.pk), str(weak.pk)]


def test_filters_narrow_message_hits(staff):
    session = transcript_session(messages=2, subagent_messages=2)
    Message.objects.filter(conversation__extra_data__parent_session=session.pk).update(
        content="grep failed: no such file"
    )
    own = Message.objects.filter(conversation=session.conversation)
    own.update(content="grep worked")
    session.source = "claude-code"
    session.save()
    other = MessageFactory(content="grep elsewhere", created_at=BASE_TIME + dt.timedelta(days=9))
    assert len(ids(find(staff, "grep"))) == 5
    assert len(ids(find(staff, "grep", source="claude-code"))) == 4  # subagents' too
    assert len(ids(find(staff, "grep", has_errors=True))) == 2
    assert len(ids(find(staff, "grep", role="tool"))) == 2
    assert ids(find(staff, "grep", since=BASE_TIME + dt.timedelta(days=1))) == {str(other.pk)}
    assert str(other.pk) not in ids(find(staff, "grep", until=BASE_TIME + dt.timedelta(days=1)))
    # A subagent's message carries its parent session.
    tool_hits = find(staff, "grep", role="tool")
    assert {h.session.pk for h in tool_hits} == {session.pk}


def test_project_and_workspace_filters(staff):
    project = ProjectFactory()
    inside = MessageFactory(content="walrus", conversation=ConversationFactory(project=project))
    elsewhere = WorkspaceFactory()
    MessageFactory(content="walrus", conversation=ConversationFactory(workspace=elsewhere))
    assert ids(find(staff, "walrus", project_id=project.pk)) == {str(inside.pk)}
    assert len(ids(find(staff, "walrus", workspace_id=str(elsewhere.pk)))) == 1


def test_a_member_sees_only_their_workspaces():
    alice = UserFactory()
    mine = WorkspaceFactory()
    mine.members.add(alice)
    visible = MessageFactory(content="otter", conversation=ConversationFactory(workspace=mine))
    MessageFactory(content="otter")  # the default workspace: not alice's
    SessionFactory(title="otter session")
    assert {str(h.obj.pk) for h in find(alice, "otter")} == {str(visible.pk)}


def test_qualifiers_filter_the_session(staff):
    wanted = transcript_session(messages=2, subagent_messages=0)
    wanted.issue_id = "ISSUE-9"
    wanted.save()
    Message.objects.filter(conversation=wanted.conversation).update(content="heron")
    MessageFactory(content="heron")
    assert len(ids(find(staff, "heron issue:ISSUE-9"))) == 2
    assert ids(find(staff, "issue:ISSUE-9"), "session") == {wanted.pk}
    assert ids(find(staff, f"id:{wanted.pk[:6]}"), "session") >= {wanted.pk}


def test_pages_do_not_overlap(staff):
    for n in range(7):
        MessageFactory(content=f"lemur {n}")
    query = query_parse(text="lemur")
    first, more = search_hits(user=staff, query=query, filters=SearchFilters(), limit=4)
    second, more2 = search_hits(user=staff, query=query, filters=SearchFilters(), offset=4, limit=4)
    assert more and not more2
    assert len(first) == 4 and len(second) == 3
    assert not {h.obj.pk for h in first} & {h.obj.pk for h in second}


HOSTILE = [
    "NEAR(a b, 3)", "a OR b", "a AND NOT b", "col:value", "^start", "a*", "*",
    '"a" "b" NEAR', "back\\slash", "\\", "nul\x00byte", "ünïcödé", "日本語", "🙂",
    "'; DROP TABLE x; --", "a & b | !c", "a <-> b", "a:*", "{a b}", "-a b", "a-", "a--b",
    "e\u0301", "\u202e", "x" * 1000,
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_searched_as_words(staff, text):
    MessageFactory(content="a b start value slash 日本語 ünïcödé byte x")
    SessionFactory(title="a b")
    ProjectFactory(title="a b")
    try:
        query_parse(text=text)
    except ValueError:
        return  # refused with a reason (tested in test_search_query)
    hits = find(staff, text) if "\x00" not in text else find(staff, text.replace("\x00", " "))
    assert isinstance(hits, list)


def _rank_limit(monkeypatch, limit: int) -> None:
    """Every query ranks at most `limit` candidates."""
    monkeypatch.setattr("sessions_app.search_selectors.RANK_LIMIT", limit)
    monkeypatch.setattr("sessions_app.search_selectors.UNFILTERED_RANK_LIMIT", {})


def test_past_the_rank_limit_the_newest_matches_come_first(staff, monkeypatch):
    _rank_limit(monkeypatch, 2)
    conversation = ConversationFactory()
    made = [
        MessageFactory(
            conversation=conversation,
            content="yak " * (n + 1),
            created_at=BASE_TIME + dt.timedelta(minutes=n),
        )  # fmt: skip
        for n in range(4)
    ]
    assert [h.obj.pk for h in find(staff, "yak")] == [m.pk for m in reversed(made)]
    _rank_limit(monkeypatch, 10)
    assert [h.obj.pk for h in find(staff, "yak")][0] == made[-1].pk  # densest: the last


def test_an_unfiltered_query_may_have_a_lower_rank_limit_of_its_own(staff, monkeypatch):
    """PostgreSQL ranks at most 5,000 matches of an unfiltered query (each vector is read
    from the table); a filtered one ranks up to RANK_LIMIT, since reading newest first it
    would skip every match its filters leave out."""
    from django.db import connection

    monkeypatch.setattr("sessions_app.search_selectors.RANK_LIMIT", 10)
    monkeypatch.setitem(UNFILTERED_RANK_LIMIT, connection.vendor, 2)
    # Counted, whatever PostgreSQL's statistics (left by other tests) estimate.
    monkeypatch.setattr("sessions_app.search_postgresql.ESTIMATE_TRUSTED", 10**9)
    conversation = ConversationFactory()
    made = [  # written in time order, the densest first
        MessageFactory(
            conversation=conversation,
            content="yak " * (3 - n),
            created_at=BASE_TIME + dt.timedelta(minutes=n),
        )  # fmt: skip
        for n in range(3)
    ]
    newest_first = [m.pk for m in reversed(made)]
    assert [h.obj.pk for h in find(staff, "yak")] == newest_first
    since = BASE_TIME - dt.timedelta(days=1)
    assert [h.obj.pk for h in find(staff, "yak", since=since)] == newest_first[::-1]


def test_a_phrase_past_the_rank_limit_of_candidates_lists_its_matches_newest_first(
    staff, monkeypatch
):
    """PostgreSQL counts the rows holding every word against the limit (each is re-read
    to check the phrase), SQLite the matches; either way only the words side by side
    are hits."""
    _rank_limit(monkeypatch, 1)
    conversation = ConversationFactory()
    texts = ["red fox", "fox red", "red big fox", "the red fox ran"]
    made = [
        MessageFactory(
            conversation=conversation, content=text, created_at=BASE_TIME + dt.timedelta(minutes=n)
        )  # fmt: skip
        for n, text in enumerate(texts)
    ]
    assert [h.obj.pk for h in find(staff, '"red fox"')] == [made[3].pk, made[0].pk]


def test_the_search_leaves_the_planner_settings_as_it_found_them(staff):
    from django.db import connection

    MessageFactory(content="planner words")
    find(staff, "planner")
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            pytest.skip("a PostgreSQL planner setting")
        cursor.execute("SELECT current_setting('enable_seqscan')")
        assert cursor.fetchone()[0] == "on"


def test_postgresql_does_not_count_a_word_its_statistics_put_far_past_the_limit(staff, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    _rank_limit(monkeypatch, 2)
    conversation = ConversationFactory()
    made = [
        MessageFactory(
            conversation=conversation,
            content=f"yak number {n}",
            created_at=BASE_TIME + dt.timedelta(minutes=n),
        )  # fmt: skip
        for n in range(300)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_app_message")
    with CaptureQueriesContext(connection) as queries:
        hits = find(staff, "yak")
    # The count is the index scan's row count in an executed plan (EXPLAIN ANALYZE).
    assert not [q for q in queries.captured_queries if "ANALYZE" in q["sql"]]
    assert [h.obj.pk for h in hits][:3] == [m.pk for m in reversed(made)][:3]


@pytest.mark.parametrize("term", ["abc1", "feat/x-1"])  # an id prefix; a punctuated term
def test_text_matches_ored_with_other_conditions_are_searched_once(term):
    # The match as a subquery once named the outer table: the index was searched again for
    # every row (a 25 s list page at 200,000 sessions).
    from sessions_app.search_selectors import session_list_search

    SessionFactory(id="abc1-x", title="other")
    SessionFactory(id="zz", title="abc1", branch="feat/x-1")
    found = session_list_search(queryset=Session.objects.all(), term=term)
    assert {s.pk for s in found} == ({"abc1-x", "zz"} if term == "abc1" else {"zz"})
    if connection.vendor == "sqlite":
        assert "CORRELATED" not in found.explain()
