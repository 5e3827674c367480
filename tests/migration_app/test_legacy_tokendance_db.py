"""The TokenDance reader: read-only, typed rows, secrets dropped, paths mapped; and the
session-file reader."""

import sqlite3

import pytest

from migration_app.legacy import tokendance_db as reader
from migration_app.legacy import tokendance_files
from migration_app.legacy.tokendance_sample import SourceRows, sqlite_write
from tests.migration_app.tokendance_helpers import PG_SERVER, pg_available, pg_source


def small_rows() -> SourceRows:
    rows = SourceRows("reader")
    workspace = rows.workspace()
    session = rows.session(workspace)
    rows.message(session)
    return rows


def test_a_sqlite_source_is_opened_read_only(tmp_path):
    path = str(tmp_path / "td.sqlite3")
    sqlite_write(path, small_rows())
    source = reader.source_open(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        source.connection.execute("DELETE FROM sessions")
    source.close()


@pytest.mark.skipif(not pg_available(), reason=f"no PostgreSQL server at {PG_SERVER}")
def test_a_postgresql_source_is_opened_in_a_read_only_transaction():
    import psycopg

    with pg_source(small_rows()) as url:
        source = reader.source_open(url)
        assert source.vendor == "postgresql"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            source.connection.execute("DELETE FROM sessions")
        source.close()


def test_a_database_without_tokendance_tables_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE things (id TEXT)").connection.commit()
    with pytest.raises(reader.SourceError, match="not a TokenDance database: no table"):
        reader.source_open(str(path))
    with pytest.raises(reader.SourceError, match="is not a file"):
        reader.source_open(str(tmp_path))
    (tmp_path / "text.sqlite3").write_text("hello")
    with pytest.raises(reader.SourceError, match="cannot be read"):
        reader.source_open(str(tmp_path / "text.sqlite3"))


def test_values_are_checked_against_their_column_type():
    row = {"id": "m1", "tokens_used": "12x", "created_at": "2026-01-20 09:00:00"}
    problem = reader.row_convert("messages", row)
    assert str(problem) == "messages id=m1 column tokens_used: expected an integer, got str '12x'"
    ok = reader.row_convert("messages", {**row, "tokens_used": 3, "tool_calls": '[{"a": 1}]'})
    assert ok["tool_calls"] == [{"a": 1}]
    assert ok["created_at"].isoformat() == "2026-01-20T09:00:00+00:00"  # naive = UTC
    assert isinstance(
        reader.row_convert("messages", {"id": "m", "extra_data": "{"}), reader.RowProblem
    )
    assert reader.row_convert("artifacts", {"id": "a", "is_latest": 1})["is_latest"] is True


def test_secret_keys_are_dropped_at_any_depth_and_token_counts_stay():
    value = {
        "api_token": "x", "Password": "x", "clientSecret": "x", "nested": [{"apiKey": "x"}],
        "tokens_used": 3, "max_tokens": 9, "theme": "dark",
    }  # fmt: skip
    kept, dropped = reader.secrets_drop(value)
    assert kept == {"nested": [{}], "tokens_used": 3, "max_tokens": 9, "theme": "dark"}
    assert sorted(dropped) == ["Password", "api_token", "clientSecret", "nested.apiKey"]


def test_path_map_uses_the_longest_matching_prefix():
    pairs = reader.path_map_parse(["/srv=/mnt/a", "/srv/td=/mnt/b"])
    assert reader.path_mapped("/srv/td/ws", pairs) == "/mnt/b/ws"
    assert reader.path_mapped("/srv/other", pairs) == "/mnt/a/other"
    assert reader.path_mapped("/srvx/ws", pairs) == "/srvx/ws"
    with pytest.raises(ValueError, match="OLD=NEW"):
        reader.path_map_parse(["/srv"])


def test_a_password_is_never_shown():
    url = "postgres://user:hunter2@db:5432/tokendance"
    assert reader.location_redacted(url) == "postgres://user:***@db:5432/tokendance"


def test_session_files_are_read_byte_exact_and_bad_ones_say_why(tmp_path):
    directory = tmp_path / "sessions" / "s1"
    (directory / "sub").mkdir(parents=True)
    (directory / "task_plan.md").write_bytes(b"---\nstatus: done\n---\r\n# Plan \xe2\x9c\x93\n")
    (directory / "sub" / "notes.md").write_bytes(b"deep")
    (directory / "latin.md").write_bytes(b"Caf\xe9")
    (directory / "big.log").write_bytes(b"x" * 41)
    (directory / "link.md").symlink_to(tmp_path)
    found = {
        f.relative_path: f for f in tokendance_files.session_files(str(directory), max_bytes=40)
    }
    assert found["task_plan.md"].text.encode() == (directory / "task_plan.md").read_bytes()
    assert found["sub/notes.md"].text == "deep"
    assert found["latin.md"].problem == "not UTF-8 (byte 3)"
    assert found["big.log"].problem == "41 bytes, over the 40 limit"
    assert "symbolic link" in found["link.md"].problem
    assert list(tokendance_files.session_files(str(tmp_path / "missing"))) == []
