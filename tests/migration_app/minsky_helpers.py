"""Helpers of the minsky import tests: runs, whole-database grep, a scratch PostgreSQL source."""

import contextlib
import json
import uuid

import pytest
from django.db import connection

from migration_app.models import MigrationRun
from migration_app.services.journal import migration_run_counts
from tests.migration_app.legacy_helpers import legacy_import_run

PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def minsky_import(location, **request):
    return legacy_import_run(path=str(location), source="minsky", **request)


def session_counts(run: MigrationRun) -> tuple[int, int, int]:
    counts = migration_run_counts(run=run)
    return counts.get("session_migrated", 0), counts.get("session_skipped", 0), counts["failed"]


def database_text() -> str:
    """Every row of every table of the hub's database, as one text to search."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


# minsky's PostgreSQL table (legacy-formats §5.5c): snake_case, the id column still `session`.
PG_SESSIONS = """
CREATE TABLE projects (id uuid PRIMARY KEY, repo_url varchar(1000));
CREATE TABLE sessions (
    session varchar(255) PRIMARY KEY, repo_name varchar(255) NOT NULL,
    repo_url varchar(1000) NOT NULL, created_at timestamptz NOT NULL,
    task_id varchar(100), pr_branch varchar(255), pr_approved varchar(10), pr_state text,
    backend_type varchar(50), pull_request text, last_activity_at text,
    last_commit_hash text, last_commit_message text, commit_count integer, status text,
    agent_id text, project_id uuid REFERENCES projects(id), interface_binding text,
    short_id text
);
CREATE UNIQUE INDEX idx_sessions_short_id_unique ON sessions (short_id);
"""


@contextlib.contextmanager
def scratch_postgres_source(rows: list[dict]):
    """A scratch PostgreSQL database holding minsky's `sessions` table; dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    name = f"sh_h_mk_src_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{PG_SERVER}/{name}") as source:
            source.execute(PG_SESSIONS)
            for row in rows:
                row = {
                    k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()
                }
                if row.get("project_id"):
                    source.execute(
                        "INSERT INTO projects VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (row["project_id"], row["repo_url"]),
                    )
                columns = ", ".join(row)
                marks = ", ".join(["%s"] * len(row))
                source.execute(
                    f"INSERT INTO sessions ({columns}) VALUES ({marks})", list(row.values())
                )
        yield f"{PG_SERVER}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
