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
    the re-run, a hundred such counts, took 2.38x its floor (2026-12-07, PostgreSQL 15).

    Only the tables with at least a tenth of their rows changed since their last ANALYZE (or
    never analysed), autovacuum's own rule: a run from cron that adds a few messages to a large
    hub skips it. 64 KiB appended to each of 100 files of a 256 MiB transcript tree
    (2026-12-08, one round each): the re-run 3.53 s analysing every table, 2.46 s now."""
    if connection.vendor != "postgresql" or not models_written:
        return
    names = [m._meta.db_table for m in models_written]
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # the session's committed ones
        # Changes counted: those flushed to the statistics, and this transaction's own.
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "JOIN pg_stat_xact_user_tables x ON x.relid = c.oid WHERE c.relname = ANY(%s) "
            "AND (c.reltuples < 0 OR s.n_mod_since_analyze + x.n_tup_ins + x.n_tup_upd "
            "+ x.n_tup_del >= %s * c.reltuples)",
            [names, STALE_FRACTION],
        )
        stale = [connection.ops.quote_name(name) for (name,) in cursor.fetchall()]
        if stale:
            cursor.execute(f"ANALYZE {', '.join(sorted(stale))}")


STALE_FRACTION = 0.1  # autovacuum_analyze_scale_factor's default
