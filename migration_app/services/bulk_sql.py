"""Statements for many rows at once, shared by the migration services."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.db import connection


def query_log(sql: str, started: float) -> None:
    """Record a statement that bypassed Django's cursor, so query counts stay truthful."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def rows_execute(sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """One executemany of `sql` (with %s placeholders) over `rows`; returns the row count
    the driver reports (-1: unknown).

    On PostgreSQL the parameters are bound by the server: Django's default cursor composes
    every row's SQL text in Python, and the server then parses and plans each one; bound,
    the statement is prepared once and the rows stream through the pipeline.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, rows)
            return cursor.rowcount
        import psycopg

        started = time.monotonic()
        with psycopg.Cursor(connection.connection) as bound:
            bound.executemany(sql, rows)
            count = bound.rowcount
        query_log(f"{len(rows)} times: {sql}", started)
        return count


def rows_fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """All rows of one query; parameters bound by the server on PostgreSQL, as above (a
    query with hundreds of parameters is otherwise split and quoted in Python)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        import psycopg

        started = time.monotonic()
        with psycopg.Cursor(connection.connection) as bound:
            rows = bound.execute(sql, params).fetchall()
        query_log(sql, started)
        return rows
