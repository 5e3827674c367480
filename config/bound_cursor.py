"""Statements whose parameters the database server binds, for the busiest statements.

Django's PostgreSQL cursor (psycopg's ClientCursor) writes every value into the SQL text
in Python, and the server then parses and plans each statement anew. Here the values
travel apart from the SQL, so a statement that runs again and again (the API's compiled
queries, the importers' batches) is prepared once per connection, after
settings.PG_PREPARE_THRESHOLD runs. Preparing is switched on only while these
statements run: Django's own statements leave psycopg's prepared-statement bookkeeping
alone, as Django intends (it turns preparing off).

A prepared statement outlives a schema change: after an ALTER that changes a column it
returns, PostgreSQL refuses it ("cached plan must not change result type"). Outside a
transaction the statement is then prepared afresh and run once more; inside one, the
error stands (the transaction is aborted anyway) and the rollback forgets every
prepared statement.

On SQLite these are Django's own cursor calls. Every statement is logged like any
other, so query counts stay truthful.
"""

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection as default_connection


def query_log(sql: str, started: float, *, connection=default_connection) -> None:
    """Record a statement that bypassed Django's cursor, so query counts stay truthful."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def bound_fetchall(
    sql: str, params: Sequence[Any], *, connection=default_connection
) -> list[tuple]:
    """All rows of one query (%s placeholders)."""

    def fetch(cursor):
        cursor.execute(sql, params)
        return cursor.fetchall()

    return _run(connection, sql, fetch)


def bound_executemany(
    sql: str, rows: Sequence[Sequence[Any]], *, connection=default_connection
) -> int:
    """One executemany of `sql` over `rows`; the row count the driver reports (-1: unknown)."""

    def execute(cursor):
        cursor.executemany(sql, rows)
        return cursor.rowcount

    return _run(connection, f"{len(rows)} times: {sql}", execute)


def _run(connection, logged_as: str, work):
    with connection.cursor() as cursor:  # connects (and health-checks) as Django does
        if connection.vendor != "postgresql":
            return work(cursor)
        import psycopg

        raw = connection.connection
        started = time.monotonic()
        # The setting is gone (issue 12): 5 unless a test overrides it. This module goes
        # once the importer and the journal no longer use it.
        raw.prepare_threshold = getattr(settings, "PG_PREPARE_THRESHOLD", 5)
        try:
            with connection.wrap_database_errors:
                try:
                    with psycopg.Cursor(raw) as bound:
                        return work(bound)
                except psycopg.errors.FeatureNotSupported as error:
                    if connection.in_atomic_block or "cached plan" not in str(error):
                        raise
                    raw.execute("DEALLOCATE ALL")  # psycopg forgets its prepared names too
                    with psycopg.Cursor(raw) as bound:
                        return work(bound)
        finally:
            raw.prepare_threshold = None
            query_log(logged_as, started, connection=connection)
