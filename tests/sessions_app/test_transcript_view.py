"""sessions_app.transcript_view: the admin viewer's keyset pages of one conversation, tool
results folded beneath their calls, hidden records, nested subagents, the first-error jump,
and a number of queries per page that does not grow with the transcript."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects_app.models import Message
from sessions_app.transcript_view import transcript_view_page
from sessions_app.transcripts import transcript_cursor_encode
from tests.factories import BASE_TIME, ConversationFactory, MessageFactory, SessionFactory

pytestmark = pytest.mark.django_db


def at(second: float) -> dt.datetime:
    return BASE_TIME + dt.timedelta(seconds=second)


def cycles(conversation, count: int, *, start: float = 0, error_at: int | None = None):
    """`count` cycles of a prompt, an answer calling a tool, the tool's result and a hidden
    record (a system message with extra_data.record_type), one second apart."""
    for n in range(count):
        base = start + n * 10
        MessageFactory(conversation=conversation, role="user", content=f"prompt {n}",
                       created_at=at(base))  # fmt: skip
        MessageFactory(
            conversation=conversation, role="assistant", content=f"answer {n}",
            tool_calls=[{"id": f"c{start}-{n}", "name": "Bash", "input": {"command": "ls"}}],
            extra_data={"model": "claude-sonnet-4-5", "thinking": [f"think {n}"],
                        "usage": {"input": 10, "output": n}},
            created_at=at(base + 1),
        )  # fmt: skip
        MessageFactory(
            conversation=conversation, role="tool", content=f"result {n}",
            tool_call_id=f"c{start}-{n}", created_at=at(base + 2),
            extra_data={"is_error": True} if n == error_at else {},
        )  # fmt: skip
        MessageFactory(conversation=conversation, role="system", content="",
                       extra_data={"record_type": "progress"}, created_at=at(base + 3))  # fmt: skip


def session_with(count: int, *, error_at=None, subagents=()):
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, workspace=conversation.workspace)
    cycles(conversation, count, error_at=error_at)
    subs = []
    for name, start, sub_error in subagents:
        sub = ConversationFactory(
            workspace=conversation.workspace, created_at=at(start),
            extra_data={"parent_session": session.pk, "subagent": name},
        )  # fmt: skip
        cycles(sub, 2, start=start, error_at=sub_error)
        subs.append(sub)
    return session, subs


def contents(turns) -> list[str]:
    return [t.message.content for t in turns] + [r.content for t in turns for r in t.results]


def test_first_page_folds_results_beneath_calls_and_hides_unknown_records():
    session, _ = session_with(3)
    page = transcript_view_page(session=session, limit=50)
    assert [t.message.content for t in page.turns] == [
        "prompt 0", "answer 0", "prompt 1", "answer 1", "prompt 2", "answer 2",
    ]  # fmt: skip
    assert [[r.content for r in t.results] for t in page.turns][1::2] == [
        ["result 0"], ["result 1"], ["result 2"],
    ]  # fmt: skip
    answer = page.turns[1].message
    assert (answer.model, answer.usage, answer.thinking) == (
        "claude-sonnet-4-5", {"input": 10, "output": 0}, ["think 0"],
    )  # fmt: skip
    assert page.turns[1].calls[0]["name"] == "Bash"
    assert '"command": "ls"' in page.turns[1].calls[0]["body"]
    assert (page.older, page.newer) == (None, None)


def test_hidden_records_are_shown_when_asked():
    session, _ = session_with(2)
    page = transcript_view_page(session=session, show_hidden=True)
    hidden = [t.message for t in page.turns if t.message.record_type]
    assert [m.record_type for m in hidden] == ["progress", "progress"]
    assert len(page.turns) == 6


def test_newer_and_older_pages_cover_every_message_once():
    session, _ = session_with(7)
    seen, page, pages = [], transcript_view_page(session=session, limit=4), []
    while True:
        pages.append(page)
        seen += contents(page.turns)
        if page.newer is None:
            break
        page = transcript_view_page(session=session, after=page.newer, limit=4)
    visible = Message.objects.filter(conversation=session.conversation).exclude(role="system")
    # Each once, a result whose call ends a page too (beneath the call, not again on its
    # own at the top of the next page).
    assert sorted(seen) == sorted(visible.values_list("content", flat=True))
    assert len(pages) == 6 and pages[0].older is None and pages[-1].older is not None
    ends_with_a_call = [p for p in pages if p.newer and p.turns[-1].calls]
    assert ends_with_a_call and all(p.turns[-1].results for p in ends_with_a_call)
    # Back from the last page: the same pages in reverse.
    back = transcript_view_page(session=session, before=pages[-1].older, limit=4)
    assert [t.message.pk for t in back.turns] == [t.message.pk for t in pages[-2].turns]
    first = transcript_view_page(session=session, before=pages[1].older, limit=4)
    assert [t.message.pk for t in first.turns] == [t.message.pk for t in pages[0].turns]
    assert first.older is None


@pytest.mark.parametrize("show_hidden", [False, True])
def test_a_result_on_the_next_page_is_shown_once_beneath_its_call_on_this_one(show_hidden):
    session, _ = session_with(2)
    page = transcript_view_page(session=session, limit=2, show_hidden=show_hidden)
    assert [t.message.content for t in page.turns] == ["prompt 0", "answer 0"]
    assert [r.content for r in page.turns[1].results] == ["result 0"]
    after = transcript_view_page(session=session, after=page.newer, limit=2,
                                 show_hidden=show_hidden)  # fmt: skip
    # The result opens this page, but its call is on the page before: shown there only.
    assert "result 0" not in contents(after.turns)
    # The same page reached backwards (← Older from the page after it) leaves it out too.
    last = transcript_view_page(session=session, after=after.newer, limit=2,
                                show_hidden=show_hidden)  # fmt: skip
    back = transcript_view_page(session=session, before=last.older, limit=2,
                                show_hidden=show_hidden)  # fmt: skip
    assert [t.message.pk for t in back.turns] == [t.message.pk for t in after.turns]


def test_a_page_of_results_shown_before_says_so():
    session, _ = session_with(1)  # prompt 0, answer 0 (call), result 0
    page = transcript_view_page(session=session, limit=2)
    last = transcript_view_page(session=session, after=page.newer, limit=2)
    assert last.turns == [] and last.shown_before
    assert not page.shown_before and last.older is not None


def test_a_result_is_shown_on_its_own_when_its_call_is_not_before_it():
    """A result with no call, or ordered before its call (the same time, a smaller id),
    stands on its own where it is, and is not folded again beneath a later call."""
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, workspace=conversation.workspace)
    MessageFactory(conversation=conversation, role="user", content="prompt", created_at=at(0))
    MessageFactory(conversation=conversation, role="tool", content="orphan",
                   tool_call_id="gone", created_at=at(1))  # fmt: skip
    early, late = sorted([uuid.uuid4(), uuid.uuid4()])
    MessageFactory(id=early, conversation=conversation, role="tool", content="early result",
                   tool_call_id="c", created_at=at(2))  # fmt: skip
    MessageFactory(id=late, conversation=conversation, role="assistant", content="call",
                   tool_calls=[{"id": "c", "name": "Bash"}], created_at=at(2))  # fmt: skip
    first = transcript_view_page(session=session, limit=3)
    second = transcript_view_page(session=session, after=first.newer, limit=3)
    assert [t.message.content for t in first.turns] == ["prompt", "orphan", "early result"]
    assert [t.message.content for t in second.turns] == ["call"]
    assert second.turns[0].results == []
    # On one page, the result is folded beneath its call whatever their order.
    whole = transcript_view_page(session=session, limit=10)
    assert contents(whole.turns) == ["prompt", "orphan", "call", "early result"]


def far_result_session(*, before: int, between: int = 60, limit: int = 50):
    """A session whose one tool call (at `before` + 1) is answered `between` messages
    later, with prompts around them; the (page, call, result) are found paging forward."""
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, workspace=conversation.workspace)
    n = 0
    for n in range(before):
        MessageFactory(conversation=conversation, role="user", content=f"p{n}", created_at=at(n))
    MessageFactory(conversation=conversation, role="assistant", content="the call",
                   tool_calls=[{"id": "far", "name": "Bash"}], created_at=at(before))  # fmt: skip
    for n in range(before + 1, before + 1 + between):
        MessageFactory(conversation=conversation, role="user", content=f"p{n}", created_at=at(n))
    MessageFactory(conversation=conversation, role="tool", content="the far result",
                   tool_call_id="far", created_at=at(before + 1 + between))  # fmt: skip
    for n in range(before + 2 + between, before + 2 + between + limit):
        MessageFactory(conversation=conversation, role="user", content=f"p{n}", created_at=at(n))
    return session


def pages_of(session, *, limit: int = 50, **kwargs) -> list:
    pages = [transcript_view_page(session=session, limit=limit, **kwargs)]
    while pages[-1].newer:
        pages.append(transcript_view_page(session=session, after=pages[-1].newer, limit=limit,
                                          **kwargs))  # fmt: skip
    return pages


@pytest.mark.parametrize("show_hidden", [False, True])
def test_a_result_more_than_a_page_after_its_call_is_shown_once_beneath_it(show_hidden):
    session = far_result_session(before=45)  # call at 45, result at 106: pages 1 and 3
    pages = pages_of(session, show_hidden=show_hidden)
    where = [(i, t.message.content, [r.content for r in t.results])
             for i, p in enumerate(pages) for t in p.turns
             if t.message.content in ("the call", "the far result") or t.results]  # fmt: skip
    assert where == [(0, "the call", ["the far result"])]
    assert sum(contents(p.turns).count("the far result") for p in pages) == 1
    # Its page reached backwards (← Older from the page after it) leaves it out too.
    holding = next(p for p in pages if p.older and any(
        m.content == "p105" for m in (t.message for t in p.turns)))  # fmt: skip
    after = pages[pages.index(holding) + 1]
    back = transcript_view_page(session=session, before=after.older, limit=50,
                                show_hidden=show_hidden)  # fmt: skip
    assert [t.message.pk for t in back.turns] == [t.message.pk for t in holding.turns]


def test_a_far_results_page_looks_back_in_two_queries_whatever_the_distance():
    """The page opening with a result whose call is not on the page before: its call is
    looked for among the page before's messages, then before them, once each."""

    def count(before):
        session = far_result_session(before=before, limit=10)
        mine = Message.objects.filter(conversation=session.conversation)
        result = mine.get(content="the far result")
        opening = mine.filter(created_at__lt=result.created_at).latest("created_at")
        cursor = transcript_cursor_encode(created_at=opening.created_at, pk=opening.pk)
        with CaptureQueriesContext(connection) as queries:
            page = transcript_view_page(session=session, after=cursor, limit=10)
        assert page.turns and page.turns[0].message.content != "the far result"
        assert "the far result" not in contents(page.turns)
        return len(queries)

    small, large = count(5), count(400)
    # The conversations, the page (no call on it: no results query), the page before's
    # calls, and the calls before those.
    assert small == large == 4


def test_subagents_are_nested_under_the_turn_they_follow_on_one_page_only():
    session, (early, late) = session_with(6, subagents=[("early", -5, None), ("late", 31.5, None)])
    pages = [transcript_view_page(session=session, limit=4)]
    while pages[-1].newer:
        pages.append(transcript_view_page(session=session, after=pages[-1].newer, limit=4))
    assert [n.name for n in pages[0].leading] == ["early"]
    nested = [(i, t.message.content, n.name) for i, p in enumerate(pages) for t in p.turns
              for n in t.subagents]  # fmt: skip
    assert nested == [(2, "answer 3", "late")]  # answer 3 at 31 s, the subagent at 31.5 s
    late_nested = next(t for t in pages[2].turns if t.subagents).subagents[0]
    assert contents(late_nested.turns)[:2] == ["prompt 0", "answer 0"]
    assert late_nested.more is False


def test_a_subagent_starting_next_to_a_result_shown_before_is_nested_once():
    # Page 2 opens with result 0 (2 s), shown on page 1; the subagent starts at 2.5 s.
    session, _ = session_with(2, subagents=[("mid", 2.5, None)])
    first = transcript_view_page(session=session, limit=2)
    second = transcript_view_page(session=session, after=first.newer, limit=2)
    assert contents(first.turns) == ["prompt 0", "answer 0", "result 0"]
    nested = [n.name for p in (first, second) for n in p.leading + [
        n for t in p.turns for n in t.subagents]]  # fmt: skip
    assert nested == ["mid"] and [n.name for n in second.leading] == ["mid"]


def test_a_subagent_conversation_is_paged_on_its_own():
    session, (sub,) = session_with(2, subagents=[("explorer", 4.5, None)])
    page = transcript_view_page(session=session, conversation_id=str(sub.pk))
    assert page.subagent == "explorer" and page.leading == []
    assert [t.message.content for t in page.turns][:2] == ["prompt 0", "answer 0"]


def test_jump_to_the_first_error_of_the_whole_transcript():
    session, _ = session_with(8, error_at=5)
    page = transcript_view_page(session=session, first_error=True, limit=4)
    error = Message.objects.get(conversation=session.conversation, content="result 5")
    assert page.error_id == error.pk
    # A few messages before it: its call is on the page, the error folded beneath it. The
    # page starts at result 4, shown beneath its call on the page before, not here.
    assert [t.message.content for t in page.turns][:2] == ["prompt 5", "answer 5"]
    assert [r.pk for r in page.turns[1].results] == [error.pk]
    assert "result 4" not in contents(page.turns)
    assert page.older is not None


def test_jump_goes_to_the_subagent_whose_error_comes_first():
    session, (sub,) = session_with(8, error_at=6, subagents=[("worker", 20.5, 1)])
    page = transcript_view_page(session=session, first_error=True)
    assert page.subagent == "worker" and page.conversation.pk == sub.pk
    assert page.error_id == Message.objects.get(conversation=sub, content="result 1").pk


def test_jump_without_any_error_says_so():
    session, _ = session_with(2)
    page = transcript_view_page(session=session, first_error=True)
    assert page.no_error and page.turns == []


def test_another_sessions_conversation_or_a_made_up_cursor_is_refused():
    session, _ = session_with(1)
    other, _ = session_with(1)
    with pytest.raises(ValidationError):
        transcript_view_page(session=session, conversation_id=str(other.conversation_id))
    with pytest.raises(ValidationError):
        transcript_view_page(session=session, after="not-a-cursor")


# middle: the page after one of that many messages; after 11 it opens with a result
# whose call is on the page before (looked up in one query more).
@pytest.mark.parametrize(
    "params, most",
    [({}, 5), ({"show_hidden": True}, 5), ({"first_error": True}, 5), ({"middle": 10}, 5),
     ({"middle": 11}, 6)],
)  # fmt: skip
def test_queries_per_page_do_not_grow_with_the_transcript(params, most):
    def count(cycles_count):
        session, _ = session_with(
            cycles_count, error_at=cycles_count - 2, subagents=[("a", 12.5, None)]
        )
        kwargs = dict(params)
        if first := kwargs.pop("middle", 0):
            kwargs["after"] = transcript_view_page(session=session, limit=first).newer
        with CaptureQueriesContext(connection) as queries:
            page = transcript_view_page(session=session, limit=10, **kwargs)
        assert page.turns
        return len(queries)

    small, large = count(5), count(120)
    assert small == large
    assert large <= most
