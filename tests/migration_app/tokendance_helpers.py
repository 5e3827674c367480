"""TokenDance source databases for tests: SQLite files and scratch PostgreSQL databases
with TokenDance's real table shapes (migration_app/legacy/tokendance_schema.py)."""

import contextlib
import os
import uuid

import pytest
from django.test import TestCase

from migration_app.legacy.tokendance_sample import SourceRows, sqlite_write
from migration_app.models import MigrationRun
from tests.migration_app.legacy_helpers import legacy_import_run

PG_SERVER = os.environ.get("TOKENDANCE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def pg_source(rows: SourceRows):
    """A scratch PostgreSQL database holding `rows` (dropped afterwards); yields its URL."""
    import psycopg

    name = f"sh_h_td_src_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    try:
        with psycopg.connect(url) as connection:
            rows.write(connection, "postgresql")
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class SourceMaker:
    """Writes a SourceRows as the vendor under test and returns its location."""

    def __init__(self, vendor: str, tmp_path, stack: contextlib.ExitStack):
        self.vendor = vendor
        self.tmp_path = tmp_path
        self.stack = stack
        self.n = 0

    def __call__(self, rows: SourceRows) -> str:
        self.n += 1
        if self.vendor == "sqlite":
            path = str(self.tmp_path / f"tokendance-{self.n}.sqlite3")
            sqlite_write(path, rows)
            return path
        return self.stack.enter_context(pg_source(rows))


@pytest.fixture(params=["sqlite", "postgresql"])
def make_source(request, tmp_path):
    """Build a TokenDance source database, once as a SQLite file and once on PostgreSQL."""
    if request.param == "postgresql" and not pg_available():
        pytest.skip(f"no PostgreSQL server at {PG_SERVER}")
    with contextlib.ExitStack() as stack:
        yield SourceMaker(request.param, tmp_path, stack)


@pytest.fixture
def make_sqlite_source(tmp_path):
    with contextlib.ExitStack() as stack:
        yield SourceMaker("sqlite", tmp_path, stack)


def td_import(location: str, *, dry_run: bool = False, **request) -> MigrationRun:
    request.setdefault("source", "tokendance")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return legacy_import_run(path=location, dry_run=dry_run, **request)


def one_session_world(**session_values) -> tuple[SourceRows, dict, dict]:
    rows = SourceRows(uuid.uuid4().hex)
    workspace = rows.workspace(name="Alice", slug="alice")
    session = rows.session(workspace, **session_values)
    return rows, workspace, session
