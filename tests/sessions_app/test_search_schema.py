"""PostgreSQL's trigram indexes serve the substring search and nothing else: a look-up of
ids by `=` / `IN` goes to the primary key (a GIN index over the bare column answered it
too, and the planner took it after bulk loads, each look-up scanning its pending list)."""

import pytest
from django.core.management import call_command
from django.db import connection

from sessions_app.models import Session
from sessions_app.search_schema import INDEXES
from tests.factories import MessageFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's indexes (SQLite has no trigram index)")


def plan_of(queryset, *disabled: str) -> str:
    """The plan PostgreSQL picks with the given scan kinds off (tiny tables would be read
    whole otherwise, which says nothing about the indexes)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for kind in disabled:
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_id_substring_search_uses_its_trigram_index(postgresql):
    SessionFactory.create_batch(3)
    plan = plan_of(Session.objects.filter(id__icontains="ab-12").values("pk"), "seqscan")
    assert "sessions_app_session_id_trgm" in plan


@pytest.mark.parametrize("disabled", [(), ("seqscan",), ("seqscan", "indexscan")])
def test_an_id_look_up_never_goes_to_a_trigram_index(postgresql, disabled):
    # Bulk-loaded and never analysed, as the importers leave the table.
    ids = [s.pk for s in Session.objects.bulk_create(SessionFactory.build_batch(2_000))]
    plan = plan_of(Session.objects.filter(id__in=ids[:500]).order_by().values("pk"), *disabled)
    assert "_trgm" not in plan


def vector_storage() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, attstorage FROM pg_attribute JOIN pg_class ON oid = attrelid "
            "WHERE attname = 'search_vector' AND NOT attisdropped AND relkind = 'r'"
        )
        return dict(cursor.fetchall())


def test_the_search_vectors_stay_in_their_rows_after_migrate_and_rebuild(postgresql):
    # 'm' (main): a phrase check reads the row, not the TOAST table (search_schema).
    expected = {table: "m" for table, *_ in INDEXES.values()}
    assert vector_storage() == expected
    call_command("search_index_rebuild")
    assert vector_storage() == expected


def test_a_large_message_vector_is_not_moved_out_of_its_row(postgresql):
    # 400 different words: a vector of about 5 KB, over the 2 KB past which PostgreSQL
    # moves a row's largest values to its TOAST table. The text may go there; the vector
    # must not, so what the TOAST table holds is no larger than the text.
    content = " ".join(f"w{n:04d}x" for n in range(400))
    message = MessageFactory(content=content)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(search_vector) FROM projects_app_message WHERE id = %s",
            [message.pk],
        )
        (vector_size,) = cursor.fetchone()
        cursor.execute(
            "SELECT reltoastrelid::regclass FROM pg_class WHERE relname = 'projects_app_message'"
        )
        (toast,) = cursor.fetchone()
        cursor.execute(f"SELECT coalesce(sum(octet_length(chunk_data)), 0) FROM {toast}")
        (toasted,) = cursor.fetchone()
    assert vector_size > 4000
    assert toasted <= len(content)
