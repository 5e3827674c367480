"""Reading a session's transcript: its conversation and its subagents' conversations.

A session's transcript is the messages of its own conversation and of every conversation
whose `extra_data.parent_session` names it (a subagent's transcript, imported by
import_transcripts), in one order: (created_at, id). Pages are keysets on that pair,
never offsets, behind an opaque cursor.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KT, KeyTransform

from projects_app.models import Conversation, Message
from sessions_app.models import Session

ENTRIES_PAGE = 500  # rows per query of transcript_entries
INVALID_CURSOR = "Not a cursor of this transcript: pass `next_cursor` as it was given."


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a transcript (with `model`, `usage` and `is_error` read out of its
    `extra_data`, see transcript_messages) and the subagent whose conversation holds it."""

    message: Message
    subagent: str | None

    def as_dict(self) -> dict:
        m = self.message
        return {
            "id": m.pk,
            "conversation_id": m.conversation_id,
            "subagent": self.subagent,
            "role": m.role,
            "content": m.content,
            "tool_calls": m.tool_calls,
            "tool_call_id": m.tool_call_id,
            "model": m.model,
            "usage": m.usage,
            "tokens_used": m.tokens_used,
            "is_error": bool(m.is_error),
            "created_at": m.created_at,
        }


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
    after = _cursor_decode(cursor) if cursor else None
    entries, last = _page(transcript_conversations(session=session), after, limit)
    return entries, (_cursor_encode(*last) if last else None)


def _page(conversations: dict, after, limit: int):
    """Up to `limit` entries after the key `after`, and the last one's key when more follow."""
    messages = transcript_messages(conversations=conversations)
    if after is not None:
        created_at, pk = after
        messages = messages.filter(
            Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=pk)
        )
    rows = list(messages[: limit + 1])
    entries = [TranscriptEntry(m, conversations[m.conversation_id]) for m in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return entries, ((last.created_at, last.pk) if last else None)


def _cursor_encode(created_at: dt.datetime, pk: uuid.UUID) -> str:
    key = json.dumps([created_at.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def _cursor_decode(cursor: str):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        created_at = dt.datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at, uuid.UUID(pk)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
