"""Server-bound statements: the same results on both databases, prepared on PostgreSQL,
logged and error-translated like Django's own, and safe across a schema change."""

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from config.bound_cursor import bound_executemany, bound_fetchall
from projects_app.models import Workspace
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def names_by_slug(slug: str) -> list[tuple]:
    """The statement these tests run again and again."""
    return bound_fetchall(f'SELECT "name" FROM "{TABLE}" WHERE "slug" = %s', [slug])


postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_each_statement_is_logged_as_one_query():
    with CaptureQueriesContext(connection) as captured:
        assert bound_fetchall("SELECT 1", []) == [(1,)]
        assert bound_executemany(
            "UPDATE projects_app_workspace SET name = name WHERE slug = %s", [["a"], ["b"]]
        ) in (-1, 0)
    assert len(captured) == 2


def test_database_errors_arrive_as_djangos():
    with pytest.raises(DatabaseError):
        bound_fetchall("SELECT * FROM no_such_table", [])


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
        inserted = bound_executemany(sql, rows)

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
        rows = bound_fetchall(f'SELECT slug FROM "{TABLE}" WHERE slug IN ({placeholders})', slugs)

    assert sorted(slug for (slug,) in rows) == slugs[:5]
    assert len(queries) == 1


@postgresql_only
def test_statements_are_prepared_after_five_runs():
    WorkspaceFactory(slug="prepared", name="Prepared")
    for run in range(1, 9):
        assert names_by_slug("prepared") == [("Prepared",)]
        prepared = any('"slug" = $1' in sql for sql in prepared_statements())
        assert prepared == (run > 5), run


@postgresql_only
def test_djangos_own_statements_are_never_prepared():
    WorkspaceFactory(slug="orm", name="ORM")
    for _ in range(8):
        assert Workspace.objects.filter(slug="orm").values_list("name", flat=True)[0] == "ORM"
        names_by_slug("orm")
    assert connection.connection.prepare_threshold is None  # between bound statements
    assert not any("'orm'" in sql for sql in prepared_statements())


@postgresql_only
def test_no_threshold_prepares_nothing(settings):
    settings.PG_PREPARE_THRESHOLD = None
    WorkspaceFactory(slug="never", name="Never")
    for _ in range(8):
        names_by_slug("never")
    assert not any('"slug" = $1' in sql for sql in prepared_statements())


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_survives_a_change_of_the_column_it_returns():
    WorkspaceFactory(slug="altered", name="Before")
    for _ in range(7):
        names_by_slug("altered")
    assert any('"slug" = $1' in sql for sql in prepared_statements())
    table = Workspace._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "name" TYPE varchar(300)')
    try:
        # PostgreSQL refuses the old plan ("cached plan must not change result type");
        # outside a transaction the statement is prepared afresh and run again.
        assert names_by_slug("altered") == [("Before",)]
        assert names_by_slug("altered") == [("Before",)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "name" TYPE varchar(200)')
