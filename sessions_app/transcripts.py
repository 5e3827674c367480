"""Reading a session's transcript: its conversation and its subagents' conversations.

A session's transcript is the messages of its own conversation and of every conversation
whose `extra_data.parent_session` names it (a subagent's transcript, imported by
import_transcripts), in one order: (created_at, id). Pages are keysets on that pair,
never offsets, behind an opaque cursor.
"""

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT, KeyTransform

from projects_app.models import Conversation, Message
from sessions_app.models import Session

ENTRIES_PAGE = 500  # rows per query of transcript_entries
INVALID_CURSOR = "Not a cursor of this transcript: pass `next_cursor` as it was given."
KEY_OPERATORS = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a transcript (with `model`, `usage` and `is_error` read out of its
    `extra_data`, see transcript_messages) and the subagent whose conversation holds it."""

    message: Message
    subagent: str | None

    def as_dict(self) -> dict:
        names = ("id", "conversation_id", "role", "content", "tool_calls", "tool_call_id",
                 "model", "usage", "tokens_used", "created_at")  # fmt: skip
        row = {name: getattr(self.message, name) for name in names}
        return row | {"subagent": self.subagent, "is_error": bool(self.message.is_error)}


def transcript_conversation_condition(*, session: Session) -> Q:
    """The session's own conversation and its subagents' (`extra_data.parent_session`)."""
    condition = Q(extra_data__parent_session=session.pk)
    if session.conversation_id is not None:
        condition |= Q(pk=session.conversation_id)
    return condition


def transcript_conversations(*, session: Session) -> dict:
    """{conversation id: subagent name, or None for the session's own conversation}."""
    condition = transcript_conversation_condition(session=session)
    rows = Conversation.objects.filter(condition).values_list("pk", "extra_data")
    return {
        pk: None if pk == session.conversation_id else str((extra or {}).get("subagent") or pk)
        for pk, extra in rows
    }


def transcript_messages(*, conversations: dict) -> QuerySet[Message]:
    """The messages of `conversations` (see transcript_conversations), oldest first, with
    `model`, `usage` and `is_error` taken from `extra_data` in the query: `extra_data`
    itself (every source record of an imported message) is not read."""
    messages = Message.objects.filter(conversation_id__in=list(conversations))
    return (
        messages.annotate(
            model=KT("extra_data__model"),
            usage=KeyTransform("usage", "extra_data"),
            is_error=KeyTransform("is_error", "extra_data"),
        )
        .defer("extra_data")
        .order_by("created_at", "id")
    )


def transcript_entries(*, session: Session):
    """Every message of the session's transcript in order (TranscriptEntry), read in
    keyset pages so memory stays bounded."""
    conversations = transcript_conversations(session=session)
    after = None
    while True:
        entries, after = _page(conversations, after, ENTRIES_PAGE)
        yield from entries
        if after is None:
            return


def transcript_page(*, session: Session, cursor: str | None = None, limit: int = 50):
    """One page: (entries, the cursor of the next page or None after the last one).

    A cursor that is not one this function made is a ValidationError (400 `invalid`).
    """
    after = transcript_cursor_decode(cursor=cursor) if cursor else None
    entries, last = _page(transcript_conversations(session=session), after, limit)
    return entries, (transcript_cursor_encode(created_at=last[0], pk=last[1]) if last else None)


def transcript_key_condition(*, op: str, key) -> RawSQL:
    """`(created_at, id) <op> key` on Message, the keyset of every transcript page (the
    API's and the admin viewer's), as one row comparison: both databases read it as a
    range of the (conversation, created_at, id) index (an OR of the two columns is not,
    and PostgreSQL then sorts the rest of the conversation)."""
    if op not in KEY_OPERATORS:
        raise ValueError(f"not a keyset operator: {op!r}")
    table = connection.ops.quote_name(Message._meta.db_table)
    created_at, pk = key
    params = (
        Message._meta.get_field("created_at").get_db_prep_value(created_at, connection),
        Message._meta.pk.get_db_prep_value(pk, connection),
    )
    sql = f'({table}."created_at", {table}."id") {op} (%s, %s)'
    return RawSQL(sql, params, output_field=BooleanField())


def transcript_cursor_encode(*, created_at: dt.datetime, pk: uuid.UUID) -> str:
    """The opaque cursor of the key (created_at, pk): base64 of a JSON pair."""
    key = json.dumps([created_at.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def transcript_cursor_decode(*, cursor: str):
    """The key (created_at in UTC, pk) of a cursor; one this module did not make is a
    ValidationError, never a database error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        created_at = dt.datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (a
        # DataError: a 500 on the admin page); a time out of range in UTC overflows here.
        return created_at.astimezone(dt.UTC), uuid.UUID(pk)
    except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError):
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from None


def _page(conversations: dict, after, limit: int):
    """Up to `limit` entries after the key `after`, and the last one's key when more follow."""
    messages = transcript_messages(conversations=conversations)
    if after is not None:
        messages = messages.filter(transcript_key_condition(op=">", key=after))
    rows = list(messages[: limit + 1])
    entries = [TranscriptEntry(m, conversations[m.conversation_id]) for m in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return entries, ((last.created_at, last.pk) if last else None)
