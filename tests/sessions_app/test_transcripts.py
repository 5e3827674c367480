"""sessions_app.transcripts: which conversations make a session's transcript, the order,
keyset pages and cursors, and the keyset condition the API and the admin viewer share."""

import base64
import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from projects_app.models import Message
from sessions_app import transcripts
from sessions_app.transcripts import (
    transcript_conversations,
    transcript_cursor_decode,
    transcript_entries,
    transcript_key_condition,
    transcript_page,
)
from tests.factories import (
    BASE_TIME,
    ConversationFactory,
    MessageFactory,
    SessionFactory,
    transcript_session,
)

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


def tied_session():
    """A session whose own and subagent conversations hold 13 messages at only 3 times."""
    session = transcript_session(messages=0, subagent_messages=0)
    sub = ConversationFactory(extra_data={"parent_session": session.pk, "subagent": "x"})
    for n in range(13):
        MessageFactory(conversation=(sub if n % 3 == 0 else session.conversation),
                       created_at=BASE_TIME + dt.timedelta(seconds=n // 5))  # fmt: skip
    return session


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 13])
def test_pages_cover_messages_sharing_a_time_exactly_once(limit):
    session = tied_session()
    seen, cursor = [], None
    while True:
        entries, cursor = transcript_page(session=session, cursor=cursor, limit=limit)
        seen += [e.message.pk for e in entries]
        if cursor is None:
            break
    assert seen == ordered_ids(session)
    assert len(set(seen)) == 13


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_the_keyset_condition_is_the_order_of_created_at_then_id(op):
    session = tied_session()
    rows = Message.objects.filter(conversation_id__in=transcript_conversations(session=session))
    keys = sorted(rows.values_list("created_at", "id"))
    compare = {"<": tuple.__lt__, "<=": tuple.__le__, ">": tuple.__gt__, ">=": tuple.__ge__}[op]
    for key in keys[3:9]:  # around the ties of the second time
        found = rows.filter(transcript_key_condition(op=op, key=key))
        assert sorted(found.values_list("created_at", "id")) == [k for k in keys if compare(k, key)]
    with pytest.raises(ValueError):
        transcript_key_condition(op="= 1 OR 1 =", key=keys[0])


def test_a_cursor_of_the_format_made_before_still_continues():
    """The cursor is base64 (unpadded, URL-safe) of the JSON pair [created_at, id]."""
    session = tied_session()
    first, cursor = transcript_page(session=session, limit=4)
    last = first[-1].message
    made = json.dumps([last.created_at.isoformat(), str(last.pk)]).encode()
    assert cursor == base64.urlsafe_b64encode(made).decode().rstrip("=")
    rest, _ = transcript_page(session=session, cursor=cursor, limit=50)
    assert [e.message.pk for e in first + rest] == ordered_ids(session)


def cursor_of(stamp: str, pk: str = "00000000-0000-4000-8000-000000000000") -> str:
    return base64.urlsafe_b64encode(json.dumps([stamp, pk]).encode()).decode().rstrip("=")


def test_a_cursor_with_any_offset_is_read_in_utc():
    key = transcript_cursor_decode(cursor=cursor_of("2026-01-01T23:30:00+23:59"))
    assert key[0] == dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC) - dt.timedelta(minutes=29)
    assert key[0].tzinfo is dt.UTC


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_cursor_outside_the_datetime_range_in_utc_is_invalid(stamp):
    with pytest.raises(ValidationError) as raised:
        transcript_cursor_decode(cursor=cursor_of(stamp))
    assert "cursor" in raised.value.message_dict
