"""Opening an origin's SQLite file (migration_app/legacy/sqlite_files.py): read-only, and any
directory name opens the file it names, even one SQLite's URI syntax would misread."""

import sqlite3

import pytest

from migration_app.legacy.arawn import arawn_db_open, arawn_workstreams
from migration_app.legacy.arawn_sample import SCHEMA
from migration_app.legacy.sqlite_files import sqlite_readonly_connect

HOSTILE_DIRS = ["plain", "with space", "pct%41x", "pct%", "quest?ion", "hash#tag", "ünïcode"]


@pytest.mark.parametrize("dirname", HOSTILE_DIRS)
def test_any_directory_name_opens_the_file_it_names_read_only(tmp_path, dirname):
    path = tmp_path / dirname / "origin.db"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE marker (value TEXT)")
        conn.execute("INSERT INTO marker VALUES (?)", (dirname,))
    conn.close()
    # A decoy where a misread `%41` would point: the reader must not open it instead.
    (tmp_path / "pctAx").mkdir(exist_ok=True)

    connection = sqlite_readonly_connect(str(path))
    assert connection.execute("SELECT value FROM marker").fetchone() == (dirname,)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("DELETE FROM marker")
    connection.close()


def test_a_missing_file_is_not_created(tmp_path):
    with pytest.raises(sqlite3.OperationalError):
        sqlite_readonly_connect(str(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


def test_arawn_opens_its_database_under_a_percent_encoded_looking_directory(tmp_path):
    # Before the shared helper, arawn escaped only `?` and `#`: `%41` was decoded to `A`.
    db = tmp_path / "team%41" / "workstreams.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA)
    conn.close()
    connection = arawn_db_open(str(db))
    assert arawn_workstreams(connection) == []
    connection.close()
