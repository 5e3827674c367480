"""The full-text search index switched off for a measure and on again (issue 19): what
the index costs a write is the same write timed with it and without it."""

from contextlib import contextmanager


@contextmanager
def search_index_off(*, names=None):
    """The search triggers of `names` (INDEXES keys; all by default) dropped on SQLite,
    disabled on PostgreSQL, whose trigram indexes are dropped too; all back on exit. Rows
    written while it is off are not in the index: delete them before it comes back."""
    from django.db import connection

    from sessions_app.search_schema import (
        INDEXES,
        _sqlite_create,
        trigram_create_sql,
        trigram_drop_sql,
    )

    names = list(INDEXES) if names is None else names
    if connection.vendor == "sqlite":
        off = [f"DROP TRIGGER {INDEXES[n][1]}_{t}" for n in names for t in ("ai", "ad", "au")]
        on = [s for n in names for s in _sqlite_create(n)[1:4]]
    else:
        tables = [(INDEXES[n][0], INDEXES[n][1]) for n in names]
        off = [f"ALTER TABLE {t} DISABLE TRIGGER {fts}_tr" for t, fts in tables]
        on = [f"ALTER TABLE {t} ENABLE TRIGGER {fts}_tr" for t, fts in tables]
        if names == list(INDEXES):
            off, on = off + trigram_drop_sql(), on + trigram_create_sql()
    with connection.cursor() as cursor:
        for statement in off:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in on:
                cursor.execute(statement)
