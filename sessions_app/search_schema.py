"""The SQL of the search index: created by migration sessions_app 0008, re-created by
`manage.py search_index_rebuild` (repair only: triggers keep it current).

SQLite: external-content FTS5 tables read their text from the rows themselves, so the
index stores no second copy of it; triggers feed every insert, update of an indexed
column and delete. PostgreSQL: a `search_vector` column set by a BEFORE trigger (not a
generated column, so later ALTERs of the text columns stay possible) with a GIN index,
and pg_trgm indexes for substring matches of ids, branches and paths.
"""

# PostgreSQL's parser keeps a path-like token whole (`fix/login-page`; `acme/app#12` gives
# `acme/app` and `12`), so none of its words would be found, where SQLite's tokenizer splits
# it. A session's ids and branch are indexed as written and also split at every character
# that is not a letter or digit.
_SESSION_IDS = "{row}issue_id || ' ' || {row}branch || ' ' || {row}task_id"
# (table, FTS table, indexed columns, PostgreSQL vector expression over NEW)
MESSAGE_TEXT_LIMIT = 200_000  # PostgreSQL: a tsvector holds at most 1 MB; longer tails unindexed
INDEXES = {
    "message": (
        "projects_app_message",
        "search_message_fts",
        ("content",),
        f"to_tsvector('simple', left({{row}}content, {MESSAGE_TEXT_LIMIT}))",
    ),
    "session": (
        "sessions_app_session",
        "search_session_fts",
        ("title", "display_name", "prompt", "issue_id", "branch", "task_id"),
        "setweight(to_tsvector('simple', {row}title || ' ' || {row}display_name || ' ' || "
        f"{_SESSION_IDS} || ' ' || regexp_replace({_SESSION_IDS}, '[^[:alnum:]]+', ' ', 'g')), "
        "'A') || "
        f"setweight(to_tsvector('simple', left({{row}}prompt, {MESSAGE_TEXT_LIMIT})), 'B')",
    ),
    "project": (
        "projects_app_project",
        "search_project_fts",
        ("title", "intent"),
        "setweight(to_tsvector('simple', {row}title), 'A') || "
        f"setweight(to_tsvector('simple', left({{row}}intent, {MESSAGE_TEXT_LIMIT})), 'B')",
    ),
}
# Not issue_id / task_id: their words are in the full-text index. The trigram indexes are
# over `UPPER(column::text)`, the expression of Django's `icontains` on PostgreSQL, so the
# substring search uses them and `=` / `IN` look-ups never do: a GIN index over the bare
# column also answers `=`, and after a bulk load the planner took the session id's over
# its primary key, each look-up scanning the index's pending list (ao import of 5,000
# sessions, 2026-12-07: 500 ids in 1-2 s a query; first import 6.3 s, a second 25.6 s).
TRIGRAM_COLUMNS = {
    "sessions_app_session": ("id", "branch", "workspace_path"),
    "projects_app_project": ("id", "path"),
}


def _sqlite_create(name: str) -> list[str]:
    table, fts, columns, _ = INDEXES[name]
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old});"
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} "
        f"WHEN {changed} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _postgresql_create(name: str) -> list[str]:
    table, fts, columns, _ = INDEXES[name]
    cols = ", ".join(columns)
    function, update = vector_function_sql(name)
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector",
        vector_inline_sql(table),
        function,
        f"CREATE TRIGGER {fts}_tr BEFORE INSERT OR UPDATE OF {cols} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {fts}_fn()",
        update,
        f"CREATE INDEX IF NOT EXISTS {fts}_gin ON {table} USING gin (search_vector)",
    ]


def vector_function_sql(name: str) -> tuple[str, str]:
    """PostgreSQL: the trigger function computing the vectors of `name`'s rows, and the
    UPDATE that computes them again for every row (after the expression changed)."""
    table, fts, columns, vector = INDEXES[name]
    unchanged = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in columns)
    return (
        f"CREATE OR REPLACE FUNCTION {fts}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF TG_OP = 'UPDATE' AND {unchanged} THEN RETURN NEW; END IF; "
        f"NEW.search_vector := {vector.format(row='NEW.')}; RETURN NEW; END $$",
        f"UPDATE {table} SET search_vector = {vector.format(row='')}",
    )


def vector_inline_sql(table: str) -> str:
    """Keep each row's vector in the row itself. A phrase is checked against the vector of
    every row holding its words (GIN keeps no positions): stored apart in the TOAST table,
    as PostgreSQL puts the larger value of a row over 2 KB, each check read the row, the
    TOAST index and two chunks. 1,000,000 messages (bench.search, 2026-12-07): phrase p95
    277 -> 138 ms, a phrase among 20,604 candidate rows 324 -> 110 ms; the message text,
    not the vector, is then what goes to TOAST (read only for the hits shown)."""
    return f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE MAIN"


def schema_create_sql(*, vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [s for name in INDEXES for s in _sqlite_create(name)]
    if vendor != "postgresql":
        return []
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    statements += [s for name in INDEXES for s in _postgresql_create(name)]
    return statements + trigram_create_sql()


def trigram_create_sql() -> list[str]:
    """PostgreSQL's substring indexes (TRIGRAM_COLUMNS)."""
    return [
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} "
        f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        for table, columns in TRIGRAM_COLUMNS.items()
        for column in columns
    ]


def trigram_drop_sql() -> list[str]:
    return [
        f"DROP INDEX IF EXISTS {table}_{column}_trgm"
        for table, columns in TRIGRAM_COLUMNS.items()
        for column in columns
    ]


def schema_drop_sql(*, vendor: str) -> list[str]:
    if vendor == "sqlite":
        objects = (("TRIGGER", "_ai"), ("TRIGGER", "_ad"), ("TRIGGER", "_au"), ("TABLE", ""))
        return [
            f"DROP {kind} IF EXISTS {fts}{suffix}"
            for _, fts, _, _ in INDEXES.values()
            for kind, suffix in objects
        ]
    if vendor != "postgresql":
        return []
    statements = trigram_drop_sql()
    for table, fts, _, _ in INDEXES.values():
        statements += [
            f"DROP TRIGGER IF EXISTS {fts}_tr ON {table}",
            f"DROP FUNCTION IF EXISTS {fts}_fn()",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector",
        ]
    return statements
