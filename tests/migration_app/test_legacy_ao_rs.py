"""The ao-rs YAML reader (legacy-formats.md §4.6 checklist); no database."""

import datetime as dt
from pathlib import Path

import pytest

from migration_app.legacy.ao_rs import ao_rs_session_files, parse_ao_rs_session
from migration_app.legacy.records import LegacyParseError

MTIME = 1_767_225_600.0
UTC = dt.UTC
MINIMAL = """\
id: 3f1c0a2e-1b2a-4c3d-8e9f-0a1b2c3d4e5f
project_id: demo
status: working
branch: ao-3f1c0a2e
task: fix it
workspace_path: null
runtime_handle: null
created_at: 1767225600000
"""


def parse(text, archived=False, dir_project_id="dirproj"):
    return parse_ao_rs_session(
        text.encode(), path="/s/demo/x.yaml", dir_project_id=dir_project_id, mtime=MTIME,
        archived=archived,
    )  # fmt: skip


def test_old_yaml_without_activity_still_reads_with_defaults():
    record = parse(MINIMAL)
    assert record.id == "3f1c0a2e-1b2a-4c3d-8e9f-0a1b2c3d4e5f" and record.project_id == "demo"
    assert record.agent == "claude-code"  # the ao-rs default
    assert (record.status, record.activity_state, record.is_terminated) == (
        "running", "idle", False,
    )  # fmt: skip
    assert record.created_at == dt.datetime(2026, 1, 1, tzinfo=UTC)  # epoch ms
    assert record.updated_at == record.activity_last_at == dt.datetime.fromtimestamp(MTIME, UTC)
    assert (record.prompt, record.branch, record.workspace_path) == ("fix it", "ao-3f1c0a2e", "")
    assert record.num_hint is None  # a UUID carries no number
    assert record.metadata == {"runtime_handle": None}


def test_project_id_defaults_to_the_directory():
    record = parse(MINIMAL.replace("project_id: demo\n", ""))
    assert record.project_id == "dirproj"


@pytest.mark.parametrize(
    "status, activity, expected",
    [
        ("spawning", None, ("pending", "idle", False)),
        ("spawning", "ready", ("pending", "idle", False)),
        ("working", "active", ("running", "active", False)),
        ("merge_failed", None, ("running", "idle", False)),
        ("pr_open", "blocked", ("running", "blocked", False)),
        ("needs_input", None, ("running", "waiting_input", False)),
        ("needs_input", "idle", ("running", "idle", False)),
        ("working", "exited", ("running", "exited", True)),  # exited terminates
        ("merged", None, ("completed", "exited", True)),
        ("done", "active", ("completed", "exited", True)),
        ("cleanup", None, ("completed", "exited", True)),
        ("errored", None, ("failed", "exited", True)),
        ("killed", None, ("cancelled", "exited", True)),
        ("terminated", None, ("cancelled", "exited", True)),
    ],
)
def test_status_and_activity_follow_the_status_vocabulary(status, activity, expected):
    text = MINIMAL.replace("status: working", f"status: {status}")
    if activity:
        text += f"activity: {activity}\n"
    record = parse(text)
    assert (record.status, record.activity_state, record.is_terminated) == expected
    assert record.legacy_status == status


def test_u64_values_beyond_signed_64_bit_stay_exact_as_strings():
    text = MINIMAL + (
        f"last_review_backlog_fingerprint: {2**64 - 1}\n"
        f"last_automated_review_fingerprint: {2**63 - 1}\n"
        f"last_automated_review_dispatch_hash: {2**63}\n"
    )
    metadata = parse(text).metadata
    assert metadata["last_review_backlog_fingerprint"] == "18446744073709551615"
    assert metadata["last_automated_review_fingerprint"] == 2**63 - 1
    assert metadata["last_automated_review_dispatch_hash"] == str(2**63)


def test_cost_agent_config_claimed_pr_and_prompt_override_land_in_metadata():
    text = MINIMAL + (
        "agent: opencode\n"
        "agent_config: {permissions: auto-edit, opencodeSessionId: oc-9}\n"
        "cost: {input_tokens: 10, output_tokens: 2}\n"
        "claimed_pr_number: 12\nclaimed_pr_url: https://x/pr/12\n"
        "initial_prompt_override: do this\nspawned_by: parent-1\n"
        "issue_id: '42'\nissue_url: https://x/issues/42\n"
    )
    record = parse(text)
    assert record.metadata["cost"] == {"input_tokens": 10, "output_tokens": 2}
    assert record.metadata["claimed_pr_number"] == 12
    assert record.metadata["initial_prompt_override"] == "do this"
    assert record.metadata["spawned_by"] == "parent-1"
    assert (record.issue_id, record.issue_url) == ("42", "https://x/issues/42")
    assert record.agent == "opencode" and record.agent_session_id == "oc-9"


def test_archived_sessions_are_terminated_and_archived():
    record = parse(MINIMAL, archived=True)
    assert record.is_terminated and record.activity_state == "exited"
    assert record.archived_at == dt.datetime.fromtimestamp(MTIME, UTC)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("this: is: not: valid: yaml: [", "invalid YAML"),
        ("- a\n- b\n", "not a mapping"),
        (MINIMAL.replace("status: working", "status: exploding"), "unknown status"),
        (MINIMAL.replace("created_at: 1767225600000", "created_at: soon"), "epoch milliseconds"),
        (MINIMAL.replace("branch: ao-3f1c0a2e", "branch: 123"), "branch must be a string"),
        (MINIMAL.replace("id: 3f1c", "id: [3f1c]\nx: 3f1c"), "id is missing"),
        (MINIMAL + "activity: dancing\n", "unknown status"),
        # Values PyYAML cannot build raise other exceptions than YAMLError.
        (MINIMAL + "when: 2026-13-45\n", "invalid YAML value: ValueError"),
        (MINIMAL + "big: " + "9" * 5000 + "\n", "invalid YAML value: ValueError"),
    ],
)
def test_unreadable_yaml_is_rejected_with_a_reason(text, reason):
    with pytest.raises(LegacyParseError) as info:
        parse(text)
    assert reason in info.value.reason


def write(path: Path, text: str = MINIMAL) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_walk_ignores_tmp_files_and_reads_archive_only_when_asked(tmp_path):
    write(tmp_path / "demo/a.yaml")
    write(tmp_path / "demo/b.yaml.tmp")
    write(tmp_path / "demo/c.yaml", "")
    write(tmp_path / "demo/.archive/d.yaml")
    write(tmp_path / "other/e.yaml")
    write(tmp_path / "stray.yaml")
    live = {(f.project_id, f.session_id, f.skip_reason) for f in ao_rs_session_files(
        str(tmp_path), include_archive=False)}  # fmt: skip
    assert live == {("demo", "a", ""), ("demo", "c", "0-byte file"), ("other", "e", "")}
    everything = {f.session_id for f in ao_rs_session_files(str(tmp_path), include_archive=True)}
    assert everything == {"a", "c", "d", "e"}


def test_flow_collections_nested_a_hundred_thousand_deep_are_a_reason_not_a_crash():
    # libyaml's C parser would overflow the C stack here and kill the whole import.
    deep = MINIMAL + "cost: " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(LegacyParseError, match="nested too deeply"):
        parse(deep)


def test_aliases_that_expand_to_millions_of_values_are_refused():
    levels = "".join(
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 8)
    )  # 10**8 values once expanded, from a few hundred bytes
    bomb = MINIMAL + "l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + levels
    with pytest.raises(LegacyParseError, match="more than 1,000,000 values"):
        parse(bomb)


def test_a_prompt_with_many_brackets_still_reads():
    brackets = "[" * 1_500  # past the C parser's limit: read by the Python parser
    record = parse(MINIMAL.replace("task: fix it", f"task: '{brackets}'"))
    assert record.prompt == brackets


@pytest.mark.parametrize("value", ["0", None])
def test_created_at_zero_or_absent_is_unknown_not_1970(value):
    text = MINIMAL.replace("created_at: 1767225600000", f"created_at: {value}" if value else "")
    record = parse(text)
    assert record.created_at == dt.datetime.fromtimestamp(MTIME, UTC)  # the file's mtime
    assert "created_at" in record.notes[0] and "modification time" in record.notes[0]


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00", b"id: x\xff\xfe\n"])
def test_a_binary_file_is_rejected_as_not_utf8_text(data):
    with pytest.raises(LegacyParseError, match="not UTF-8 text"):
        parse_ao_rs_session(data, path="/s/demo/x.yaml", dir_project_id="demo", mtime=MTIME)
