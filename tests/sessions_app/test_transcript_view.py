"""sessions_app.transcript_view: the admin viewer's keyset pages of one conversation, tool
results folded beneath their calls, hidden records, nested subagents, the first-error jump,
and a number of queries per page that does not grow with the transcript."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects_app.models import Message
from sessions_app.transcript_view import transcript_view_page
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
    assert set(seen) == set(visible.values_list("content", flat=True))
    # Only a result whose call ends a page shows twice: beneath the call, and on its own
    # at the top of the next page.
    twice = {c for c in seen if seen.count(c) > 1}
    assert twice and all(c.startswith("result ") for c in twice)
    assert all(seen.count(c) == 2 for c in twice)
    assert len(pages) == 6 and pages[0].older is None and pages[-1].older is not None
    # Back from the last page: the same pages in reverse.
    back = transcript_view_page(session=session, before=pages[-1].older, limit=4)
    assert [t.message.pk for t in back.turns] == [t.message.pk for t in pages[-2].turns]
    first = transcript_view_page(session=session, before=pages[1].older, limit=4)
    assert [t.message.pk for t in first.turns] == [t.message.pk for t in pages[0].turns]
    assert first.older is None


def test_a_result_on_the_next_page_is_folded_beneath_its_call_on_this_one():
    session, _ = session_with(2)
    page = transcript_view_page(session=session, limit=2)  # prompt 0, answer 0 (call)
    assert [r.content for r in page.turns[1].results] == ["result 0"]
    after = transcript_view_page(session=session, after=page.newer, limit=2)
    # The result, whose call is on the page before, stands on its own there.
    assert after.turns[0].message.content == "result 0"


def test_subagents_are_nested_under_the_turn_they_follow_on_one_page_only():
    session, (early, late) = session_with(6, subagents=[("early", -5, None), ("late", 31.5, None)])
    pages = [transcript_view_page(session=session, limit=4)]
    while pages[-1].newer:
        pages.append(transcript_view_page(session=session, after=pages[-1].newer, limit=4))
    assert [n.name for n in pages[0].leading] == ["early"]
    nested = [(i, t.message.content, n.name) for i, p in enumerate(pages) for t in p.turns
              for n in t.subagents]  # fmt: skip
    assert nested == [(2, "answer 3", "late")]  # answer 3 at 31 s, the subagent at 31.5 s
    late_nested = pages[2].turns[2].subagents[0]
    assert contents(late_nested.turns)[:2] == ["prompt 0", "answer 0"]
    assert late_nested.more is False


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
    # A few messages before it: its call is on the page, the error folded beneath it.
    assert [t.message.content for t in page.turns][:3] == ["result 4", "prompt 5", "answer 5"]
    assert [r.pk for r in page.turns[2].results] == [error.pk]
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


@pytest.mark.parametrize(
    "params", [{}, {"show_hidden": True}, {"first_error": True}, {"middle": True}]
)
def test_queries_per_page_do_not_grow_with_the_transcript(params):
    def count(cycles_count):
        session, _ = session_with(
            cycles_count, error_at=cycles_count - 2, subagents=[("a", 12.5, None)]
        )
        kwargs = dict(params)
        if kwargs.pop("middle", False):
            kwargs["after"] = transcript_view_page(session=session, limit=10).newer
        with CaptureQueriesContext(connection) as queries:
            page = transcript_view_page(session=session, limit=10, **kwargs)
        assert page.turns
        return len(queries)

    small, large = count(5), count(120)
    assert small == large
    assert large <= 5
