"""projects_app/bulk.py: the raw batch writes, on both databases."""

import datetime as dt
import uuid

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from projects_app import bulk
from projects_app.bulk import rows_insert
from projects_app.models import Message
from sessions_app.search_query import query_parse
from sessions_app.search_selectors import SearchFilters, search_hits
from tests.factories import ConversationFactory, MessageFactory, StaffFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "conversation", "role", "content", "tool_call_id", "extra_data", "created_at")
COLUMNS += ("tokens_used",)


def message_rows(conversation, words):
    key = (lambda u: u) if connection.features.has_native_uuid_field else (lambda u: u.hex)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return [
        (key(uuid.uuid4()), key(conversation.pk), "user", word, "", "{}", now, 0) for word in words
    ]


@pytest.fixture
def small_statements(monkeypatch):
    monkeypatch.setattr(bulk, "_SQLITE_ROWS_PER_STATEMENT", 3)


def test_ignore_conflicts_counts_only_the_new_rows_across_statements(small_statements):
    rows = message_rows(ConversationFactory(), [f"word{n}" for n in range(10)])
    assert rows_insert(Message, COLUMNS, rows[:4]) == 4
    assert rows_insert(Message, COLUMNS, rows, ignore_conflicts=True) == 6
    assert Message.objects.count() == 10


def test_ignore_conflicts_leaves_the_stored_rows_as_they_are():
    conversation = ConversationFactory()
    first = message_rows(conversation, ["stored"])
    rows_insert(Message, COLUMNS, first)
    again = [(*first[0][:3], "changed", *first[0][4:]), *message_rows(conversation, ["new"])]
    assert rows_insert(Message, COLUMNS, again, ignore_conflicts=True) == 1
    assert sorted(Message.objects.values_list("content", flat=True)) == ["new", "stored"]


def test_update_on_sets_the_named_fields_of_the_stored_rows_and_inserts_the_rest():
    conversation = ConversationFactory()
    first = message_rows(conversation, ["stored"])
    rows_insert(Message, COLUMNS, first)
    again = [(*first[0][:3], "changed", "call-9", *first[0][5:])]
    again += message_rows(conversation, ["new"])
    rows_insert(Message, COLUMNS, again, update_on="id", update=["content"])
    stored = dict(Message.objects.values_list("content", "tool_call_id"))
    assert stored == {"changed": "", "new": ""}  # tool_call_id was not named: kept


def test_instances_rows_are_what_the_orm_would_store():
    conversation = ConversationFactory()
    built = Message(conversation=conversation, role="user", content="é", extra_data={"a": 1})
    rows_insert(Message, [f.attname for f in Message._meta.concrete_fields],
                bulk.instances_rows(Message, [built]))  # fmt: skip
    stored = Message.objects.get(pk=built.pk)
    assert (stored.conversation_id, stored.content, stored.extra_data) == (
        conversation.pk, "é", {"a": 1},
    )  # fmt: skip


def test_values_insert_fills_in_the_defaults_the_orm_would():
    conversation = ConversationFactory()
    when = dt.datetime(2026, 3, 1, 12, 30, 15, 250, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    pk = uuid.uuid4()
    row = {"id": pk, "conversation_id": conversation.pk, "role": "user", "created_at": when}
    bulk.values_insert(Message, [row])
    stored = Message.objects.get(pk=pk)
    assert (stored.content, stored.extra_data, stored.tool_calls, stored.tokens_used) == (
        "", {}, None, 0,
    )  # fmt: skip
    assert stored.created_at == when  # the same instant, whatever zone it was given in


@pytest.mark.parametrize("hours", [0, 2, -7])
def test_the_datetime_preparer_writes_what_django_writes(hours):
    zone = dt.timezone(dt.timedelta(hours=hours))
    for when in [dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=zone),
                 dt.datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=zone), None]:  # fmt: skip
        assert bulk.datetime_preparer()(when) == connection.ops.adapt_datetimefield_value(when)


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_outside_a_transaction_does_not_block_the_next():
    # PostgreSQL stages such a batch in a temporary table, which outlives a failure in
    # autocommit mode (here the INSERT from it: a role that must not be NULL).
    conversation = ConversationFactory()
    row = message_rows(conversation, ["x"])[0]
    bad = [(*row[:2], None, *row[3:])]
    with pytest.raises(DatabaseError):
        rows_insert(Message, COLUMNS, bad, ignore_conflicts=True)
    assert (
        rows_insert(Message, COLUMNS, message_rows(conversation, ["ok"]), ignore_conflicts=True)
        == 1
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statements")
def test_sqlite_writes_many_rows_a_statement_never_one_by_one(small_statements):
    inserts = []
    raw = connection.cursor().connection  # the sqlite3 connection under Django's
    raw.set_trace_callback(lambda sql: inserts.append(sql) if sql.startswith("INSERT") else 0)
    try:
        rows_insert(Message, COLUMNS, message_rows(ConversationFactory(), ["a"] * 7))
    finally:
        raw.set_trace_callback(None)
    # The trace repeats a statement for each trigger it runs: count the rows each carries.
    rows_per_statement = {
        sql.count("), (") + 1 for sql in inserts if "projects_app_message" in sql[:40]
    }
    assert rows_per_statement == {3, 1}  # 3 + 3 + 1: FTS5 flushes once a statement


def test_rows_written_in_one_statement_are_each_in_the_search_index(small_statements):
    rows_insert(Message, COLUMNS, message_rows(ConversationFactory(), ["okapi"] * 5 + ["zebu"]))
    for word, expected in (("okapi", 5), ("zebu", 1)):
        hits, _ = search_hits(
            user=StaffFactory(), query=query_parse(text=word), filters=SearchFilters()
        )
        assert len(hits) == expected


def test_rows_count_in_counts_the_stored_keys_among_those_given():
    stored = [MessageFactory() for _ in range(3)]
    absent = uuid.uuid4()
    keys = [m._meta.pk.get_db_prep_value(m.pk, connection) for m in stored[:2]]
    keys.append(Message._meta.pk.get_db_prep_value(absent, connection))
    assert bulk.rows_count_in(Message, keys) == 2
    assert bulk.rows_count_in(Message, keys[2:]) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ignores within")
def test_rows_count_in_within_counts_only_the_keys_whose_rows_hold_one_of_the_values():
    here, there = MessageFactory(), MessageFactory()

    def key(obj):
        return obj._meta.pk.get_db_prep_value(obj.pk, connection)

    keys = [key(here), key(there)]
    assert bulk.rows_count_in(Message, keys, within=("conversation", [key(here.conversation)])) == 1
    both = [key(here.conversation), key(there.conversation)]
    assert bulk.rows_count_in(Message, keys, within=("conversation", both)) == 2
    assert bulk.rows_count_in(Message, keys, within=("conversation", [])) == 0
