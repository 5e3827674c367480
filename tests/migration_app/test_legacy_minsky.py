"""The minsky store reader (legacy/minsky.py): three shapes, one record form. DB-free."""

import datetime as dt
import json
import sqlite3

import pytest

from migration_app.legacy.minsky import (
    JSON,
    POSTGRES,
    SQLITE,
    MinskySourceError,
    MinskyStore,
    RawRecord,
    duplicate_losers,
    minsky_default_location,
    minsky_source_shape,
    url_without_password,
)
from migration_app.legacy.minsky_map import coerce_created_at
from migration_app.legacy.minsky_sample import (
    minsky_json_write,
    minsky_sample_records,
    minsky_sqlite_write,
)


def read_all(location):
    with MinskyStore(location) as store:
        records = [r.decode() if isinstance(r, RawRecord) else r for r in store.records(fetch=3)]
        return store.count(), records


def test_json_store_yields_every_entry_in_file_order(tmp_path):
    path = tmp_path / "session-db.json"
    minsky_json_write(str(path))
    total, records = read_all(str(path))
    assert total == len(minsky_sample_records()) == len(records)
    assert [r.position for r in records[:3]] == [1, 2, 3]
    # An entry that is not an object comes back as the reason it is rejected.
    assert records[-1] == f"entry {total} of the sessions list is not an object"


def test_the_session_id_comes_from_the_key_of_the_records_age():
    ages = [{"sessionId": "a"}, {"session": "b"}, {"sessionName": "c"}, {"name": "d"}]
    assert [RawRecord(i, d).session_id for i, d in enumerate(ages)] == ["a", "b", "c", "d"]
    # Newest key first when a record carries two (a half-migrated record).
    both = RawRecord(1, {"session": "old", "sessionId": "new"})
    assert (both.session_id, both.id_key) == ("new", "sessionId")
    assert RawRecord(1, {"repoName": "x"}).session_id is None


def test_a_bare_list_is_read_as_the_sessions(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"sessionId": "a", "repoName": "r", "createdAt": "2025-01-01"}]))
    assert read_all(str(path))[0] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not valid JSON"), ('{"sessions": 3}', "is not a list")],
)
def test_an_unreadable_json_store_is_refused(tmp_path, content, message):
    path = tmp_path / "session-db.json"
    path.write_text(content)
    with pytest.raises(MinskySourceError, match=message):
        read_all(str(path))


def test_sqlite_store_reads_camel_case_and_snake_case_liveness_columns(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path))
    total, records = read_all(str(path))
    by_id = {r.session_id: r for r in records}
    assert total == len(records) == len(by_id)
    head = by_id["6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"].data
    # JSON text decoded, the boolean text a boolean, snake_case columns camelCase.
    assert head["prApproved"] is True
    assert head["pullRequest"]["number"] == 41 and head["prState"]["exists"] is True
    assert (head["lastActivityAt"], head["commitCount"], head["agentId"]) == (
        "2025-03-02T10:30:00.000Z", 4, "claude-7c1e",
    )  # fmt: skip
    assert by_id["fix-login"].data["prApproved"] is False
    # NULL columns are left out, like an absent key in JSON.
    assert "status" not in by_id["legacy-1"].data


def test_sqlite_store_is_opened_read_only(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path))
    with (
        MinskyStore(str(path)) as store,
        pytest.raises(sqlite3.OperationalError, match="readonly"),
    ):
        store._connection.execute("DELETE FROM sessions")


def test_undecodable_json_text_is_kept_with_a_note(tmp_path):
    path = tmp_path / "sessions.db"
    minsky_sqlite_write(str(path), records=[])
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO sessions (session, repoName, createdAt, prState, prApproved) "
            "VALUES ('s', 'r', '2025-01-01', '{broken', 'maybe')"
        )
    (record,) = read_all(str(path))[1]
    assert record.data["prState"] == "{broken" and record.data["prApproved"] == "maybe"
    assert sorted(record.notes) == [
        "prApproved 'maybe' is not true/false; kept as text",
        "prState is not valid JSON; kept as text",
    ]


def test_shapes_are_told_apart_by_content_not_name(tmp_path):
    db = tmp_path / "looks.json"
    minsky_sqlite_write(str(db), records=[])
    js = tmp_path / "sessions.db.bak"
    js.write_text("{}")
    assert minsky_source_shape(str(db)) == SQLITE
    assert minsky_source_shape(str(js)) == JSON
    assert minsky_source_shape("postgres://u@h/db") == POSTGRES
    with pytest.raises(MinskySourceError, match="does not exist"):
        minsky_source_shape(str(tmp_path / "missing"))


def test_a_sqlite_file_without_a_sessions_table_is_refused(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(MinskySourceError, match="is not a minsky sessions.db"):
        read_all(str(path))


def test_default_location_is_the_xdg_state_dir(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path), "HOME": "/nowhere"}
    assert minsky_default_location(env) == f"{tmp_path}/minsky/session-db.json"
    assert minsky_default_location({"HOME": "/home/u"}) == (
        "/home/u/.local/state/minsky/session-db.json"
    )
    # Only a sessions.db there: that one.
    (tmp_path / "minsky").mkdir()
    minsky_sqlite_write(str(tmp_path / "minsky" / "sessions.db"), records=[])
    assert minsky_default_location(env) == f"{tmp_path}/minsky/sessions.db"
    # Both: the JSON file, as minsky's default.
    (tmp_path / "minsky" / "session-db.json").write_text("{}")
    assert minsky_default_location(env).endswith("session-db.json")


def test_a_url_password_is_never_kept():
    assert url_without_password("postgres://u:s3cret@db:5433/x?sslmode=require") == (
        "postgres://u@db:5433/x?sslmode=require"
    )
    assert url_without_password("postgres://u@db/x") == "postgres://u@db/x"


def _key(record):
    return coerce_created_at(record.data.get("createdAt")) or dt.datetime.min.replace(tzinfo=dt.UTC)


def test_of_two_records_with_one_id_the_later_created_at_wins():
    records = [
        RawRecord(1, {"sessionId": "x", "createdAt": "2025-02-03T00:00:00Z"}),
        RawRecord(2, {"sessionId": "x", "createdAt": "2025-02-01T00:00:00Z"}),
        RawRecord(3, {"sessionId": "y", "createdAt": "2025-01-01T00:00:00Z"}),
        RawRecord(4, {"sessionId": "x", "createdAt": 1738627200}),  # 2025-02-04, seconds
    ]
    assert duplicate_losers(records, _key) == {1: ("x", 4), 2: ("x", 4)}


def test_a_tie_goes_to_the_record_stored_later_and_unreadable_dates_lose():
    records = [
        RawRecord(1, {"session": "t", "createdAt": "2025-01-01"}),
        RawRecord(2, {"session": "t", "createdAt": "2025-01-01"}),
        RawRecord(3, {"session": "u", "createdAt": "2020-01-01"}),
        RawRecord(4, {"session": "u", "createdAt": "garbage"}),
    ]
    assert duplicate_losers(records, _key) == {1: ("t", 2), 4: ("u", 3)}
