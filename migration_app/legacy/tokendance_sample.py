"""Build TokenDance databases: a row builder (tests, benchmark) and the sample store of
`make_sample_store --source tokendance DEST` (a SQLite file, its session files beside it).

The sample holds every case the importer handles: mixed-case enum labels, words outside
the documented sets, a session TokenDance's own script already migrated, artifact
lineage, failed tool calls, planted secrets, a row with a wrong type, dangling
references, and session files that are fine, not UTF-8, or too large.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections import defaultdict
from typing import Any

from migration_app.legacy.tokendance_files import FILE_MAX_BYTES
from migration_app.legacy.tokendance_schema import TABLES, rows_write, schema_create

TABLE_ORDER = (
    "users", "workspaces", "projects", "sessions", "conversations", "messages", "artifacts",
    "project_versions",
)  # fmt: skip
T0 = dt.datetime(2026, 1, 20, 9, 0, 0)  # naive, as TokenDance stores it


def _id(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tokendance-sample:{seed}"))


class SourceRows:
    """Rows per table with TokenDance's defaults; every row has every column."""

    def __init__(self, seed: str = "s"):
        self.seed = seed
        self.tables: dict[str, list[dict]] = defaultdict(list)
        self._n = 0

    def _next(self, kind: str) -> str:
        self._n += 1
        return _id(f"{self.seed}:{kind}:{self._n}")

    def _add(self, table: str, values: dict, defaults: dict) -> dict:
        row = {column: None for column in TABLES[table]}
        row.update(defaults)
        row.update(values)
        self.tables[table].append(row)
        return row

    def workspace(self, **values: Any) -> dict:
        owner = values.pop("owner_id", None) or self._next("user")
        if not any(u["id"] == owner for u in self.tables["users"]):
            self.tables["users"].append({"id": owner, "email": f"{owner[:8]}@example.com"})
        return self._add(
            "workspaces",
            values,
            {
                "id": self._next("ws"), "name": "Workspace", "slug": "workspace",
                "workspace_type": "personal", "owner_id": owner, "settings": {}, "stats": {},
                "created_at": T0, "updated_at": T0,
            },
        )  # fmt: skip

    def session(self, workspace: dict, **values: Any) -> dict:
        return self._add(
            "sessions",
            values,
            {
                "id": self._next("session"), "workspace_id": workspace["id"], "title": "New Chat",
                "status": "pending", "total_tokens_used": 0, "session_type": "primary",
                "extra_data": {}, "created_at": T0, "updated_at": T0,
            },
        )  # fmt: skip

    def message(self, session: dict | None, **values: Any) -> dict:
        return self._add(
            "messages",
            values,
            {
                "id": self._next("message"), "session_id": session and session["id"],
                "role": "user", "content": "", "tokens_used": 0, "extra_data": {},
                "created_at": T0,
            },
        )  # fmt: skip

    def artifact(self, session: dict | None, **values: Any) -> dict:
        return self._add(
            "artifacts",
            values,
            {
                "id": self._next("artifact"), "session_id": session and session["id"],
                "name": "report.md", "artifact_type": "document",
                "file_path": "tokendance/artifacts/report.md", "file_size": 1024,
                "mime_type": "text/markdown", "version": 1, "is_latest": True,
                "content_preview": "", "extra_data": {}, "created_at": T0, "updated_at": T0,
            },
        )  # fmt: skip

    def project(self, workspace: dict, **values: Any) -> dict:
        return self._add(
            "projects",
            values,
            {
                "id": self._next("project"), "workspace_id": workspace["id"], "title": "Project",
                "project_type": "quick_task", "status": "draft", "intent": "",
                "context": {"decisions": [], "failures": [], "key_findings": [], "tags": []},
                "settings": {"llm_model": "claude-3-5-sonnet", "skill_id": None},
                "total_tokens_used": 0, "conversation_count": 0, "artifact_count": 0,
                "created_at": T0, "updated_at": T0,
            },
        )  # fmt: skip

    def conversation(self, project: dict, **values: Any) -> dict:
        return self._add(
            "conversations",
            values,
            {
                "id": self._next("conversation"), "project_id": project["id"],
                "title": "Initial conversation", "purpose": "general", "status": "active",
                "tokens_used": 0, "turn_count": 0, "message_count": 0, "extra_data": {},
                "created_at": T0, "updated_at": T0,
            },
        )  # fmt: skip

    def version(self, project: dict, **values: Any) -> dict:
        return self._add(
            "project_versions",
            values,
            {
                "id": self._next("version"), "project_id": project["id"], "version_number": 1,
                "snapshot": {"artifacts": [], "context": {}}, "change_type": "auto",
                "changed_by": "ai", "created_at": T0,
            },
        )  # fmt: skip

    def write(self, connection: Any, vendor: str, *, create: bool = True) -> None:
        if create:
            schema_create(connection, vendor)
        for table in TABLE_ORDER:
            rows_write(connection, vendor, table, self.tables.get(table, []))
        connection.commit()


def sqlite_write(path: str, rows: SourceRows) -> None:
    connection = sqlite3.connect(path)
    try:
        rows.write(connection, "sqlite")
    finally:
        connection.close()


def sample_rows(files_root: str) -> SourceRows:
    """The sample database; workspaces keep their files under `files_root`."""
    rows = SourceRows("sample")
    at = T0
    alice = rows.workspace(
        name="Alice's research", slug="research",
        filesystem_path=os.path.join(files_root, "alice", "research"),
        settings={"theme": "dark", "api_token": "sk-sample-PLANTED-SECRET"},
    )  # fmt: skip
    bob = rows.workspace(
        name="Bob's research", slug="research",
        filesystem_path=os.path.join(files_root, "bob", "research"),
        created_at=at + dt.timedelta(days=1),
    )  # fmt: skip
    statuses = ["pending", "PENDING", "Running", "active", "completed", "FAILED", "cancelled",
                "archived", "paused"]  # fmt: skip
    sessions = []
    for n, status in enumerate(statuses):
        workspace = alice if n % 2 == 0 else bob
        session = rows.session(
            workspace, title=f"Market research {n}" if n % 3 == 0 else f"Code review {n}",
            status=status, skill_id="deep_research_v4" if n == 0 else None,
            total_tokens_used=1000 * n, created_at=at + dt.timedelta(hours=n),
            updated_at=at + dt.timedelta(hours=n, minutes=30),
            extra_data={"client": "web", "github_token": "ghp_PLANTED-SECRET"},
            todo_list=[{"task": "collect sources", "done": n % 2 == 0}],
        )  # fmt: skip
        sessions.append(session)
        for m, role in enumerate(["USER", "Assistant", "tool", "user", "function"]):
            rows.message(
                session, role=role, content=f"message {m} of session {n}",
                created_at=at + dt.timedelta(hours=n, minutes=m),
                tool_calls=[
                    {"name": "web_search", "status": "error", "error": "Connection failed"},
                    {"name": "code_run", "status": "success", "result": "ok"},
                ] if role == "Assistant" else None,
            )  # fmt: skip
        first = rows.artifact(
            session,
            name=f"draft-{n}.md",
            is_latest=False,
            content_preview="first draft",
            artifact_type="DOCUMENT",
        )
        rows.artifact(session, name=f"draft-{n}.md", version=2, parent_version_id=first["id"],
                      content_preview="second draft",
                      artifact_type="spreadsheet" if n == 1 else "report")  # fmt: skip
    # A session TokenDance's own script already migrated.
    done = sessions[4]
    project = rows.project(
        alice,
        title=done["title"],
        status="completed",
        description=f"Migrated from session {done['id']}",
        intent="…",
    )
    conversation = rows.conversation(
        project, title=done["title"], status="completed",
        extra_data={"migrated_from_session_id": done["id"],
                    "migration_timestamp": "2026-01-22T10:00:00"},
    )  # fmt: skip
    for message in rows.tables["messages"]:
        if message["session_id"] == done["id"]:
            message["conversation_id"] = conversation["id"]
    rows.version(project, change_summary="Migrated from session")
    # Rows the import rejects: a wrong type and dangling references.
    rows.message(sessions[0], tokens_used="lots", content="a count that is text")
    rows.message(None, session_id=_id("gone"), content="its session was deleted")
    rows.artifact(None, session_id=_id("gone"), name="orphan.md")
    return rows


def _files_write(files_root: str, rows: SourceRows) -> None:
    sessions = rows.tables["sessions"]
    workspaces = {w["id"]: w for w in rows.tables["workspaces"]}
    for n, session in enumerate(sessions[:3]):
        base = os.path.join(workspaces[session["workspace_id"]]["filesystem_path"], "sessions")
        directory = os.path.join(base, session["id"])
        os.makedirs(directory)
        with open(os.path.join(directory, "task_plan.md"), "wb") as handle:
            handle.write(b"---\nstatus: in_progress\n---\n# Plan\r\n- [x] read the brief\n")
        with open(os.path.join(directory, "findings.md"), "w", encoding="utf-8") as handle:
            handle.write(f"# Findings\n\n- 市场份额 rose 3% (session {n})\n")
        with open(os.path.join(directory, "progress.md"), "w", encoding="utf-8") as handle:
            handle.write("# Progress\n\nStep 1 done.\n")
        if n == 0:
            with open(os.path.join(directory, "notes-latin1.md"), "wb") as handle:
                handle.write("Caf\xe9 notes\n".encode("latin-1"))
            with open(os.path.join(directory, "huge.log"), "wb") as handle:
                handle.write(b"x" * (FILE_MAX_BYTES + 1))


def sample_write(dest: str) -> None:
    """A SQLite TokenDance database at `dest`, its session files under `<dest>-files/`."""
    files_root = f"{dest}-files"
    rows = sample_rows(files_root)
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    sqlite_write(dest, rows)
    _files_write(files_root, rows)
