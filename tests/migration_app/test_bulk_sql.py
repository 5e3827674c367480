"""Many-row statements: same results on both databases, one logged query each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migration_app.services.bulk_sql import rows_execute, rows_fetch
from projects_app.models import Workspace

pytestmark = pytest.mark.django_db

TABLE = Workspace._meta.db_table


def test_rows_go_in_with_one_statement_and_conflicts_are_not_counted():
    workspace = Workspace.objects.create(slug="w1", name="W1")
    sql = (
        f'INSERT INTO "{TABLE}" (id, slug, name, created_at, updated_at) '
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    now = connection.ops.adapt_datetimefield_value(workspace.created_at)
    pk = Workspace._meta.pk
    rows = [
        [pk.get_db_prep_save(pk.get_default(), connection), f"bulk-{n}", f"Bulk {n}", now, now]
        for n in range(3)
    ]
    rows.append([pk.get_db_prep_save(workspace.pk, connection), "w1", "again", now, now])

    with CaptureQueriesContext(connection) as queries:
        inserted = rows_execute(sql, rows)

    assert inserted == 3  # the fourth row conflicts with an existing primary key
    assert len(queries) == 1
    assert set(
        Workspace.objects.filter(slug__startswith="bulk-").values_list("slug", flat=True)
    ) == {
        "bulk-0",
        "bulk-1",
        "bulk-2",
    }


def test_a_query_with_many_parameters_returns_its_rows():
    slugs = [f"s{n}" for n in range(600)]
    Workspace.objects.bulk_create(Workspace(slug=s, name=s) for s in slugs[:5])
    placeholders = ", ".join(["%s"] * len(slugs))

    with CaptureQueriesContext(connection) as queries:
        rows = rows_fetch(f'SELECT slug FROM "{TABLE}" WHERE slug IN ({placeholders})', slugs)

    assert sorted(slug for (slug,) in rows) == slugs[:5]
    assert len(queries) == 1
