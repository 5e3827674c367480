"""What the arawn, minsky and TokenDance importers and import_transcripts share: batch
sizes, chunked lookups, a run's counts and journal, the plain-values message writer, and
the rule that keeps a file's order where its timestamps tie."""

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from migration_app.legacy.transcript_rows import StoredJSON
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import ItemRecord, migration_items_record
from projects_app.bulk import IN_CHUNK, datetime_preparer, rows_insert, rows_update
from projects_app.models import Conversation, Message

Outcome = MigrationItem.Outcome
DEFAULT_BATCH_SIZE = 500
# A copy is written beside its destination under this suffix, then renamed into place.
TEMP_SUFFIX = ".sessionhub-partial"


def batched(values: Iterable, size: int) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def rows_in(queryset, field: str, values: list, *columns: str) -> list:
    """`columns` of the rows whose `field` is among `values`, asked IN_CHUNK at a time."""
    return [
        row
        for chunk in batched(values, IN_CHUNK)
        for row in queryset.filter(**{f"{field}__in": chunk}).order_by().values_list(*columns)
    ]


def pks_present(model, pks: Iterable) -> set:
    """Which of `pks` are rows of `model` (asked IN_CHUNK at a time)."""
    return {pk for (pk,) in rows_in(model.objects, "pk", list(pks), "pk")}


@dataclass
class RunState:
    """What every import run carries from batch to batch: its run, its clock, its counts."""

    run: MigrationRun
    now: dt.datetime
    counts: dict[str, int] = field(default_factory=dict, kw_only=True)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def record(self, items: list[ItemRecord]) -> None:
        if items:
            migration_items_record(run=self.run, items=items, created_at=self.now)


# --- messages ----------------------------------------------------------------------------


class NewMessage(NamedTuple):
    """A Message to insert, as plain values (no model instance: thousands per batch add up)."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    role: str
    content: str
    tool_calls: Any
    tool_call_id: str
    extra_data: dict
    created_at: dt.datetime
    tokens_used: int = 0


# The hub reads a conversation by (created_at, id) and ids are random-looking, so messages
# of one file sharing a timestamp need distinct created_at values to keep the file's order.
MICROSECOND = dt.timedelta(microseconds=1)


class Tie(NamedTuple):
    """Where a file's last message stands among tied ones: it was given tie_timestamp +
    tie_count µs. Kept with the file's offset so that a later read goes on after it."""

    tie_timestamp: dt.datetime | None = None
    tie_count: int = 0

    @property
    def last(self) -> dt.datetime | None:
        """The created_at given to the message this tie ends on."""
        base = self.tie_timestamp
        return None if base is None else base + self.tie_count * MICROSECOND


Tied = TypeVar("Tied", bound=tuple)  # a NamedTuple with tie_timestamp and tie_count


def tie_broken(at: dt.datetime, position: Tied) -> tuple[dt.datetime, Tied]:
    """The created_at of a message with timestamp `at` after the one `position` ends on,
    and the position after it. A timestamp equal to the tied run's (or among the µs added
    to it) goes 1 µs after the message before; any other keeps its value (one going back
    too). `position`: a Tie, or any NamedTuple with its two fields (arawn's LogPosition)."""
    base, count = position.tie_timestamp, position.tie_count
    if base is not None and base <= at <= base + count * MICROSECOND:
        count += 1
        return base + count * MICROSECOND, position._replace(tie_count=count)
    return at, position._replace(tie_timestamp=at, tie_count=0)


def messages_write(new: list[NewMessage]) -> None:
    """The messages through bulk.rows_insert (COPY on PostgreSQL), IN_CHUNK rows a call.

    `Message.objects.bulk_create` builds a model instance and compiles every value of every
    row (2026-12-04, this 2-core machine shared, load 5-6): the arawn bench's first import
    took 5.17 s (3.07x its floor) with rows_insert against 6.33 s (5.24x) with bulk_create,
    and the TokenDance bench's 4.53x its floor against 6.55x."""
    if not new:
        return
    ops = connection.ops  # looked up once, not per value
    native_uuid = connection.features.has_native_uuid_field
    encoder = Message._meta.get_field("extra_data").encoder
    datetime_value = datetime_preparer()

    def key(value: uuid.UUID):
        return value if native_uuid else value.hex

    def json_value(value):  # a StoredJSON is encoded already (by a transcript's reader)
        return value if isinstance(value, StoredJSON) else ops.adapt_json_value(value, encoder)

    rows = [
        (
            key(m.id), key(m.conversation_id), m.role, m.content,
            None if m.tool_calls is None else json_value(m.tool_calls),
            m.tool_call_id, json_value(m.extra_data),
            datetime_value(m.created_at), m.tokens_used,
        )
        for m in new
    ]  # fmt: skip
    for chunk in batched(rows, IN_CHUNK):
        rows_insert(Message, NewMessage._fields, chunk)


def conversation_counters_update(new: list[NewMessage]) -> None:
    """message_count and last_message_at of the conversations that received messages: one
    read and one `UPDATE … FROM (VALUES …)` (bulk.rows_update) per batch, however many
    conversations it touches (one UPDATE each cost 2.5 of 11 s at 50,000 arawn lines)."""
    per: dict[uuid.UUID, list] = {}
    for m in new:
        count_last = per.setdefault(m.conversation_id, [0, m.created_at])
        count_last[0] += 1
        count_last[1] = max(count_last[1], m.created_at)
    if not per:
        return
    current = rows_in(
        Conversation.objects, "pk", list(per), "pk", "message_count", "last_message_at"
    )
    rows = []
    for conv_id, count, last in current:
        added, newest = per[conv_id]
        rows.append((conv_id, count + added, max(newest, last) if last else newest))
    columns = ("message_count", "last_message_at")
    for chunk in batched(rows, IN_CHUNK):
        rows_update(Conversation, key="id", columns=columns, rows=chunk)


def conversations_recount(conversation_ids: Iterable) -> None:
    """message_count and last_message_at recomputed from the messages (one UPDATE per
    IN_CHUNK conversations): after messages were written or removed."""
    messages = Message.objects.filter(conversation=OuterRef("pk")).order_by().values("conversation")
    for chunk in batched(conversation_ids, IN_CHUNK):
        Conversation.objects.filter(pk__in=chunk).update(
            message_count=Coalesce(Subquery(messages.annotate(n=Count("id")).values("n")), 0),
            last_message_at=Subquery(messages.annotate(at=Max("created_at")).values("at")),
        )


def messages_delete(items: list[MigrationItem]) -> int:
    """Remove the messages whose ids the items keep in `after.ids` and recount their
    conversations; returns how many rows were removed."""
    ids = [mid for item in items for mid in (item.after or {}).get("ids", [])]
    touched, deleted = set(), 0
    for chunk in batched(ids, IN_CHUNK):
        rows = Message.objects.filter(pk__in=chunk)
        touched |= set(rows.values_list("conversation_id", flat=True).distinct())
        deleted += rows.delete()[0]
    conversations_recount(sorted(touched, key=str))
    return deleted
