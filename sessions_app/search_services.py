"""Repair of the search index (write side). Triggers keep the index current; this is for
when they were lost, e.g. SQLite re-creating a table for a schema change drops its
triggers, and a restored dump may lack the index."""

from django.db import connection, transaction

from sessions_app.search_schema import INDEXES, schema_create_sql, schema_drop_sql


def search_index_missing() -> list[str]:
    """The index triggers absent from the database (empty: all present)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            wanted = [f"{fts}_{t}" for _, fts, _, _ in INDEXES.values() for t in ("ai", "ad", "au")]
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            wanted = [f"{fts}_tr" for _, fts, _, _ in INDEXES.values()]
        else:
            return []
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in wanted if name not in present]


def search_index_rebuild(*, dry_run: bool = False) -> dict[str, int]:
    """Drop and re-create the index, its triggers and its contents from the rows, in one
    transaction; returns {kind: rows indexed}. `dry_run`: the same work, rolled back."""
    counts: dict[str, int] = {}
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        for statement in schema_drop_sql(vendor=connection.vendor):
            cursor.execute(statement)
        for statement in schema_create_sql(vendor=connection.vendor):
            cursor.execute(statement)
        for kind, (table, fts, _, _) in INDEXES.items():
            if connection.vendor == "sqlite":
                cursor.execute(f"SELECT count(*) FROM {fts}_docsize")
            else:
                cursor.execute(f"SELECT count(*) FROM {table} WHERE search_vector IS NOT NULL")
            counts[kind] = cursor.fetchone()[0]
        transaction.set_rollback(dry_run)
    return counts
