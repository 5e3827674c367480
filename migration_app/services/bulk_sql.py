"""Statements for many rows at once, shared by the migration services.

On PostgreSQL they run on a server-bound cursor (config/bound_cursor.py): a statement is
prepared once and many rows stream through the pipeline, instead of each row's SQL being
quoted in Python and parsed again by the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config.bound_cursor import server_bound_cursor


def rows_execute(sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """One executemany of `sql` (with %s placeholders) over `rows`; returns the row count
    the driver reports (-1: unknown)."""
    with server_bound_cursor(logged_as=f"{len(rows)} times: {sql}") as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount


def rows_fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """All rows of one query (a query with hundreds of parameters is, unbound, split and
    quoted in Python)."""
    with server_bound_cursor(logged_as=sql) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
