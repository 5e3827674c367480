"""Read a TokenDance database (PostgreSQL or SQLite) through DB-API: pure, read-only.

No ORM and no settings. `source_open` opens the database read-only (a read-only
transaction on PostgreSQL, `mode=ro` on SQLite); the `*_rows` functions stream rows as
plain dicts, in keyset batches (never OFFSET), with every value checked against the
column's type (legacy-formats.md §7.1): a wrong type is a `RowProblem` naming table, id
and column, so one bad row never stops a read. Columns a database predates (an older
TokenDance schema) read as NULL. Secret-looking keys are dropped from JSON values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from migration_app.legacy.sqlite_files import sqlite_readonly_connect
from migration_app.legacy.tokendance_schema import TABLES

REQUIRED_TABLES = ("workspaces", "sessions", "messages")
OPTIONAL_TABLES = ("artifacts", "projects", "conversations", "project_versions")

# Column kinds: id/text, int, bool, json, timestamp, read off the types TokenDance declares.
TEXT, INT, BOOL, JSON, TIME = "text", "int", "bool", "json", "time"
_KINDS = {"{json}": JSON, "{ts}": TIME, "{bool}": BOOL, "INTEGER": INT, "BIGINT": INT}
COLUMNS: dict[str, dict[str, str]] = {
    table: {
        column: next((kind for start, kind in _KINDS.items() if spec.startswith(start)), TEXT)
        for column, spec in TABLES[table].items()
    }
    for table in (*REQUIRED_TABLES, *OPTIONAL_TABLES)
}
# Columns without which a table cannot be read at all.
REQUIRED_COLUMNS = {
    "workspaces": ("id", "name", "slug"),
    "sessions": ("id", "workspace_id", "status", "created_at"),
    "messages": ("id", "session_id", "role", "created_at"),
}

# A key is a secret when its name says so. Token *counts* (tokens_used, max_tokens …)
# are not secrets and stay.
_SECRET = re.compile(r"secret|password|passwd|token|api[_-]?key|credential", re.IGNORECASE)
_TOKEN_COUNT = re.compile(
    r"^(?:(?:max|total|input|output|prompt|completion)_?tokens?(?:_\w+)?|tokens?_(?:used|count))$",
    re.IGNORECASE,
)


class SourceError(Exception):
    """The database cannot be read as a TokenDance database (refused before any write)."""


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be imported: which table, which row, which column, and why."""

    table: str
    row_id: str
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.table} id={self.row_id} column {self.column}: {self.reason}"


@dataclass
class Source:
    """An open, read-only TokenDance database."""

    connection: Any
    vendor: str  # "postgresql" | "sqlite"
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # present columns

    @property
    def mark(self) -> str:
        return "%s" if self.vendor == "postgresql" else "?"

    def has(self, table: str) -> bool:
        return table in self.columns

    def close(self) -> None:
        try:
            self.connection.rollback()  # nothing was written; end the read-only transaction
        finally:
            self.connection.close()


def location_kind(location: str) -> str:
    return "postgresql" if re.match(r"^postgres(?:ql)?://", location) else "sqlite"


def location_redacted(location: str) -> str:
    """The location without a password (for run parameters and messages)."""
    if location_kind(location) != "postgresql":
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def source_open(location: str, *, connect_timeout: int | None = None) -> Source:
    """Open read-only and check that the tables of a TokenDance database are there."""
    if location_kind(location) == "postgresql":
        import psycopg

        timeout = {"connect_timeout": connect_timeout} if connect_timeout else {}
        try:
            connection = psycopg.connect(location, autocommit=False, **timeout)
        except psycopg.Error as exc:
            raise SourceError(f"cannot connect to {location_redacted(location)}: {exc}") from exc
        connection.read_only = True  # every transaction on it is READ ONLY
        # One snapshot for the whole import: batches read the database as it was at the start.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        source = Source(connection, "postgresql")
    else:
        path = Path(location).expanduser().resolve()
        if not path.is_file():
            raise SourceError(f"{path} is not a file; pass a SQLite file or a postgres:// URL")
        connection = sqlite_readonly_connect(path)
        source = Source(connection, "sqlite")
    try:
        source.columns = _present_columns(source)
    except Exception as exc:
        source.connection.close()
        raise SourceError(f"{location_redacted(location)} cannot be read: {exc}") from exc
    missing = [t for t in REQUIRED_TABLES if t not in source.columns]
    problem = f"no table {', '.join(missing)}" if missing else ""
    for table, required in REQUIRED_COLUMNS.items():
        lacking = [c for c in required if c not in source.columns.get(table, ())]
        if lacking and not problem:
            problem = f"table {table} has no column {', '.join(lacking)}"
    if problem:
        source.connection.close()
        raise SourceError(f"{location_redacted(location)} is not a TokenDance database: {problem}")
    return source


def is_tokendance_database(location: str) -> bool:
    """Whether a location (file or postgres:// URL) has TokenDance's tables: what a store
    given to another --source is checked against (legacy_import_plan)."""
    try:
        source = source_open(location, connect_timeout=10)  # a probe: not waiting long
    except (SourceError, sqlite3.Error):
        return False
    source.close()
    return True


def _present_columns(source: Source) -> dict[str, tuple[str, ...]]:
    present = {}
    cursor = source.connection.cursor()
    for table in REQUIRED_TABLES + OPTIONAL_TABLES:
        if source.vendor == "sqlite":
            cursor.execute(f"PRAGMA table_info({table})")
            names = [row[1] for row in cursor.fetchall()]
        else:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                (table,),
            )
            names = [row[0] for row in cursor.fetchall()]
        if names:
            present[table] = tuple(name for name in names if name in COLUMNS[table])
    return present


# --- values ------------------------------------------------------------------------------


def secrets_drop(
    value: Any, *, counts: re.Pattern = _TOKEN_COUNT, secret: re.Pattern = _SECRET
) -> tuple[Any, list[str]]:
    """The value without secret-looking keys (at any depth), and the dropped key paths.
    A key matching `counts` is a token count, not a secret, and stays."""
    if not value or not isinstance(value, (dict, list)):
        return value, []  # nothing to look through (the common `{}`)
    dropped: list[str] = []

    def clean(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            kept = {}
            for key, child in node.items():
                name = str(key)
                if secret.search(name) and not counts.match(name):
                    dropped.append(f"{path}{name}")
                    continue
                kept[key] = clean(child, f"{path}{name}.")
            return kept
        if isinstance(node, list):
            return [clean(child, path) for child in node]
        return node

    return clean(value, ""), dropped


class _Bad(Exception):
    pass


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(f"expected a timestamp, got {value!r:.60}") from None
    else:
        raise _Bad(f"expected a timestamp, got {type(value).__name__} {value!r:.60}")
    # Naive timestamps are UTC (TokenDance writes utcnow()).
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == TEXT:
        if isinstance(value, (bytes, memoryview)):
            raise _Bad("expected text, got bytes")
        return value if isinstance(value, str) else str(value)
    if kind == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"expected an integer, got {type(value).__name__} {value!r:.60}")
        return value
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _Bad(f"expected a boolean, got {value!r:.60}")
    if kind == JSON:
        if value == "{}":
            return {}
        if isinstance(value, (str, bytes)):
            try:
                return json.loads(value)
            except ValueError:
                raise _Bad(f"expected JSON, got {value!r:.60}") from None
        return value
    return _time(value)


def row_convert(table: str, row: dict[str, Any]) -> dict[str, Any] | RowProblem:
    """Every value of a raw row checked and converted; the first bad column is the problem."""
    kinds = COLUMNS[table]
    converted = {}
    for column, value in row.items():
        kind = kinds[column]
        # The common cases first, without a call: NULL, text in a text column.
        if value is None or (kind == TEXT and type(value) is str):
            converted[column] = value
            continue
        try:
            converted[column] = _convert(kind, value)
        except _Bad as exc:
            return RowProblem(table, str(row.get("id")), column, str(exc))
    return converted


# --- rows --------------------------------------------------------------------------------


def _select(source: Source, table: str) -> tuple[str, list[str]]:
    names = list(source.columns[table])
    return f"SELECT {', '.join(names)} FROM {table}", names


def _dicts(table: str, names: list[str], rows: list) -> list[dict]:
    """Raw rows as dicts of every column `table` has in TokenDance (None when absent)."""
    if len(names) == len(COLUMNS[table]):  # the usual case: every column is there
        return [dict(zip(names, values, strict=True)) for values in rows]
    full = dict.fromkeys(COLUMNS[table])
    return [{**full, **dict(zip(names, values, strict=True))} for values in rows]


def _fetch(source: Source, table: str, sql: str, params: Sequence, names: list[str]) -> list[dict]:
    cursor = source.connection.cursor()
    cursor.execute(sql, tuple(params))
    return _dicts(table, names, cursor.fetchall())


def _in_lists(source: Source, values: Sequence) -> Iterator[tuple[list, str]]:
    """`values` 500 at a time, each chunk with its `IN (…)` placeholders."""
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        yield chunk, ", ".join([source.mark] * len(chunk))


def table_rows(source: Source, table: str, *, batch_size: int = 500) -> Iterator[list[dict]]:
    """Every row of `table`, raw (unchecked), in id-ordered keyset batches."""
    if not source.has(table):
        return
    select, names = _select(source, table)
    last = None
    while True:
        where = "" if last is None else f" WHERE id > {source.mark}"
        sql = f"{select}{where} ORDER BY id LIMIT {int(batch_size)}"
        rows = _fetch(source, table, sql, [] if last is None else [last], names)
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows


def rows_where_in(
    source: Source, table: str, column: str, values: Sequence, *, order: str = "id"
) -> list[dict]:
    """Raw rows of `table` whose `column` is among `values` (at most 500 per statement)."""
    if not source.has(table) or column not in source.columns[table] or not values:
        return []
    select, names = _select(source, table)
    rows: list[dict] = []
    for chunk, marks in _in_lists(source, values):
        sql = f"{select} WHERE {column} IN ({marks}) ORDER BY {order}"
        rows += _fetch(source, table, sql, chunk, names)
    return rows


def ids_where_in(source: Source, table: str, column: str, values: Sequence) -> list[str]:
    """Only the ids of the rows `rows_where_in` would return (a re-run reads no more)."""
    if not source.has(table) or column not in source.columns[table] or not values:
        return []
    ids: list[str] = []
    cursor = source.connection.cursor()
    for chunk, marks in _in_lists(source, values):
        cursor.execute(f"SELECT id FROM {table} WHERE {column} IN ({marks})", tuple(chunk))
        ids += [row[0] for row in cursor.fetchall()]
    return ids


def dangling_rows(source: Source, table: str, column: str, parent: str) -> Iterator[list[dict]]:
    """Rows of `table` whose `column` names no row of `parent` (or is NULL), in batches."""
    if not source.has(table) or column not in source.columns[table]:
        return
    select, names = _select(source, table)
    # The parents named but missing, from the distinct values of `column` (its index, not
    # every row): 10,000 sessions × 20 messages, SQLite, 0.356 s with `NOT IN` over the
    # rows against 0.016 s (2026-12-07).
    orphans = (
        f"SELECT {column} FROM (SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL)"
        f" AS named WHERE {column} NOT IN (SELECT id FROM {parent})"
    )
    sql = f"{select} WHERE {column} IS NULL OR {column} IN ({orphans}) ORDER BY id"
    # On PostgreSQL a server-side cursor: the rows come 500 at a time, not all at once.
    if source.vendor == "postgresql":
        cursor = source.connection.cursor(name=f"tokendance_{table}_dangling")
    else:
        cursor = source.connection.cursor()
    cursor.execute(sql)
    while chunk := cursor.fetchmany(500):
        yield _dicts(table, names, chunk)
    cursor.close()


def table_count(source: Source, table: str) -> int:
    if not source.has(table):
        return 0
    cursor = source.connection.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    return int(cursor.fetchone()[0])


# --- paths -------------------------------------------------------------------------------


def path_map_parse(entries: Sequence[str]) -> list[tuple[str, str]]:
    """`OLD=NEW` pairs, longest OLD first (the most specific prefix wins)."""
    pairs = []
    for entry in entries:
        old, sep, new = entry.partition("=")
        if not sep or not old or not new:
            raise ValueError(f"--path-map {entry!r}: expected OLD=NEW")
        pairs.append((old, new))
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def path_mapped(path: str, pairs: Sequence[tuple[str, str]]) -> str:
    for old, new in pairs:
        if path == old or path.startswith(old.rstrip("/") + "/"):
            return new.rstrip("/") + path[len(old.rstrip("/")) :]
    return path
