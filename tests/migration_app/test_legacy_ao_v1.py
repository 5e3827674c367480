"""The ao V1 layout read as `ao migrate-storage` reads it (legacy-formats.md §1.2, §1.11):
key=value files converted, bare hash directories, archives, one id in two hash
directories, directories that are no projects; no database."""

import json
import os
from pathlib import Path

import pytest

from migration_app.legacy.ao_decode import key_value_convert, key_value_parse
from migration_app.legacy.ao_ts import ao_session_files, parse_ao_session
from migration_app.legacy.records import LegacyParseError
from tests.migration_app.ao_helpers import MTIME, lifecycle, parse, touch


def read(file) -> object:
    return parse_ao_session(
        Path(file.path).read_bytes(), path=file.path, session_id=file.session_id,
        project_id=file.project_id, mtime=MTIME, json_only=file.path.endswith(".json"),
        archived=file.archived, project_from_file=file.project_from_file,
    )  # fmt: skip


def test_key_value_files_read_as_migrate_storage_converts_them():
    text = (
        "worktree=/w/app-3\nbranch=feat/x\nstatus=working\nprAutoDetect=on\n"
        "dashboardPort=3000\nterminalWsPort=3001\nagent=claude-code\nclaudeSessionUuid=u-3\n"
        f"statePayload={json.dumps(lifecycle('idle'))}\nstateVersion=2\n"
        'runtimeHandle={"id": "t", "runtimeName": "tmux", "data": {}}\n'
        "summary=\ncustomKey= kept = as text \n# a comment\n"
    )
    record = parse(text.encode(), session_id="app-3", json_only=False)
    assert record.branch == "feat/x" and record.legacy_status == "idle"
    assert record.agent_session_id == "u-3"
    metadata = record.metadata
    assert metadata["prAutoDetect"] is True
    assert metadata["dashboard"] == {"port": 3000, "terminalWsPort": 3001}
    assert metadata["lifecycle"] == lifecycle("idle")
    assert metadata["runtimeHandle"] == {"id": "t", "runtimeName": "tmux", "data": {}}
    assert metadata["customKey"] == "kept = as text"
    # Dropped as migrate-storage drops them: the flat status beside a lifecycle, the
    # version, the flat ports, and empty values.
    for key in ("status", "stateVersion", "statePayload", "dashboardPort", "summary"):
        assert key not in metadata


@pytest.mark.parametrize(
    "flag, value", [("on", True), ("true", True), ("off", False), ("false", False)]
)
def test_pr_auto_detect_flags_become_booleans(flag, value):
    converted = key_value_convert(key_value_parse(f"prAutoDetect={flag}\n", path="p"))
    assert converted["prAutoDetect"] is value


def test_a_flat_status_stays_without_a_lifecycle_and_a_bad_payload_stays_text():
    converted = key_value_convert(
        key_value_parse("status=pr_open\nstatePayload={broken\n", path="p")
    )
    assert converted == {"status": "pr_open", "statePayload": "{broken"}


def test_lines_without_an_equals_sign_are_ignored_but_a_file_needs_one():
    assert key_value_parse("status=working\njust words\n", path="p") == {"status": "working"}
    with pytest.raises(LegacyParseError, match="key=value"):
        parse(b"just words\n", session_id="app-3", json_only=False)


def test_v1_archives_are_walked_only_when_asked_and_read_as_terminated(tmp_path):
    sessions = tmp_path / "0123456789ab-app/sessions"
    touch(sessions / "app-4", b"status=working\n")
    touch(sessions / "archive/app-4_20260420T143052Z", b"status=working\n")
    touch(sessions / "archive/my_app-5_2026-04-20T14:30:52.000Z.json", b'{"status": "idle"}')
    touch(sessions / "archive/my_app-5_2026-04-21T00:00:00.000Z.json", b'{"status": "idle"}')
    touch(sessions / "archive/notes.txt")
    assert [f.session_id for f in ao_session_files(str(tmp_path))] == ["app-4"]
    files = list(ao_session_files(str(tmp_path), include_archive=True))
    assert [(f.session_id, f.archived, bool(f.skip_reason)) for f in files] == [
        ("app-4", False, False),
        ("app-4", True, True),  # the live file of the same id wins
        ("my_app-5", True, False),
        ("my_app-5", True, True),  # an earlier archive of it was read
    ]
    record = read(files[2])
    assert record.is_terminated and record.activity_state == "exited"
    assert record.legacy_status == "idle" and record.archived_at is not None


def test_bare_hash_directories_take_each_sessions_own_project(tmp_path):
    sessions = tmp_path / "0123456789ab/sessions"
    touch(sessions / "app-1", b"project=app\nstatus=working\n")
    touch(sessions / "app-2", b"status=working\n")
    files = list(ao_session_files(str(tmp_path)))
    assert all(f.project_from_file for f in files)
    first, second = (read(f) for f in files)
    assert first.project_id == "app" and not first.notes
    assert second.project_id == "0123456789ab"
    assert "named after the directory" in second.notes[0]


def test_one_id_in_two_hash_directories_is_resolved_as_migrate_storage_does(tmp_path):
    older = tmp_path / "0123456789ab-app/sessions/app-1"
    newer = tmp_path / "ba9876543210-app/sessions/app-1"
    touch(older, b"status=working\ncreatedAt=2026-01-02T00:00:00Z\n")
    touch(newer, b"status=idle\ncreatedAt=2026-01-03T00:00:00Z\n")
    files = {f.path: f for f in ao_session_files(str(tmp_path))}
    assert files[str(newer)].session_id == "app-1"  # the newest keeps the id
    loser = files[str(older)]
    assert loser.session_id == "app-1__from-0123456789ab"
    assert str(newer) in loser.note and "app-1__from-0123456789ab" in loser.note
    # Same createdAt: the later mtime wins, then the greater path.
    touch(older, b"status=working\n")
    touch(newer, b"status=idle\n")
    os.utime(older, (MTIME + 5, MTIME + 5))
    os.utime(newer, (MTIME, MTIME))
    files = {f.path: f.session_id for f in ao_session_files(str(tmp_path))}
    assert files[str(older)] == "app-1" and files[str(newer)] == "app-1__from-ba9876543210"


def test_observability_and_migrated_directories_are_no_projects(tmp_path):
    touch(tmp_path / "0123456789ab-observability/sessions/x-1", b"status=working\n")
    touch(tmp_path / "0123456789ab-app.migrated/sessions/x-2", b"status=working\n")
    touch(tmp_path / "0123456789ab.migrated/sessions/x-3", b"status=working\n")
    touch(tmp_path / "not-a-hash-dir/sessions/x-4", b"status=working\n")
    assert list(ao_session_files(str(tmp_path), include_archive=True)) == []
