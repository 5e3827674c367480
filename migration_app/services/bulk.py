"""The one module that writes raw SQL, for batch writes where the ORM measurably costs too much.

Everything else writes through the ORM (`bulk_create`, `bulk_update`, `update`). A
function belongs here only with a figure measured against the ORM in the same run:

- `rows_insert`, 20,000 journal items in batches of 500 (2026-12-04, this 2-core machine,
  `bench/journal_items.py`): SQLite `bulk_create` 1.97-2.26 s, one executemany per batch
  0.33 s; PostgreSQL `bulk_create` 1.45-2.12 s, Django's executemany 1.46-1.60 s (its
  client-side cursor makes a round trip per row), COPY 0.48-0.61 s. `bulk_create` splits
  a batch at SQLite's 999 parameters and builds a model instance per row.

Rows are given as database values (what `Field.get_db_prep_save` returns), in the order
of `columns`. Statements that bypass Django's cursor are written to its query log, so
query counts in tests stay truthful.
"""

import time
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def _log(sql: str, started: float) -> None:
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def _server_cursor():
    """A psycopg cursor that sends values apart from the SQL: its executemany is pipelined
    (one round trip per batch instead of per row)."""
    import psycopg

    return psycopg.Cursor(connection.connection)


def rows_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> int:
    """Insert a batch in one statement; returns the rows inserted as the driver reports
    them (-1: unknown). `ignore_conflicts`: rows whose key exists already are left out
    (ON CONFLICT DO NOTHING), the idempotency of re-runs."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}){conflict}"
    with connection.cursor() as cursor:  # connects (and health-checks) as Django does
        if connection.vendor != "postgresql":
            cursor.executemany(insert, rows)
            return cursor.rowcount
        started = time.monotonic()
        with connection.wrap_database_errors, _server_cursor() as server:
            if ignore_conflicts:
                server.executemany(insert, rows)
                inserted, sql = server.rowcount, insert
            else:
                sql = f"COPY {table} ({names}) FROM STDIN"
                with server.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                inserted = len(rows)
        _log(f"{len(rows)} times: {sql}", started)
        return inserted
