"""sessions_app.transcripts: which conversations make a session's transcript, the order,
keyset pages and cursors."""

import pytest
from django.core.exceptions import ValidationError

from projects_app.models import Message
from sessions_app import transcripts
from sessions_app.transcripts import (
    transcript_conversations,
    transcript_entries,
    transcript_page,
)
from tests.factories import ConversationFactory, MessageFactory, SessionFactory, transcript_session

pytestmark = pytest.mark.django_db


def ordered_ids(session):
    conversations = transcript_conversations(session=session)
    rows = Message.objects.filter(conversation_id__in=conversations).order_by("created_at", "id")
    return list(rows.values_list("pk", flat=True))


def test_conversations_are_the_sessions_own_and_its_subagents():
    session = transcript_session()
    other = transcript_session()
    ConversationFactory(extra_data={"parent_session": "someone-else", "subagent": "x"})
    found = transcript_conversations(session=session)
    assert found[session.conversation_id] is None
    assert sorted(v for v in found.values() if v) == ["explorer"]
    assert len(found) == 2
    assert other.conversation_id not in found


def test_a_session_without_conversation_still_lists_its_subagents():
    session = SessionFactory()
    sub = ConversationFactory(extra_data={"parent_session": session.pk})
    MessageFactory(conversation=sub)
    assert transcript_conversations(session=session) == {sub.pk: str(sub.pk)}
    assert len(list(transcript_entries(session=session))) == 1


def test_entries_read_every_message_once_across_pages(monkeypatch):
    session = transcript_session(messages=9, subagent_messages=4)
    monkeypatch.setattr(transcripts, "ENTRIES_PAGE", 4)
    entries = list(transcript_entries(session=session))
    assert [e.message.pk for e in entries] == ordered_ids(session)
    assert len(entries) == 13


def test_page_then_cursor_continues_after_the_last_entry():
    session = transcript_session()
    first, cursor = transcript_page(session=session, limit=4)
    rest, end = transcript_page(session=session, cursor=cursor, limit=4)
    assert [e.message.pk for e in first + rest] == ordered_ids(session)
    assert (len(first), len(rest), end) == (4, 2, None)


def test_a_full_last_page_has_no_next_cursor():
    session = transcript_session(messages=2, subagent_messages=2)
    entries, cursor = transcript_page(session=session, limit=4)
    assert len(entries) == 4 and cursor is None


def test_entry_lifts_the_import_facts_out_of_extra_data():
    session = transcript_session()
    rows = [e.as_dict() for e in transcript_entries(session=session)]
    assistant = next(r for r in rows if r["role"] == "assistant")
    assert assistant["model"] == "claude-sonnet-4-5"
    assert assistant["usage"] == {"input": 1, "output": 1}
    tool = next(r for r in rows if r["role"] == "tool")
    assert tool["is_error"] is True and tool["subagent"] == "explorer"


@pytest.mark.parametrize("cursor", ["x", "!!", "bnVsbA", "WzEsMl0", "WyIyMDI2LTAxLTAxIiwiYSJd"])
def test_foreign_cursors_are_invalid(cursor):
    session = transcript_session()
    with pytest.raises(ValidationError) as raised:
        transcript_page(session=session, cursor=cursor)
    assert "cursor" in raised.value.message_dict


def test_the_source_records_are_not_read():
    session = transcript_session()
    entries = list(transcript_entries(session=session))
    assert all("extra_data" in e.message.get_deferred_fields() for e in entries)
