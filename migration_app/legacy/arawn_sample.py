"""A synthetic arawn data directory (legacy-formats.md §6), for make_sample_store, the tests
and bench/arawn_import.py. Written as a real install writes it (the doubled
`workstreams/workstreams/` path), with every edge case the importer handles unless
`edge_cases` is off (the benchmark's floor reads every line as JSON)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from dataclasses import dataclass, field

SCHEMA = """
CREATE TABLE workstreams (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, summary TEXT,
    is_scratch INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'active',
    default_model TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    workstream_id TEXT NOT NULL REFERENCES workstreams(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL, ended_at TEXT, turn_count INTEGER, summary TEXT,
    compressed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX idx_sessions_workstream ON sessions(workstream_id);
CREATE TABLE workstream_tags (
    workstream_id TEXT NOT NULL REFERENCES workstreams(id) ON DELETE CASCADE,
    tag TEXT NOT NULL, PRIMARY KEY (workstream_id, tag));
"""

EPOCH = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
_NS = uuid.UUID("6f1d7c52-5b0e-4d55-9a4c-2f0e7f3b9a10")


def stamp(seconds: float) -> str:
    """RFC 3339 as chrono writes it (nanoseconds, Z)."""
    moment = EPOCH + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def sample_uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(map(str, parts))))


@dataclass
class ArawnSample:
    data_dir: str
    tree: str
    workstreams: list[str] = field(default_factory=list)  # valid ids, scratch included
    sessions: list[str] = field(default_factory=list)  # valid session ids
    messages: int = 0  # good lines
    bad_lines: list[tuple[str, int]] = field(default_factory=list)  # (log, line number)
    files: int = 0  # regular files
    symlinks: int = 0
    rejected_workstreams: list[str] = field(default_factory=list)


def arawn_sample_write(
    data_dir: str,
    *,
    workstreams: int = 4,
    sessions: int = 12,
    messages: int = 60,
    files: int = 24,
    edge_cases: bool = True,
) -> ArawnSample:
    """A data dir with `workstreams` named workstreams plus scratch, `sessions` sessions
    (a third in scratch, a third ended), `messages` log lines and `files` work files."""
    tree = os.path.join(data_dir, "workstreams", "workstreams")
    os.makedirs(tree)
    sample = ArawnSample(data_dir, tree)
    with open(os.path.join(data_dir, "config.toml"), "w") as handle:
        handle.write('[llm]\nbackend = "groq"\n\n[workstream]\ndb_path = "workstreams.db"\n')
    conn = sqlite3.connect(os.path.join(data_dir, "workstreams.db"))
    conn.executescript(SCHEMA)
    names = ["scratch"] + [f"ws-{i:04d}" for i in range(workstreams)]
    for i, name in enumerate(names):
        state = "archived" if i % 5 == 4 else "active"
        conn.execute(
            "INSERT INTO workstreams VALUES (?,?,?,?,?,?,?,?)",
            (name, f"Workstream {name}", f"About {name}" if i % 2 else None, int(name == "scratch"),
             state, "claude-sonnet-4" if i % 2 else None, stamp(i), stamp(i + 60)),
        )  # fmt: skip
        if name != "scratch":
            conn.execute("INSERT INTO workstream_tags VALUES (?, ?)", (name, "imported"))
            conn.execute("INSERT INTO workstream_tags VALUES (?, ?)", (name, f"team-{i % 3}"))
        sample.workstreams.append(name)
    by_ws: dict[str, list[str]] = {name: [] for name in names}
    for i in range(sessions):
        sid = sample_uuid("session", i)
        ws = "scratch" if i % 3 == 0 or workstreams == 0 else names[1 + i % workstreams]
        ended = stamp(i * 10 + 3000) if i % 3 == 1 else None
        conn.execute(
            "INSERT INTO sessions VALUES (?,?,?,?,?,?,?)",
            (sid, ws, stamp(i * 10 + 100), ended, i % 7, f"session {i}" if i % 2 else None,
             i % 4 == 0),
        )  # fmt: skip
        by_ws[ws].append(sid)
        sample.sessions.append(sid)
    _logs_write(sample, names, by_ws, messages)
    _files_write(sample, names, by_ws, files)
    if edge_cases:
        _edge_cases(sample, conn, by_ws)
    conn.commit()
    conn.close()
    return sample


def _line(msg_id, ws, sid, role, content, seconds, metadata=None) -> str:
    data = {"id": msg_id, "workstream_id": ws, "role": role, "content": content,
            "timestamp": stamp(seconds)}  # fmt: skip
    if sid:
        data["session_id"] = sid
    if metadata is not None:
        data["metadata"] = json.dumps(metadata)
    return json.dumps(data) + "\n"


def _logs_write(sample: ArawnSample, names, by_ws, messages: int) -> None:
    roles = ("user", "assistant", "tool_use", "tool_result", "assistant", "agent_push", "system")
    handles = {}
    for name in names:
        os.makedirs(os.path.join(sample.tree, name), exist_ok=True)
        handles[name] = open(os.path.join(sample.tree, name, "messages.jsonl"), "w")  # noqa: SIM115
    try:
        for i in range(messages):
            ws = names[i % len(names)]
            sids = by_ws[ws]
            sid = sids[(i // len(names)) % len(sids)] if sids and i % 11 else None
            role = roles[i % len(roles)]
            metadata = None
            if role == "tool_use":
                metadata = {"tool_id": f"tool-{i}", "name": "shell", "arguments": {"cmd": "ls"}}
            elif role == "tool_result":
                metadata = {"tool_call_id": f"tool-{i - 1}", "success": i % 2 == 0}
            text = f"message {i} " + "lorem ipsum " * (i % 9)
            handles[ws].write(_line(sample_uuid("msg", i), ws, sid, role, text, 200 + i, metadata))
            sample.messages += 1
    finally:
        for handle in handles.values():
            handle.close()


def _files_write(sample: ArawnSample, names, by_ws, files: int) -> None:
    scratch_sessions = by_ws["scratch"]
    for i in range(files):
        name = names[i % len(names)]
        if name == "scratch":
            if not scratch_sessions:
                continue
            sid = scratch_sessions[(i // len(names)) % len(scratch_sessions)]
            base = os.path.join(sample.tree, "scratch", "sessions", sid, "work")
        else:
            base = os.path.join(sample.tree, name, "production" if i % 2 else "work")
        rel = os.path.join(f"dir{i % 3}", f"file-{i}.txt") if i % 4 else f"file-{i}.bin"
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(bytes([i % 256, 0, 1, 2, 255]) + f"content {i}\n".encode() * (i % 50))
        sample.files += 1


def _edge_cases(sample: ArawnSample, conn: sqlite3.Connection, by_ws) -> None:
    tree = sample.tree
    # Workstream ids arawn's own rule would refuse (they reach the database by hand).
    for bad in ("has spaces", "../escape"):
        conn.execute(
            "INSERT INTO workstreams VALUES (?,?,NULL,0,'active',NULL,?,?)",
            (bad, bad, stamp(5), stamp(5)),
        )
        sample.rejected_workstreams.append(bad)
    # A state outside active/archived, kept verbatim with a note.
    conn.execute(
        "INSERT INTO workstreams VALUES ('paused-ws','Paused',NULL,0,'paused',NULL,?,?)",
        (stamp(6), stamp(6)),
    )
    sample.workstreams.append("paused-ws")
    os.makedirs(os.path.join(tree, "paused-ws", "production"))
    # Binary and UTF-8 bytes preserved (the origin's own test), a symlink (relative and
    # absolute, pointing outside), an empty file.
    work = os.path.join(tree, "paused-ws", "production")
    with open(os.path.join(work, "bytes.bin"), "wb") as handle:
        handle.write(bytes([0, 1, 2, 3, 255]))
    with open(os.path.join(work, "hello.txt"), "w", encoding="utf-8") as handle:
        handle.write("Hello 世界 🌍")
    open(os.path.join(work, "empty.txt"), "w").close()
    os.symlink("hello.txt", os.path.join(work, "link-to-hello"))
    os.symlink("/etc/hostname", os.path.join(work, "link-outside"))
    sample.files += 3
    sample.symlinks += 2
    # A bad line in a log, with good lines after it; a secret in a tool call's arguments.
    log = os.path.join(tree, "paused-ws", "messages.jsonl")
    with open(log, "w") as handle:
        handle.write(_line(sample_uuid("edge", 1), "paused-ws", None, "user", "first", 10))
        handle.write('{"id": "broken", "role": \n')
        call = {"tool_id": "t-1", "name": "http", "arguments": {"url": "x", "api_token": "s3cr3t"}}
        handle.write(_line(sample_uuid("edge", 2), "paused-ws", None, "tool_use", "call", 11, call))
        handle.write(_line(sample_uuid("edge", 3), "paused-ws", None, "assistant", "tie A", 12))
        handle.write(_line(sample_uuid("edge", 4), "paused-ws", None, "assistant", "tie B", 12))
    sample.messages += 4
    sample.bad_lines.append((log, 2))
    # arawn's defect #1: a session reassigned to a workstream whose files stayed in scratch.
    named = [ws for ws in by_ws if ws != "scratch"]
    if named:
        sid = sample_uuid("moved-session")
        conn.execute(
            "INSERT INTO sessions VALUES (?,?,?,NULL,1,NULL,0)", (sid, named[0], stamp(50))
        )
        sample.sessions.append(sid)
        left = os.path.join(tree, "scratch", "sessions", sid, "work")
        os.makedirs(left)
        with open(os.path.join(left, "left-behind.txt"), "w") as handle:
            handle.write("files arawn never moved\n")
        sample.files += 1
    # The single layout too, holding none of the database's workstreams: ignored, noted.
    os.makedirs(os.path.join(sample.data_dir, "workstreams", "old-ws", "work"))
