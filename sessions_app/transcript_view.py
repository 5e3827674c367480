"""The admin's transcript viewer: one conversation of a session, a keyset page at a time.

A page is a range of (created_at, id) in ONE conversation (the session's own, or one of
its subagents'), so the (conversation, created_at, id) index serves it whatever the size:
never an OFFSET (the keyset is transcript_key_condition, shared with the API). Tool results
are folded beneath the call that asked for them (looked up by tool_call_id, index
message_conv_toolcall_idx) however far after it, and each is shown once: a result whose
call is on an earlier page is left out of its own page. The subagents that start within
the page are nested with their first messages, and records of unknown types (system
messages with `extra_data.record_type`) are left out unless asked for. A page costs the
same number of queries whatever the transcript's length
(tests/sessions_app/test_transcript_view.py).
"""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, F, OuterRef, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import RowNumber

from projects_app.models import Conversation, Message
from sessions_app.models import Session
from sessions_app.transcripts import (
    transcript_conversation_condition,
    transcript_cursor_decode,
    transcript_cursor_encode,
    transcript_key_condition,
    transcript_messages,
)

PAGE = 50
NESTED = 20  # messages of a subagent shown nested in its parent's page
JUMP_BEFORE = 3  # messages shown before the first error (its call, the prompt)
# The partial index of migration projects_app 0008 holds exactly the rows matching this
# predicate; the query must spell it the same, as a literal, for SQLite and PostgreSQL to
# use the index (a bound parameter would not match the index's WHERE).
ERROR_PREDICATE = {
    "sqlite": "json_extract(extra_data, '$.is_error') = 1",
    "postgresql": "(extra_data -> 'is_error') = 'true'::jsonb",
}
# A message whose tool_calls list holds a call with one of the given ids. No lookup of
# Django's reads inside a JSON list on both databases: per database, tested in the
# database so that only the matching rows come back.
CALLS_PREDICATE = {
    "sqlite": (
        "EXISTS (SELECT 1 FROM json_each({col}) AS c WHERE json_type({col}) = 'array'"
        " AND c.type = 'object' AND json_extract(c.value, '$.id') IN ({marks}))"
    ),
    "postgresql": "{col} @> ANY(%s::jsonb[])",
}


@dataclass
class Turn:
    """One shown message, with the tool results folded beneath its calls."""

    message: Message
    results: list[Message] = field(default_factory=list)
    subagents: list["Nested"] = field(default_factory=list)  # nested after this turn

    @property
    def calls(self) -> list[dict]:
        """The message's tool calls: id, name, and the rest (its input) as JSON."""
        calls = self.message.tool_calls if isinstance(self.message.tool_calls, list) else []
        shown = []
        for call in calls:
            call = call if isinstance(call, dict) else {"input": call}
            rest = {k: v for k, v in call.items() if k not in ("id", "name")}
            body = json.dumps(rest, indent=2, ensure_ascii=False, default=str)
            shown.append({"id": call.get("id", ""), "name": call.get("name", "?"), "body": body})
        return shown


@dataclass
class Nested:
    conversation: Conversation
    name: str
    turns: list[Turn]
    more: bool


@dataclass
class ViewPage:
    conversation: Conversation | None
    subagent: str | None  # the name when the page is a subagent's conversation
    turns: list[Turn]
    older: str | None  # cursor: the page before this one ends before it
    newer: str | None
    show_hidden: bool
    leading: list[Nested] = field(default_factory=list)  # subagents before the first turn
    error_id: object = None  # the first error's message id, after a jump to it
    no_error: bool = False  # a jump was asked for and the transcript has no error
    shown_before: bool = False  # no turns: the page holds only results of earlier calls


def _calls_filter(call_ids: list[str]):
    column = ".".join(connection.ops.quote_name(n) for n in (Message._meta.db_table, "tool_calls"))
    marks = ", ".join(["%s"] * len(call_ids))  # SQLite's; PostgreSQL takes one array
    sql = CALLS_PREDICATE[connection.vendor].format(col=column, marks=marks)
    if connection.vendor == "postgresql":
        call_ids = ([json.dumps([{"id": call}]) for call in call_ids],)
    return RawSQL(sql, call_ids, output_field=BooleanField())


def transcript_view_messages(*, conversation_ids: list, show_hidden: bool):
    """transcript_messages plus what the viewer shows: thinking and the record type."""
    messages = transcript_messages(conversations=conversation_ids).annotate(
        thinking=KeyTransform("thinking", "extra_data"),
        record_type=KT("extra_data__record_type"),
    )
    if show_hidden:
        return messages
    # Written with the role, whose statistics PostgreSQL has: on a JSON key alone it
    # guesses that almost no row passes, and sorts the conversation instead of reading
    # its index in order.
    return messages.exclude(role=Message.Role.SYSTEM, record_type__isnull=False)


def transcript_first_error(*, conversation_ids: list):
    """(conversation id, created_at, id) of the first message marked is_error, or None.

    One query: each conversation's first error, as a subquery correlated on its id, read
    in order from the partial index message_error_idx (with an IN list instead, SQLite
    without statistics prefers the foreign key's index and reads every row)."""
    errors = (
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .filter(RawSQL(ERROR_PREDICATE[connection.vendor], (), output_field=BooleanField()))
        .order_by("created_at", "id")
    )
    rows = (
        Conversation.objects.filter(pk__in=conversation_ids)
        .annotate(
            error_at=Subquery(errors.values("created_at")[:1]),
            error_id=Subquery(errors.values("id")[:1]),
        )
        .filter(error_id__isnull=False)
        .values_list("pk", "error_at", "error_id")
    )
    return min(rows, key=lambda row: (row[1], str(row[2])), default=None)


def transcript_view_page(
    *,
    session: Session,
    conversation_id=None,
    after: str | None = None,
    before: str | None = None,
    first_error: bool = False,
    show_hidden: bool = False,
    limit: int = PAGE,
) -> ViewPage:
    """One page of one conversation of the session: the first page, the page after the
    cursor `after`, the one before `before`, or the page holding the first error of the
    whole transcript (`first_error`: its conversation, from a few messages before it).

    A conversation that is not the session's, or a cursor this module did not make, is a
    ValidationError.
    """
    condition = transcript_conversation_condition(session=session)
    rows = list(
        Conversation.objects.filter(condition).only("pk", "title", "extra_data", "created_at")
    )
    error = None
    if first_error:
        error = transcript_first_error(conversation_ids=[c.pk for c in rows])
        if error is None:
            return ViewPage(None, None, [], None, None, show_hidden, no_error=True)
        conversation_id = error[0]
    wanted = str(conversation_id or session.conversation_id)
    conversation = next((c for c in rows if str(c.pk) == wanted), None)
    if conversation is None:
        if conversation_id:
            raise ValidationError({"conversation": ["Not a conversation of this session."]})
        return ViewPage(None, None, [], None, None, show_hidden)
    messages = transcript_view_messages(conversation_ids=[conversation.pk], show_hidden=show_hidden)
    earlier = None  # the call ids of the page before, when already read
    if error is not None:
        # Start a few messages before the error, so its call and prompt are on the page;
        # the same read goes on over the page before, for the calls its results answer.
        back = _keys_before(messages, error[1:], inclusive=True, count=JUMP_BEFORE + 1 + limit)
        start, rest = back[: JUMP_BEFORE + 1], back[JUMP_BEFORE + 1 :]
        key = start[-1][:2] if start else error[1:]
        older = _key_cursor(*key) if rest else None
        earlier = _calls_of(rest)
        page, newer, next_at = _forward(messages, key, True, limit)
    elif before:
        key = transcript_cursor_decode(cursor=before)
        page = list(_before(messages, key, inclusive=False)[: limit + 1])
        last = page[limit - 1] if len(page) > limit else None
        older = _key_cursor(last.created_at, last.pk) if last else None
        page, newer, next_at = page[:limit][::-1], before, key[0]
    else:
        key = transcript_cursor_decode(cursor=after) if after else None
        page, newer, next_at = _forward(messages, key, False, limit)
        older = _key_cursor(page[0].created_at, page[0].pk) if page and key else None
    if older is None:
        earlier = set()  # nothing before the page
    turns = _turns(page, conversation, messages, earlier=earlier, first=older is None,
                   limit=limit)  # fmt: skip
    leading: list[Nested] = []
    if conversation.pk == session.conversation_id and page:
        leading = _subagents_place(
            turns, rows, session, start=page[0].created_at, first=older is None, next_at=next_at
        )
    subagent = None if conversation.pk == session.conversation_id else _name(conversation)
    error_id = error[2] if error else None
    return ViewPage(
        conversation, subagent, turns, older, newer, show_hidden, leading, error_id,
        shown_before=bool(page) and not turns,
    )  # fmt: skip


def _key_cursor(created_at, pk) -> str:
    return transcript_cursor_encode(created_at=created_at, pk=pk)


def _forward(messages, key, inclusive: bool, limit: int):
    """Up to `limit` messages from `key` on; the next page's cursor and first time."""
    if key is not None:
        messages = messages.filter(transcript_key_condition(op=">=" if inclusive else ">", key=key))
    page = list(messages[: limit + 1])
    if len(page) > limit:
        last = page[limit - 1]
        return page[:limit], _key_cursor(last.created_at, last.pk), page[limit].created_at
    return page, None, None


def _before(messages, key, *, inclusive: bool):
    messages = messages.filter(transcript_key_condition(op="<=" if inclusive else "<", key=key))
    return messages.order_by("-created_at", "-id")


def _keys_before(messages, key, *, inclusive: bool, count: int) -> list[tuple]:
    """(created_at, id, tool_calls) of up to `count` messages before `key`, the nearest
    first: their keys and calls only, not their texts."""
    rows = _before(messages, key, inclusive=inclusive)
    return list(rows.values_list("created_at", "id", "tool_calls")[:count])


def _calls_of(keys: list[tuple]) -> set[str]:
    """The call ids of _keys_before's rows."""
    return {call for _, _, calls in keys for call in _call_ids(calls)}


def _calls_before(messages, key, call_ids: set[str]) -> set[str]:
    """Which of `call_ids` a message before `key` calls, however far back: one query over
    the conversation's index range up to `key`, each row's calls tested in the database,
    so only the calling rows are read."""
    wanted = sorted(call_ids)
    rows = _before(messages, key, inclusive=False).filter(_calls_filter(wanted))
    return {
        c for calls in rows.values_list("tool_calls", flat=True) for c in _call_ids(calls)
    } & call_ids


def _name(conversation: Conversation) -> str:
    return str((conversation.extra_data or {}).get("subagent") or conversation.pk)


def _call_ids(tool_calls) -> list[str]:
    calls = tool_calls if isinstance(tool_calls, list) else []
    return [str(c.get("id")) for c in calls if isinstance(c, dict) and c.get("id")]


def _fold(page: list[Message], results: dict, answered: set = frozenset()) -> list[Turn]:
    """Turns: each tool result beneath the call that asked for it (`results`: call id →
    its results); a result whose call is not on the page stays a turn of its own, unless
    its call is `answered` (on the page before, which shows it beneath that call)."""
    turns = []
    for message in page:
        if message.role == Message.Role.TOOL and (
            message.tool_call_id in results or message.tool_call_id in answered
        ):
            continue
        turn = Turn(message)
        for call in _call_ids(message.tool_calls):
            turn.results.extend(results.get(call, []))
        turns.append(turn)
    return turns


def _turns(page: list[Message], conversation, messages, *, earlier, first: bool,
           limit: int) -> list[Turn]:  # fmt: skip
    """The page's turns, with the results of its calls (one query) that are on the page or
    after it, however far; those before it were shown on their own on an earlier page. A
    result on the page whose call is before the page is shown beneath that call, on the
    call's page, and not here: looked for among the page before's `limit` messages
    (`earlier`, or one query more when not read yet), then, for a result not answered
    there, over the whole conversation before the page (one query more)."""
    calls = [call for m in page for call in _call_ids(m.tool_calls)]
    results: dict[str, list[Message]] = {}
    start = (page[0].created_at, page[0].pk) if page else None
    if calls:
        found = transcript_view_messages(conversation_ids=[conversation.pk], show_hidden=True)
        # Unordered, so the (conversation, tool_call_id) index serves it (an ORDER BY would
        # lead SQLite to the created_at index and a scan of the conversation).
        found = found.filter(tool_call_id__in=calls).order_by()
        for result in sorted(found, key=lambda m: (m.created_at, m.pk)):
            if (result.created_at, result.pk) >= start:
                results.setdefault(result.tool_call_id, []).append(result)
    alone = {
        m.tool_call_id
        for m in page
        if m.role == Message.Role.TOOL and m.tool_call_id and m.tool_call_id not in results
    }
    if alone and earlier is None:
        rows = _keys_before(messages, start, inclusive=False, count=limit)
        earlier = _calls_of(rows)
    answered = alone & (earlier or set())
    if alone - answered and not first:
        answered |= _calls_before(messages, start, alone - answered)
    return _fold(page, results, answered)


def _subagents_place(turns, conversations, session, *, start, first: bool, next_at) -> list[Nested]:
    """Nest the subagents that start within this page under the turn they follow; those
    that start before the first turn are returned (shown on top of the page). A page owns
    the times from its first message (`start`, shown or not) to the next page's first."""
    starting = [
        c
        for c in conversations
        if c.pk != session.conversation_id
        and (first or c.created_at >= start)
        and (next_at is None or c.created_at < next_at)
    ]
    leading = []
    for nested in _nested(starting):
        at = nested.conversation.created_at
        anchor = next((t for t in reversed(turns) if t.message.created_at <= at), None)
        (anchor.subagents if anchor else leading).append(nested)
    return leading


def _nested(conversations: list[Conversation]) -> list[Nested]:
    """The first NESTED messages of each subagent conversation, in one query."""
    if not conversations:
        return []
    ids = [c.pk for c in conversations]
    order = [F("created_at").asc(), F("id").asc()]
    ranked = transcript_view_messages(conversation_ids=ids, show_hidden=False).annotate(
        rank=Window(RowNumber(), partition_by=F("conversation_id"), order_by=order)
    )
    by_conversation: dict = {pk: [] for pk in ids}
    for message in ranked.filter(rank__lte=NESTED + 1):
        by_conversation[message.conversation_id].append(message)
    nested = []
    for conversation in sorted(conversations, key=lambda c: (c.created_at, str(c.pk))):
        rows = by_conversation[conversation.pk]
        shown = rows[:NESTED]
        calls = {call for m in shown for call in _call_ids(m.tool_calls)}
        results: dict[str, list[Message]] = {}
        for m in shown:
            if m.role == Message.Role.TOOL and m.tool_call_id in calls:
                results.setdefault(m.tool_call_id, []).append(m)
        turns = _fold(shown, results)
        nested.append(Nested(conversation, _name(conversation), turns, len(rows) > NESTED))
    return nested
