"""What a large import sets or runs on the database around its writes (the writes
themselves: bulk.py)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models


@contextmanager
def sqlite_page_cache(*, mib: int) -> Iterator[None]:
    """SQLite: this connection's page cache at `mib` while a large import runs, then back
    to what it was (2 MiB by default): an import inserts keys all over large indexes (uuid
    primary keys, usage keys). First transcript import of 512 MiB, A/B of two rounds
    (2026-12-07): 76.4 s with 2 MiB, 67.7 s with 64 MiB (16 MiB: 70.4 s). Not for every
    connection: the ao import gained nothing (3.12 / 3.34 s) and its RSS went 92 -> 162 MB."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-int(mib) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def tables_analyze(models_written: Sequence[type[models.Model]]) -> None:
    """Refresh PostgreSQL's statistics of these tables after a large write (SQLite: nothing).

    Until autovacuum gets to a table, its planner keeps the statistics of before the write:
    right after a first TokenDance import (5,000 sessions × 20 messages), counting 1,000
    message ids by primary key was a sequential scan of 11.9 ms, 1.9 ms after ANALYZE, and
    the re-run, a hundred such counts, took 2.38x its floor (2026-12-07, PostgreSQL 15)."""
    if connection.vendor != "postgresql" or not models_written:
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_written)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
