"""A cursor whose parameters the database server binds, for the busiest statements.

Django's PostgreSQL cursor (psycopg's ClientCursor) writes every value into the SQL text
in Python, and the server then parses and plans each statement anew. A server-bound
cursor sends the values apart from the SQL, so a statement that runs again and again
(the API's compiled queries, the importer's batches) is prepared once per connection:
settings.py sets psycopg's `prepare_threshold` (Django turns preparing off unless asked).
On SQLite this is Django's own cursor. Statements run through it are logged like any
other, so query counts stay truthful.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection


def query_log(sql: str, started: float, *, connection=default_connection) -> None:
    """Record a statement that bypassed Django's cursor, so query counts stay truthful."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


@contextmanager
def server_bound_cursor(*, logged_as: str, connection=default_connection) -> Iterator[Any]:
    """On PostgreSQL a psycopg cursor on Django's connection, with Django's error
    translation; elsewhere Django's cursor. `logged_as` is what the query log records."""
    with connection.cursor() as cursor:  # connects (and health-checks) as Django does
        if connection.vendor != "postgresql":
            yield cursor
            return
        import psycopg

        started = time.monotonic()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as bound:
            yield bound
        query_log(logged_as, started, connection=connection)
