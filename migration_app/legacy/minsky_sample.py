"""Sample minsky stores with every edge case the importer handles (make_sample_store, tests,
bench). Synthesised from the field tables of legacy-formats §5.4/§5.5: the origin ships no
session fixtures. Pure: no Django."""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

# A planted credential: an import must never store it anywhere.
SAMPLE_TOKEN = "ghp_SAMPLEplantedTOKEN0123456789abcdefXYZ"
PROJECT_ID = "5f0c6c1e-8d0b-4c55-9a43-0f5b1a7e2d10"
REPO = "https://github.com/acme/widgets.git"


def _pr(number: int, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "url": f"https://github.com/acme/widgets/pull/{number}",
        "state": state,
        "createdAt": "2025-03-02T09:00:00.000Z",
        "headBranch": f"task/mt-{number}",
        "baseBranch": "main",
        "lastSynced": "2025-03-03T09:00:00.000Z",
        "github": {"id": 9000 + number, "nodeId": f"PR_{number}", "author": "dev"},
        **extra,
    }


def minsky_sample_records() -> list[Any]:
    """The sessions list of a sample session-db.json: one record per edge case."""
    base = {"repoName": "acme/widgets", "repoUrl": REPO}
    return [
        # HEAD shape: sessionId, projectId, every liveness and PR field.
        {**base, "sessionId": "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", "shortId": "ws#1",
         "projectId": PROJECT_ID, "repoPath": "/home/dev/.local/state/minsky/sessions/ws1",
         "createdAt": "2025-03-01T08:00:00.000Z", "taskId": "mt#123", "status": "PR_APPROVED",
         "branch": "task/mt-123", "agentId": "claude-7c1e", "backendType": "github",
         "lastActivityAt": "2025-03-02T10:30:00.000Z", "lastCommitHash": "a1b2c3d",
         "lastCommitMessage": "Fix the widget", "commitCount": 4, "prApproved": True,
         "prBranch": "pr/6f1d2c3b", "pullRequest": _pr(41, "open"),
         "prState": {"branchName": "pr/6f1d2c3b", "exists": True,
                     "lastChecked": "2025-03-02T10:00:00.000Z"},
         "interfaceBinding": {"kind": "iterm-tab", "tabId": "t-3", "authToken": SAMPLE_TOKEN}},
        # mt#1210 era key `session`; plain number; epoch seconds; branch derived.
        {**base, "session": "task-md#123", "taskId": "123", "createdAt": 1700000000,
         "status": "CREATED", "workspacePath": "/home/dev/.local/state/minsky/sessions/a"},
        # `sessionName` era; `#124`; epoch milliseconds; prBranch as the branch.
        {**base, "sessionName": "fix-login", "taskId": "#124", "createdAt": 1700000000000,
         "status": "PR_OPEN", "prBranch": "pr/fix-login", "prApproved": False},
        # legacy `name`; `Task#283`; SQL-like time; a github token; no status.
        {**base, "name": "legacy-1", "taskId": "Task#283", "createdAt": "2023-01-01 10:00:00",
         "sessionPath": "/tmp/minsky/legacy-1", "backendType": "local",
         "github": {"owner": "acme", "repo": "widgets", "token": SAMPLE_TOKEN}},
        # task#283 kept as it is (rule 1); merged.
        {**base, "sessionId": "merged-one", "taskId": "task#283", "status": "MERGED",
         "createdAt": "2025-01-05T12:00:00Z", "pullRequest": _pr(7, "merged")},
        # a bare word kept as it is (rule 6); closed.
        {**base, "sessionId": "update-test-session", "taskId": "update-test",
         "status": "CLOSED", "createdAt": "2025-01-06T12:00:00+02:00"},
        # task ids that normalise to nothing: imported without one.
        {**base, "sessionId": "spaced-task", "taskId": "a b", "createdAt": "2025-01-07"},
        {**base, "sessionId": "upper-backend", "taskId": "MT#1", "status": "ACTIVE",
         "createdAt": "2025-01-08T00:00:00Z"},
        # ##n, and an id minsky cannot split into a branch.
        {**base, "sessionId": "double-hash", "taskId": "##125",
         "createdAt": "2025-01-09T00:00:00Z"},
        {**base, "sessionId": "two-hashes", "taskId": "mt#1#2",
         "createdAt": "2025-01-10T00:00:00Z"},
        # another repository, credentials in its URL; another backend.
        {"repoName": "acme/gadgets", "sessionId": "gadgets-1", "taskId": "gh#9",
         "repoUrl": f"https://x-access-token:{SAMPLE_TOKEN}@github.com/acme/gadgets.git",
         "createdAt": "2025-02-01T00:00:00Z", "status": "ACTIVE"},
        # the same id twice: the later createdAt wins, the other is rejected.
        {**base, "sessionId": "twice", "taskId": "mt#200", "createdAt": "2025-02-02T00:00:00Z"},
        {**base, "sessionId": "twice", "taskId": "mt#201", "createdAt": "2025-02-03T00:00:00Z"},
        # unreadable createdAt: the import time, with a note.
        {**base, "sessionId": "no-date", "taskId": "mt#300", "createdAt": "yesterday"},
        # an unknown status: pending, the word kept in legacy_status, with a note.
        {**base, "sessionId": "paused", "status": "PAUSED", "createdAt": "2025-02-04T00:00:00Z"},
        # rejected: no id, not an object.
        {**base, "taskId": "mt#400", "createdAt": "2025-02-05T00:00:00Z"},
        "not a session record",
    ]  # fmt: skip


def minsky_json_write(path: str, records: list[Any] | None = None) -> None:
    document = {"sessions": minsky_sample_records() if records is None else records,
                "baseDir": os.path.join(os.path.dirname(path), "sessions")}  # fmt: skip
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)


# minsky's last SQLite schema: camelCase columns, the liveness ones added in snake_case.
SQLITE_COLUMNS = (
    "session", "repoName", "repoUrl", "createdAt", "taskId", "repoPath", "prBranch",
    "prApproved", "prState", "backendType", "pullRequest", "last_activity_at",
    "last_commit_hash", "last_commit_message", "commit_count", "status", "agent_id",
)  # fmt: skip
_TEXT_JSON = {"prApproved", "prState", "pullRequest"}


def sqlite_row(record: dict[str, Any]) -> tuple:
    """A record as a sessions.db row (JSON columns as text, as drizzle writes them)."""
    camel = {
        "last_activity_at": "lastActivityAt", "last_commit_hash": "lastCommitHash",
        "last_commit_message": "lastCommitMessage", "commit_count": "commitCount",
        "agent_id": "agentId",
    }  # fmt: skip
    sid = next(
        record.get(k) for k in ("sessionId", "session", "sessionName", "name") if k in record
    )
    row = []
    for column in SQLITE_COLUMNS:
        value = sid if column == "session" else record.get(camel.get(column, column))
        if column in _TEXT_JSON and value is not None:
            value = json.dumps(value)
        row.append(value)
    return tuple(row)


def minsky_sqlite_create(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    columns = ", ".join(
        f'"{c}" text PRIMARY KEY NOT NULL' if c == "session"
        else f'"{c}" integer' if c == "commit_count"
        else f'"{c}" text NOT NULL' if c in ("repoName", "createdAt")
        else f'"{c}" text'
        for c in SQLITE_COLUMNS
    )  # fmt: skip
    connection.execute(f"CREATE TABLE sessions ({columns})")
    return connection


def minsky_sqlite_write(path: str, records: list[Any] | None = None) -> None:
    """A sessions.db of the sample's records that a SQLite table can hold (unique ids,
    an id and createdAt present)."""
    records = minsky_sample_records() if records is None else records
    connection = minsky_sqlite_create(path)
    rows: dict[str, tuple] = {}
    for record in records:
        ids = ("sessionId", "session", "sessionName", "name")
        if isinstance(record, dict) and record.get("createdAt") is not None:
            if not any(k in record for k in ids):
                continue
            row = sqlite_row(record)
            rows[row[0]] = row
    marks = ", ".join("?" * len(SQLITE_COLUMNS))
    with connection:
        connection.executemany(f"INSERT INTO sessions VALUES ({marks})", list(rows.values()))
    connection.close()


def minsky_sample_write(path: str) -> None:
    """make_sample_store: a sessions.db when DEST ends in `.db`, else a session-db.json."""
    if path.endswith(".db"):
        minsky_sqlite_write(path)
    else:
        minsky_json_write(path)
