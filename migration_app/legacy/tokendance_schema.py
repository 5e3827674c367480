"""TokenDance's table shapes (legacy-formats.md §7.1): the reader's column kinds
(tokendance_db.COLUMNS), and source databases for the sample store, the tests and the
benchmark. Pure DB-API, no ORM.

PostgreSQL gets TokenDance's real enum types, with both lower- and upper-case labels
(the mixed-case trap, §7.1), JSON columns and naive timestamps; SQLite gets what
SQLAlchemy creates there (VARCHAR enums, JSON as text, no enforced foreign keys).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

ENUMS = {
    "sessionstatus": (
        "pending", "active", "running", "completed", "failed", "cancelled", "archived",
        "PENDING", "RUNNING", "CANCELLED", "COMPLETED", "FAILED", "ACTIVE", "ARCHIVED",
        "paused",  # a label outside the documented set (drift)
    ),
    "sessiontype": (
        "primary", "retry", "branch", "background", "PRIMARY", "RETRY", "BRANCH", "BACKGROUND",
    ),
    "messagerole": (
        "user", "assistant", "system", "tool", "USER", "ASSISTANT", "SYSTEM", "TOOL", "function",
    ),
    "artifacttype": (
        "document", "ppt", "report", "code", "data", "image", "kv_snapshot",
        "DOCUMENT", "PPT", "REPORT", "CODE", "DATA", "IMAGE", "KV_SNAPSHOT", "spreadsheet",
    ),
    "projecttype": ("research", "document", "slides", "code", "data_analysis", "quick_task"),
    "projectstatus": ("draft", "in_progress", "completed", "archived"),
    "conversationstatus": ("active", "completed"),
    "conversationpurpose": ("general", "initial_draft", "refinement", "review", "export"),
    "changetype": ("auto", "manual", "milestone", "rollback"),
    "workspacetype": ("personal", "team"),
}  # fmt: skip

# table -> {column: SQL type}, with `{enum:name}`, `{json}`, `{ts}`, `{bool}` placeholders.
TABLES = {
    "users": {"id": "VARCHAR(36) PRIMARY KEY", "email": "VARCHAR(255) NOT NULL"},
    "workspaces": {
        "id": "VARCHAR(36) PRIMARY KEY", "name": "VARCHAR(100) NOT NULL",
        "slug": "VARCHAR(100) NOT NULL", "description": "TEXT",
        "workspace_type": "{enum:workspacetype}", "owner_id": "VARCHAR(36) REFERENCES users(id)",
        "team_id": "VARCHAR(36)", "filesystem_path": "VARCHAR(500)", "settings": "{json}",
        "stats": "{json}", "created_at": "{ts} NOT NULL", "updated_at": "{ts} NOT NULL",
        "last_accessed_at": "{ts}",
    },
    "projects": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "workspace_id": "VARCHAR(36) NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE",
        "title": "VARCHAR(200) NOT NULL", "description": "TEXT",
        "project_type": "{enum:projecttype} NOT NULL", "status": "{enum:projectstatus} NOT NULL",
        "intent": "TEXT NOT NULL", "context": "{json} NOT NULL", "settings": "{json} NOT NULL",
        "total_tokens_used": "INTEGER NOT NULL DEFAULT 0",
        "conversation_count": "INTEGER NOT NULL DEFAULT 0",
        "artifact_count": "INTEGER NOT NULL DEFAULT 0",
        "created_at": "{ts} NOT NULL", "updated_at": "{ts} NOT NULL", "last_accessed_at": "{ts}",
    },
    "sessions": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "workspace_id": "VARCHAR(36) NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE",
        "agent_config_id": "VARCHAR(36)", "title": "VARCHAR(200) NOT NULL",
        "status": "{enum:sessionstatus} NOT NULL", "skill_id": "VARCHAR(100)",
        "context_summary": "TEXT", "todo_list": "{json}",
        "total_tokens_used": "INTEGER NOT NULL DEFAULT 0", "conversation_id": "VARCHAR(36)",
        "turn_id": "VARCHAR(26)", "session_type": "{enum:sessiontype}",
        "extra_data": "{json} NOT NULL", "created_at": "{ts} NOT NULL",
        "updated_at": "{ts} NOT NULL", "completed_at": "{ts}",
    },
    "conversations": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "project_id": "VARCHAR(36) NOT NULL REFERENCES projects(id) ON DELETE CASCADE",
        "current_session_id": "VARCHAR(36) REFERENCES sessions(id) ON DELETE SET NULL",
        "title": "VARCHAR(200) NOT NULL", "purpose": "{enum:conversationpurpose} NOT NULL",
        "status": "{enum:conversationstatus} NOT NULL", "selection_context": "{json}",
        "context_summary": "TEXT", "tokens_used": "INTEGER NOT NULL DEFAULT 0",
        "turn_count": "INTEGER NOT NULL DEFAULT 0", "message_count": "INTEGER NOT NULL DEFAULT 0",
        "shared_memory": "{json}", "last_message_at": "{ts}", "extra_data": "{json} NOT NULL",
        "created_at": "{ts} NOT NULL", "updated_at": "{ts} NOT NULL", "completed_at": "{ts}",
    },
    "messages": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "session_id": "VARCHAR(36) REFERENCES sessions(id) ON DELETE CASCADE",
        "conversation_id": "VARCHAR(36) REFERENCES conversations(id) ON DELETE CASCADE",
        "turn_id": "VARCHAR(26)", "role": "{enum:messagerole} NOT NULL", "content": "TEXT",
        "thinking": "TEXT", "tool_calls": "{json}", "tool_call_id": "VARCHAR(100)",
        "citations": "{json}", "tokens_used": "INTEGER NOT NULL DEFAULT 0",
        "full_result_ref": "VARCHAR(500)", "extra_data": "{json}", "feedback": "VARCHAR(20)",
        "feedback_at": "{ts}", "created_at": "{ts} NOT NULL",
    },
    "artifacts": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "project_id": "VARCHAR(36) REFERENCES projects(id) ON DELETE CASCADE",
        "session_id": "VARCHAR(36) REFERENCES sessions(id) ON DELETE CASCADE",
        "name": "VARCHAR(255) NOT NULL", "description": "TEXT",
        "artifact_type": "{enum:artifacttype} NOT NULL", "file_path": "VARCHAR(500)",
        "file_size": "BIGINT", "mime_type": "VARCHAR(100)", "preview_url": "VARCHAR(500)",
        "thumbnail_url": "VARCHAR(500)", "version": "INTEGER NOT NULL DEFAULT 1",
        "parent_version_id": "VARCHAR(36) REFERENCES artifacts(id)",
        "is_latest": "{bool} NOT NULL", "content_preview": "TEXT", "word_count": "INTEGER",
        "parent_step": "VARCHAR(100)", "parent_message_id": "VARCHAR(36)",
        "kv_anchor_id": "VARCHAR(36)", "context_length": "INTEGER", "extra_data": "{json}",
        "created_at": "{ts} NOT NULL", "updated_at": "{ts} NOT NULL",
    },
    "project_versions": {
        "id": "VARCHAR(36) PRIMARY KEY",
        "project_id": "VARCHAR(36) NOT NULL REFERENCES projects(id) ON DELETE CASCADE",
        "version_number": "INTEGER NOT NULL", "snapshot": "{json} NOT NULL",
        "change_summary": "TEXT", "change_type": "{enum:changetype} NOT NULL",
        "changed_by": "VARCHAR(50)", "created_at": "{ts} NOT NULL",
    },
}  # fmt: skip
_INDEXES = (
    "CREATE INDEX ix_sessions_workspace_id ON sessions (workspace_id)",
    "CREATE INDEX ix_messages_session_id ON messages (session_id)",
    "CREATE INDEX ix_messages_conversation_id ON messages (conversation_id)",
    "CREATE INDEX ix_artifacts_session_id ON artifacts (session_id)",
)


_ENUM = re.compile(r"\{enum:(\w+)\}")


def _type(spec: str, vendor: str) -> str:
    pg = vendor == "postgresql"
    spec = spec.replace("{json}", "JSON").replace("{bool}", "BOOLEAN")
    spec = spec.replace("{ts}", "TIMESTAMP WITHOUT TIME ZONE" if pg else "DATETIME")
    return _ENUM.sub(r"\1" if pg else "VARCHAR(20)", spec)


def schema_statements(vendor: str) -> list[str]:
    statements = []
    if vendor == "postgresql":
        for name, labels in ENUMS.items():
            quoted = ", ".join(f"'{label}'" for label in labels)
            statements.append(f"CREATE TYPE {name} AS ENUM ({quoted})")
    for table, columns in TABLES.items():
        body = ", ".join(f"{name} {_type(spec, vendor)}" for name, spec in columns.items())
        statements.append(f"CREATE TABLE {table} ({body})")
    return statements + list(_INDEXES)


def schema_create(connection: Any, vendor: str) -> None:
    cursor = connection.cursor()
    for statement in schema_statements(vendor):
        cursor.execute(statement)


def _db_value(table: str, column: str, value: Any, vendor: str) -> Any:
    json_column = "{json}" in TABLES.get(table, {}).get(column, "")
    if json_column and value is not None and not isinstance(value, str):
        import json

        value = json.dumps(value, ensure_ascii=False)
    if vendor == "sqlite" and hasattr(value, "isoformat"):
        value = value.isoformat(sep=" ")
    return value


def rows_write(connection: Any, vendor: str, table: str, rows: Iterable[dict]) -> None:
    """Insert rows (dicts with the same keys) with executemany, values as TokenDance stores them."""
    rows = list(rows)
    if not rows:
        return
    columns = list(rows[0])
    mark = "%s" if vendor == "postgresql" else "?"
    casts = [_cast(table, c, vendor) for c in columns]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark + cast for cast in casts)})"
    )
    values = [tuple(_db_value(table, c, row[c], vendor) for c in columns) for row in rows]
    connection.cursor().executemany(sql, values)


def _cast(table: str, column: str, vendor: str) -> str:
    """PostgreSQL needs text cast to its enum and JSON types."""
    if vendor != "postgresql":
        return ""
    spec = TABLES[table][column]
    if enum := _ENUM.search(spec):
        return f"::{enum[1]}"
    return "::json" if "{json}" in spec else ""
