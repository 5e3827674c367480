"""The arawn readers (migration_app/legacy/arawn.py): layout, database, log lines, files."""

import datetime as dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from migration_app.legacy.arawn import (
    ArawnError,
    arawn_db_open,
    arawn_layout,
    arawn_sessions,
    arawn_workstreams,
    log_lines,
    message_parse,
    parse_timestamp,
    secrets_dropped,
    tree_entries,
)
from migration_app.legacy.arawn_sample import SCHEMA, arawn_sample_write


def db_create(path):
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.close()


def test_the_doubled_path_of_a_real_install_is_found(tmp_path):
    sample = arawn_sample_write(str(tmp_path / "a"))
    layout = arawn_layout(sample.data_dir, workstream_ids=set(sample.workstreams))
    assert layout.tree == os.path.join(sample.data_dir, "workstreams", "workstreams")
    assert layout.db_path == os.path.join(sample.data_dir, "workstreams.db")
    # The sample also has a single-layout dir holding none of the database's workstreams.
    assert len(layout.notes) == 1 and f"{layout.tree} is used" in layout.notes[0]


def test_the_single_layout_is_used_when_it_holds_the_workstreams(tmp_path):
    db_create(tmp_path / "workstreams.db")
    (tmp_path / "workstreams" / "blog" / "work").mkdir(parents=True)
    (tmp_path / "workstreams" / "workstreams" / "other" / "work").mkdir(parents=True)
    layout = arawn_layout(str(tmp_path), workstream_ids={"blog"})
    assert layout.tree == str(tmp_path / "workstreams")
    assert "both" in layout.notes[0]


def test_only_the_single_layout_is_used_without_a_note(tmp_path):
    db_create(tmp_path / "workstreams.db")
    (tmp_path / "workstreams" / "scratch" / "sessions").mkdir(parents=True)
    layout = arawn_layout(str(tmp_path))
    assert layout.tree == str(tmp_path / "workstreams") and layout.notes == []


@pytest.mark.parametrize("key", ["database", "db_path"])
def test_the_config_names_the_database_with_either_key(tmp_path, key):
    db_create(tmp_path / "ws-store.sqlite")
    (tmp_path / "config.toml").write_text(f'[workstream]\n{key} = "ws-store.sqlite"\n')
    assert arawn_layout(str(tmp_path)).db_path == str(tmp_path / "ws-store.sqlite")


def test_a_missing_database_is_an_error_naming_the_path(tmp_path):
    (tmp_path / "config.toml").write_text('[workstream]\ndatabase = "gone.db"\n')
    with pytest.raises(ArawnError, match="gone.db"):
        arawn_layout(str(tmp_path))


def test_the_database_is_opened_read_only_and_left_unchanged(tmp_path):
    sample = arawn_sample_write(str(tmp_path / "a"))
    db = os.path.join(sample.data_dir, "workstreams.db")
    before = hashlib.sha256(Path(db).read_bytes()).hexdigest()
    conn = arawn_db_open(db)
    rows = arawn_workstreams(conn)
    sessions = list(arawn_sessions(conn))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM sessions")
    conn.close()
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == before
    by_id = {row["id"]: row for row in rows}
    assert by_id["ws-0000"]["tags"] == ["imported", "team-1"]
    assert by_id["paused-ws"]["state"] == "paused"
    assert len(sessions) == len(sample.sessions)


def test_a_file_that_is_no_sqlite_database_is_an_error(tmp_path):
    (tmp_path / "workstreams.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ArawnError, match="cannot be read"):
        arawn_db_open(str(tmp_path / "workstreams.db"))


def test_timestamps_with_nanoseconds_and_z_become_aware_utc():
    expected = dt.datetime(2026, 2, 1, 9, 0, 1, 123456, tzinfo=dt.UTC)
    assert parse_timestamp("2026-02-01T09:00:01.123456789Z") == expected
    assert parse_timestamp("2026-02-01T10:00:01.123456+01:00") == expected
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")


def line(**fields):
    base = {"id": "0b0c5b8e-0000-4000-8000-000000000001", "workstream_id": "blog",
            "role": "user", "content": "hi", "timestamp": "2026-02-01T09:00:00Z"}  # fmt: skip
    base.update(fields)
    return (json.dumps(base) + "\n").encode()


def test_the_timestamp_text_is_kept_verbatim_beside_created_at():
    parsed = message_parse(line(timestamp="2026-02-01T09:00:01.123456789Z"))
    assert parsed["extra"]["timestamp"] == "2026-02-01T09:00:01.123456789Z"
    assert parsed["created_at"] == dt.datetime(2026, 2, 1, 9, 0, 1, 123456, tzinfo=dt.UTC)


def test_roles_map_to_the_hub_with_the_original_kept():
    use = message_parse(line(role="tool_use", metadata=json.dumps(
        {"tool_id": "t1", "name": "shell", "arguments": {"cmd": "ls"}})))  # fmt: skip
    assert use["role"] == "assistant"
    assert use["tool_calls"] == [{"id": "t1", "name": "shell", "arguments": {"cmd": "ls"}}]
    assert use["extra"]["role"] == "tool_use" and use["extra"]["metadata"]["name"] == "shell"
    result = message_parse(
        line(role="tool_result", metadata=json.dumps({"tool_call_id": "t1", "success": False}))
    )
    assert (result["role"], result["tool_call_id"], result["extra"]["success"]) == (
        "tool", "t1", False,
    )  # fmt: skip
    assert message_parse(line(role="agent_push"))["role"] == "system"
    for role in ("user", "assistant", "system"):
        assert message_parse(line(role=role))["role"] == role
    with pytest.raises(ValueError, match="unknown role"):
        message_parse(line(role="robot"))


def test_secret_keys_are_dropped_from_metadata_at_any_depth():
    meta = {"arguments": {"url": "u", "api_token": "t", "nested": [{"Password": "p"}]},
            "client_secret": "s", "name": "http"}  # fmt: skip
    assert secrets_dropped(meta) == {"arguments": {"url": "u", "nested": [{}]}, "name": "http"}
    parsed = message_parse(line(role="tool_use", metadata=json.dumps(meta)))
    assert "api_token" not in json.dumps(parsed, default=str)


def test_log_lines_stream_with_offsets_and_leave_an_unfinished_last_line(tmp_path):
    log = tmp_path / "messages.jsonl"
    first, bad, third = line(), b'{"id": broken\n', line(id="0b0c5b8e-0000-4000-8000-000000000003")
    log.write_bytes(first + bad + b"\n" + third + b'{"id": "half-writ')
    got = list(log_lines(str(log)))
    assert [(g.number, g.end, bool(g.problem)) for g in got] == [
        (1, len(first), False),
        (2, len(first + bad), True),
        (4, len(first + bad) + 1 + len(third), False),
    ]
    assert "invalid JSON" in got[1].problem
    # From an offset on, numbering continues from the lines before it.
    again = list(log_lines(str(log), offset=got[1].end, lines_before=2))
    assert [(g.number, g.message["id"]) for g in again] == [(4, json.loads(third)["id"])]


def test_tree_entries_list_symlinks_as_entries_and_never_follow_them(tmp_path):
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.bin").write_bytes(b"\0\1")
    outside = tmp_path / "outside"
    (outside / "secret").mkdir(parents=True)
    os.symlink(outside, root / "link-dir")
    os.mkfifo(root / "pipe")
    got = {(e.rel, e.kind) for e in tree_entries(str(root))}
    assert got == {("a.txt", "file"), ("sub/b.bin", "file"), ("link-dir", "symlink"),
                   ("pipe", "other")}  # fmt: skip


def test_a_big_log_is_streamed_never_loaded_whole(tmp_path):
    """20 MB of lines read one at a time: the reader's memory stays far below the file."""
    import tracemalloc

    log = tmp_path / "messages.jsonl"
    with open(log, "wb") as handle:
        for n in range(12_000):
            handle.write(line(id=f"0b0c5b8e-0000-4000-8000-{n:012d}", content="x" * 1500))
    assert log.stat().st_size > 18_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in log_lines(str(log)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 12_000
    assert peak < 1_000_000, peak


def test_the_config_may_name_the_tree_directory_and_an_absolute_database(tmp_path):
    db_create(tmp_path / "elsewhere.db")
    data = tmp_path / "data"
    (data / "ws-data" / "workstreams" / "scratch" / "sessions").mkdir(parents=True)
    (data / "config.toml").write_text(
        f'[workstream]\ndata_dir = "ws-data"\ndatabase = "{tmp_path / "elsewhere.db"}"\n'
    )
    layout = arawn_layout(str(data))
    assert layout.tree == str(data / "ws-data" / "workstreams")
    assert layout.db_path == str(tmp_path / "elsewhere.db")
