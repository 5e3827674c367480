"""PostgreSQL's trigram indexes serve the substring search and nothing else: a look-up of
ids by `=` / `IN` goes to the primary key (a GIN index over the bare column answered it
too, and the planner took it after bulk loads, each look-up scanning its pending list)."""

import pytest
from django.db import connection

from sessions_app.models import Session
from tests.factories import SessionFactory

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
