"""minsky's session stores, read-only (legacy-formats §5.4, §5.5). Pure: no Django.

Three shapes, one record form (a dict with minsky's camelCase `SessionRecord` keys):
- `session-db.json`: `{"sessions": [SessionRecord], "baseDir": …}` (a bare list is accepted);
  the id key depends on the record's age (`sessionId`, `session`, `sessionName`, `name`);
- `sessions.db` (SQLite): table `sessions`, camelCase columns, id column `session`;
  opened `mode=ro`;
- PostgreSQL: table `sessions`, snake_case columns, id column `session`; read in a
  read-only transaction through a server-side cursor.

JSON-in-text columns (`prState`, `pullRequest`, `interfaceBinding`) are decoded, and
`prApproved` (`"true"`/`"false"` text in both databases) becomes a boolean.

A store of another shape (a `sessions` table without minsky's columns, a JSON document
without minsky's `sessions` list) is refused on opening (`is_minsky_store` asks the same).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from migration_app.legacy.sqlite_files import sqlite_readonly_connect

JSON = "json"
SQLITE = "sqlite"
POSTGRES = "postgres"

ID_KEYS = ("sessionId", "session", "sessionName", "name")  # newest first
JSON_TEXT_KEYS = ("prState", "pullRequest", "interfaceBinding")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CAMEL = re.compile(r"_([a-z])")
# Columns every minsky `sessions` table has (§5.5b camelCase, §5.5c snake_case): another
# origin's `sessions` table (TokenDance's, arawn's) lacks them.
SQLITE_REQUIRED = ("session", "repoName")
POSTGRES_REQUIRED = ("session", "repo_name")
# Keys one of which any minsky record carries (a JSON list of other records is not minsky's).
RECORD_KEYS = (*ID_KEYS, "repoName", "repoUrl")


class MinskySourceError(Exception):
    """The source cannot be opened or read as a minsky session store."""


@dataclass(slots=True)
class RawRecord:
    """One stored session as minsky's code sees it: camelCase keys; `decode()` turns the
    JSON text columns into values (deferred: a re-run skips known ids undecoded)."""

    position: int  # 1-based place in the store (file order, or id order in a database)
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    decoded: bool = False
    loaded: bool = True  # False: only the id was read (`MinskyStore.records(ids_only=True)`)
    id_key: str | None = field(init=False)
    session_id: Any = field(init=False)

    def __post_init__(self) -> None:
        # Read once, from the stored values (attributes: a re-run reads them of every record).
        data = self.data
        self.id_key = self.session_id = None
        for key in ID_KEYS:
            value = data.get(key)
            if value is not None and value != "":
                self.id_key, self.session_id = key, value
                break

    def decode(self) -> RawRecord:
        if not self.decoded:
            self.data = _decoded(self.data, self.notes)
            self.decoded = True
        return self


# --- where the store is ---------------------------------------------------------------


def minsky_default_location(environ: Mapping[str, str] | None = None) -> str:
    """`$XDG_STATE_HOME/minsky/session-db.json` (state dir `~/.local/state`), else the
    `sessions.db` beside it when only that exists."""
    environ = os.environ if environ is None else environ
    state = environ.get("XDG_STATE_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".local", "state"
    )
    json_path = os.path.join(state, "minsky", "session-db.json")
    db_path = os.path.join(state, "minsky", "sessions.db")
    if not os.path.exists(json_path) and os.path.exists(db_path):
        return db_path
    return json_path


def minsky_source_shape(location: str) -> str:
    """JSON, SQLITE or POSTGRES; raises MinskySourceError for anything else."""
    if location.startswith(("postgres://", "postgresql://")):
        return POSTGRES
    if not os.path.isfile(location):
        raise MinskySourceError(
            f"{location} does not exist or is not a file; pass a session-db.json file, a "
            "sessions.db SQLite file or a postgres:// URL."
        )
    try:
        with open(location, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise MinskySourceError(f"{location} cannot be read: {exc.strerror or exc}") from None
    return SQLITE if head == _SQLITE_MAGIC else JSON


def url_without_password(url: str) -> str:
    """The URL with any password removed (what a run may keep and show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# --- the three shapes -----------------------------------------------------------------


def _decoded(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """JSON text columns decoded, `prApproved` text as a boolean, NULLs left out."""
    out = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, uuid.UUID):  # PostgreSQL project_id
            value = str(value)
        if key in JSON_TEXT_KEYS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                notes.append(f"{key} is not valid JSON; kept as text")
        elif key == "prApproved" and isinstance(value, str):
            text = value.strip().lower()
            if text in ("true", "false"):
                value = text == "true"
            else:
                notes.append(f"prApproved {value!r} is not true/false; kept as text")
        out[key] = value
    return out


def _dicts(cursor, rows: list) -> list[dict[str, Any]]:
    """Database rows keyed as minsky's records are (PostgreSQL's columns are snake_case)."""
    columns = [_CAMEL.sub(lambda m: m.group(1).upper(), d[0]) for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in rows]


class MinskyStore:
    """An open store: `count()`, then `records()` once (streamed for the databases)."""

    def __init__(self, location: str, password: str | None = None):
        self.location = location
        self.shape = minsky_source_shape(location)
        self._password = password
        self._connection: Any = None
        self._json: list | None = None

    def __enter__(self) -> MinskyStore:
        if self.shape == JSON:
            self._json = _json_sessions(self.location)
        elif self.shape == SQLITE:
            self._connection = _sqlite_open(self.location)
        else:
            self._connection = _postgres_open(self.location, self._password)
        return self

    def __exit__(self, *exc) -> None:
        if self._connection is not None:
            self._connection.rollback()
            self._connection.close()
            self._connection = None

    def count(self) -> int:
        if self._json is not None:
            return len(self._json)
        cursor = self._connection.cursor()
        cursor.execute("SELECT count(*) FROM sessions")
        return cursor.fetchone()[0]

    def records(self, fetch: int = 1000, *, ids_only: bool = False) -> Iterator[RawRecord | str]:
        """Each stored session in order; a string instead for an entry that is not a record.

        `ids_only`: from a database only the id column is read (a re-run decides from the
        ids alone); `load()` reads the rest of the records that need it."""
        if self._json is not None:
            for position, entry in enumerate(self._json, 1):
                if not isinstance(entry, dict):
                    yield f"entry {position} of the sessions list is not an object"
                    continue
                yield RawRecord(position, entry)
            return
        if self.shape == POSTGRES:
            cursor = self._connection.cursor(name="minsky_sessions")
            cursor.itersize = fetch
        else:
            cursor = self._connection.cursor()
        cursor.execute(f"SELECT {'session' if ids_only else '*'} FROM sessions ORDER BY session")
        position = 0
        while rows := cursor.fetchmany(fetch):
            for data in [{"session": sid} for (sid,) in rows] if ids_only else _dicts(cursor, rows):
                position += 1
                yield RawRecord(position, data, loaded=not ids_only)

    def load(self, records: list[RawRecord]) -> None:
        """Read the full rows of records read `ids_only` (one query); a record whose id
        cannot name its row (no text id) stays as it is: it is rejected for its id."""
        wanted = {
            sid: r for r in records if not r.loaded and isinstance(sid := r.data["session"], str)
        }
        if not wanted:
            return
        mark = "%s" if self.shape == POSTGRES else "?"
        cursor = self._connection.cursor()
        marks = ", ".join([mark] * len(wanted))
        cursor.execute(f"SELECT * FROM sessions WHERE session IN ({marks})", list(wanted))
        for data in _dicts(cursor, cursor.fetchall()):
            record = wanted[data["session"]]
            record.data, record.loaded = data, True


def _json_sessions(path: str) -> list:
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise MinskySourceError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise MinskySourceError(f"{path} is not valid JSON: {exc}") from None
    if isinstance(document, dict):
        if "sessions" not in document:
            raise MinskySourceError(
                f"{path} is not a minsky session-db.json: it has no `sessions` key"
            )
        document = document["sessions"]
    if not isinstance(document, list):
        raise MinskySourceError(f"{path}: `sessions` is not a list of session records")
    if document and not any(
        isinstance(entry, dict) and any(key in entry for key in RECORD_KEYS) for entry in document
    ):
        # One malformed record is a rejected item; a list of none of minsky's is another store.
        raise MinskySourceError(
            f"{path} is not a minsky session-db.json: none of its {len(document)} entries "
            f"is a session record (with one of {', '.join(RECORD_KEYS)})"
        )
    return document


def _sqlite_open(path: str) -> sqlite3.Connection:
    connection = None
    try:
        connection = sqlite_readonly_connect(path)
        connection.execute("SELECT 1 FROM sessions LIMIT 1")
        columns = {row[1] for row in connection.execute("PRAGMA table_info(sessions)")}
    except sqlite3.Error as exc:
        if connection is not None:
            connection.close()
        raise MinskySourceError(f"{path} is not a minsky sessions.db: {exc}") from None
    _columns_require(connection, columns, SQLITE_REQUIRED, f"{path} is not a minsky sessions.db")
    return connection


def _columns_require(connection, present: set[str], required: tuple[str, ...], what: str):
    """Refused before any record is read: without these columns the read fails mid-run."""
    lacking = [column for column in required if column not in present]
    if lacking:
        connection.close()
        raise MinskySourceError(f"{what}: table sessions has no column {', '.join(lacking)}")


def _postgres_open(url: str, password: str | None):
    import psycopg

    kwargs = {"password": password} if password else {}
    try:
        connection = psycopg.connect(url, connect_timeout=10, **kwargs)
        connection.read_only = True
        # One snapshot: the ids and, later, the rows `load()` reads of them.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.execute("SELECT 1 FROM sessions LIMIT 1")
        rows = connection.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'sessions'"
        ).fetchall()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MinskySourceError(
            f"{url_without_password(url)} cannot be read as a minsky database: {reason}"
        ) from None
    what = f"{url_without_password(url)} is not a minsky database"
    _columns_require(connection, {name for (name,) in rows}, POSTGRES_REQUIRED, what)
    return connection


def is_minsky_store(location: str) -> bool:
    """Whether a location (file or postgres:// URL) has the shape of a minsky store: what
    a store given to another --source is checked against (legacy_import_plan)."""
    try:
        with MinskyStore(location):
            return True
    except MinskySourceError:
        return False


# --- duplicates -----------------------------------------------------------------------


def duplicate_losers(records: list[RawRecord], created_key) -> dict[int, tuple[str, int]]:
    """{position of a losing record: (its id, position of the winner)}.

    Two records with one id: the later createdAt wins (`created_key(record)` orders them;
    an unreadable createdAt counts as earliest); on a tie the one stored later wins.
    """
    best: dict[str, RawRecord] = {}
    losers: dict[int, tuple[str, int]] = {}
    for record in records:
        sid = record.session_id
        if not isinstance(sid, str):
            continue
        held = best.get(sid)
        if held is None:
            best[sid] = record
            continue
        if created_key(record) >= created_key(held):
            losers[held.position] = (sid, record.position)
            best[sid] = record
        else:
            losers[record.position] = (sid, held.position)
    # A record that lost to a later loser still loses to the final winner.
    return {pos: (sid, best[sid].position) for pos, (sid, _) in losers.items()}
