"""Statements for many rows at once, shared by the migration services.

On PostgreSQL the server binds their parameters (config/bound_cursor.py): a statement is
prepared once and many rows stream through the pipeline, instead of each row's SQL being
quoted in Python and parsed again by the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config.bound_cursor import bound_executemany, bound_fetchall


def rows_execute(sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """One executemany of `sql` (with %s placeholders) over `rows`; returns the row count
    the driver reports (-1: unknown)."""
    return bound_executemany(sql, rows)


def rows_fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """All rows of one query (a query with hundreds of parameters is, unbound, split and
    quoted in Python)."""
    return bound_fetchall(sql, params)
