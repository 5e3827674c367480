"""Statements for many rows at once, shared by the migration services."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection


def query_log(sql: str, started: float) -> None:
    """Record a statement that bypassed Django's cursor, so query counts stay truthful."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


@contextmanager
def _cursor(logged_as: str) -> Iterator[Any]:
    """Django's cursor; on PostgreSQL a cursor whose parameters the server binds. Django's
    default PostgreSQL cursor composes every statement's SQL text in Python (quoting each
    value), and the server then parses and plans each one; bound, a statement is prepared
    once and many rows stream through the pipeline. Logged like any query."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            yield cursor
            return
        import psycopg

        started = time.monotonic()
        with psycopg.Cursor(connection.connection) as bound:
            yield bound
        query_log(logged_as, started)


def rows_execute(sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """One executemany of `sql` (with %s placeholders) over `rows`; returns the row count
    the driver reports (-1: unknown)."""
    with _cursor(f"{len(rows)} times: {sql}") as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount


def rows_fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """All rows of one query (a query with hundreds of parameters is, unbound, split and
    quoted in Python)."""
    with _cursor(sql) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
