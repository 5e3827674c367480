"""arawn's data directory, read-only (legacy-formats.md §6): pure readers, no Django.

    DATA_DIR/config.toml                 [workstream] database | db_path, data_dir
    DATA_DIR/workstreams.db              workstreams, sessions, workstream_tags (SQLite)
    DATA_DIR/workstreams[/workstreams]/  the tree; a real install doubles the name (§8 #2)
        <ws>/production/ <ws>/work/ <ws>/messages.jsonl
        scratch/sessions/<session>/work/

The database is opened with `mode=ro`; logs are streamed line by line from a byte offset.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from migration_app.legacy.jsonl import head_sha256, jsonl_lines, record_parse
from migration_app.legacy.sqlite_files import sqlite_readonly_connect

WORKSTREAMS_DIR = "workstreams"
DEFAULT_DB = "workstreams.db"
SCRATCH = "scratch"
MESSAGES_LOG = "messages.jsonl"
ROLES = ("user", "assistant", "system", "tool_use", "tool_result", "agent_push")
_SECRET_WORDS = ("token", "secret", "password")


class ArawnError(Exception):
    """The data directory cannot be read as an arawn install."""


@dataclass
class ArawnLayout:
    data_dir: str
    db_path: str
    tree: str  # the directory holding <ws>/ and scratch/
    notes: list[str] = field(default_factory=list)


def _config(data_dir: str) -> tuple[dict[str, Any], str]:
    for name in ("config.toml", "arawn.toml"):
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            try:
                with open(path, "rb") as handle:
                    return tomllib.load(handle), path
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ArawnError(f"{path} is not valid TOML: {exc}") from None
    return {}, ""


def arawn_layout(data_dir: str, *, workstream_ids: set[str] | None = None) -> ArawnLayout:
    """Where the database and the workstream tree are. The server reads `[workstream]
    database`, the example config shows `db_path`: both are accepted (relative to the data
    dir). The tree is `workstreams/` or the doubled `workstreams/workstreams/`; when both
    exist the one holding more of `workstream_ids` (the database's) wins, with a note."""
    config, config_path = _config(data_dir)
    section = config.get("workstream") if isinstance(config.get("workstream"), dict) else {}
    notes = []
    configured = section.get("database") or section.get("db_path")
    if section.get("database") and section.get("db_path"):
        notes.append(f"{config_path} names both database and db_path; database is used")
    db_path = os.path.join(data_dir, os.path.expanduser(str(configured or DEFAULT_DB)))
    if not os.path.isfile(db_path):
        where = f" (named by {config_path})" if configured else ""
        raise ArawnError(f"no workstream database at {db_path}{where}")
    single = os.path.join(data_dir, str(section.get("data_dir") or WORKSTREAMS_DIR))
    doubled = os.path.join(single, WORKSTREAMS_DIR)
    candidates = [p for p in (doubled, single) if os.path.isdir(p) and _looks_like_tree(p)]
    if not candidates:
        return ArawnLayout(data_dir, db_path, doubled if os.path.isdir(doubled) else single, notes)
    tree = candidates[0]
    if len(candidates) == 2:
        ids = workstream_ids or set()
        held = {p: len(ids & set(_listdir(p))) for p in candidates}
        tree = max(candidates, key=lambda p: held[p])  # ties: the doubled (real install)
        notes.append(
            f"both {doubled} ({held[doubled]} of the database's workstreams) and {single} "
            f"({held[single]}) exist; {tree} is used"
        )
    return ArawnLayout(data_dir, db_path, tree, notes)


def is_arawn_store(path: str) -> bool:
    """Whether a directory has the shape of arawn's data dir: a workstreams.db, or a
    config naming the workstream database."""
    if os.path.isfile(os.path.join(path, DEFAULT_DB)):
        return True
    try:
        config, _ = _config(path)
    except ArawnError:
        return False
    section = config.get("workstream")
    return isinstance(section, dict) and bool(section.get("database") or section.get("db_path"))


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _looks_like_tree(path: str) -> bool:
    """A workstream tree: scratch/ or a <ws>/ holding production, work or messages.jsonl."""
    for name in _listdir(path):
        sub = os.path.join(path, name)
        if name == SCRATCH and os.path.isdir(sub):
            return True
        parts = {"production", "work", MESSAGES_LOG}
        if name != WORKSTREAMS_DIR and os.path.isdir(sub) and parts & set(_listdir(sub)):
            return True
    return False


# --- workstreams.db --------------------------------------------------------------------


def arawn_db_open(path: str) -> sqlite3.Connection:
    """Read-only: arawn's database is never written (nor its WAL checkpointed)."""
    try:
        conn = sqlite_readonly_connect(path)
        conn.execute("SELECT 1 FROM workstreams LIMIT 1")
    except sqlite3.Error as exc:
        raise ArawnError(f"{path} cannot be read as arawn's workstream database: {exc}") from None
    conn.row_factory = sqlite3.Row
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def arawn_workstreams(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every workstream row (all columns, as stored) with its tags, in id order."""
    tags: dict[str, list[str]] = {}
    if "tag" in _columns(conn, "workstream_tags"):
        for ws, tag in conn.execute("SELECT workstream_id, tag FROM workstream_tags ORDER BY 1, 2"):
            tags.setdefault(ws, []).append(tag)
    rows = []
    for row in conn.execute("SELECT * FROM workstreams ORDER BY id"):
        record = dict(row)
        record["tags"] = tags.get(record["id"], [])
        rows.append(record)
    return rows


def arawn_sessions(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every session row, finished ones included, in id order (streamed)."""
    if not _columns(conn, "sessions"):
        return
    for row in conn.execute("SELECT * FROM sessions ORDER BY id"):
        yield dict(row)


def parse_timestamp(value: Any) -> dt.datetime:
    """RFC 3339 text (chrono writes up to nanoseconds) → aware UTC; ValueError otherwise."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    # Python 3.11 reads `Z` (not `z`) and cuts fractions past microseconds.
    parsed = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    return parsed.replace(tzinfo=parsed.tzinfo or dt.UTC).astimezone(dt.UTC)


def secrets_dropped(value: Any) -> Any:
    """The value without any key whose name says token, secret or password (recursively)."""
    if isinstance(value, dict):
        return {
            k: secrets_dropped(v)
            for k, v in value.items()
            if not any(word in str(k).lower() for word in _SECRET_WORDS)
        }
    if isinstance(value, list):
        return [secrets_dropped(v) for v in value]
    return value


# --- messages.jsonl --------------------------------------------------------------------


@dataclass
class LogLine:
    number: int  # 1-based line number in the file
    end: int  # byte offset just after the line
    message: dict[str, Any] | None = None
    problem: str = ""


def log_head(path: str, length: int) -> str:
    return head_sha256(path, length)


def log_lines(path: str, *, offset: int = 0, lines_before: int = 0) -> Iterator[LogLine]:
    """The whole lines of a log from `offset` on, one at a time (the file is never loaded
    whole). A last line without its newline is being written: it is left for later."""
    number = lines_before
    for line in jsonl_lines(path, offset=offset):
        number += 1
        if not line.raw.strip():
            continue
        try:
            yield LogLine(number, line.end, message=message_parse(line.raw))
        except ValueError as exc:
            yield LogLine(number, line.end, problem=str(exc))


def message_parse(raw: bytes) -> dict[str, Any]:
    """One line → the message as the hub stores it; ValueError says what is wrong."""
    data = record_parse(raw)
    for key in ("id", "workstream_id", "role", "timestamp"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"{key} is missing or not a string")
    role = data["role"]
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    session_id = data.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise ValueError("session_id is not a string")
    created_at = parse_timestamp(data["timestamp"])
    content = data.get("content")
    content = content if isinstance(content, str) else json.dumps(content or "")
    metadata, metadata_raw = _metadata(data.get("metadata"))
    message: dict[str, Any] = {
        "id": data["id"],
        "workstream_id": data["workstream_id"],
        "session_id": session_id or None,
        "role": role,
        "content": content,
        "created_at": created_at,
        "tool_calls": None,
        "tool_call_id": "",
    }
    # The source's text: created_at may move by µs where timestamps tie (arawn_store).
    extra: dict[str, Any] = {"role": role, "timestamp": data["timestamp"]}
    if metadata is not None:
        extra["metadata"] = metadata
    if metadata_raw is not None:
        extra["metadata_raw"] = metadata_raw
    meta = metadata if isinstance(metadata, dict) else {}
    if role == "tool_use":
        message["role"] = "assistant"
        message["tool_calls"] = [
            {
                "id": meta.get("tool_id", ""),
                "name": meta.get("name", ""),
                "arguments": meta.get("arguments", {}),
            }
        ]
    elif role == "tool_result":
        message["role"] = "tool"
        message["tool_call_id"] = str(meta.get("tool_call_id") or "")[:255]
        if "success" in meta:
            extra["success"] = meta["success"]
    elif role == "agent_push":
        message["role"] = "system"
    message["extra"] = extra
    return message


def _metadata(value: Any) -> tuple[Any, str | None]:
    """(decoded metadata without secrets, the raw text when it is not JSON)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return None, value
        lowered = value.lower()
        if not any(word in lowered for word in _SECRET_WORDS):
            return decoded, None  # no key can name a secret: nothing to walk
        value = decoded
    return secrets_dropped(value), None


# --- files -------------------------------------------------------------------------------


def symlink_on_the_way(tree: str, path: str) -> str | None:
    """The first part of `path` below `tree` that is a symlink, or None: a workstream or
    session directory that is a link is never gone through."""
    current = tree
    for part in os.path.relpath(path, tree).split(os.sep):
        current = os.path.join(current, part)
        if os.path.islink(current):
            return current
    return None


def shown(path: str) -> str:
    """A path whose bytes are not UTF-8, printable (and storable as JSON text)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class TreeEntry:
    path: str  # absolute source path
    rel: str  # relative to the walked root
    kind: str  # file, symlink, other
    size: int
    mtime_ns: int


def tree_entries(root: str) -> Iterator[TreeEntry]:
    """Regular files, symlinks and special files under `root`, in name order, without
    following any symlink (a link is an entry, never a way in). Directories are walked."""
    if not os.path.isdir(root) or os.path.islink(root):
        return
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir)) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        subdirs = []
        for entry in reversed(entries):
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            st = entry.stat(follow_symlinks=False)
            if entry.is_symlink():
                yield TreeEntry(entry.path, rel, "symlink", 0, st.st_mtime_ns)
            elif entry.is_dir(follow_symlinks=False):
                subdirs.append(rel)
            elif entry.is_file(follow_symlinks=False):
                yield TreeEntry(entry.path, rel, "file", st.st_size, st.st_mtime_ns)
            else:
                yield TreeEntry(entry.path, rel, "other", 0, st.st_mtime_ns)
        stack.extend(reversed(subdirs))
