"""The ao reader's sessions (legacy-formats.md §1.4–§1.9): mapping, the status ao shows,
the quarantine rewrite, rejects, the V2 walk; no database."""

import datetime as dt
import json

import pytest

from migration_app.legacy.ao_ts import ao_session_files
from migration_app.legacy.records import LegacyParseError, project_id_problem, trailing_num
from tests.migration_app.ao_helpers import MTIME, UTC, lifecycle, parse, touch


def test_a_real_shaped_v2_orchestrator_record_maps_every_column():
    record = parse(
        {
            "role": "orchestrator",
            "agent": "claude-code",
            "branch": "orchestrator/app-orchestrator",
            "worktree": "/home/u/wt/app",
            "userPrompt": "Coordinate",
            "displayName": "Main",
            "issue": "42",
            "claudeSessionUuid": "6f1c-uuid",
            "createdAt": "2026-03-01T10:00:00.000Z",
            "lifecycle": lifecycle(lastTransitionAt="2026-03-01T11:00:00Z"),
            "tmuxName": "abc-app-orchestrator",
        },
        session_id="app-orchestrator",
    )
    assert record.id == "app-orchestrator" and record.project_id == "app"
    assert record.kind == "orchestrator" and record.num_hint is None
    assert (record.status, record.activity_state, record.is_terminated) == (
        "running", "active", False,
    )  # fmt: skip
    assert record.legacy_status == "working"
    assert record.agent_session_id == "6f1c-uuid"
    assert (record.prompt, record.display_name, record.issue_id) == ("Coordinate", "Main", "42")
    assert record.branch == "orchestrator/app-orchestrator"
    assert record.workspace_path == "/home/u/wt/app"
    assert record.created_at == dt.datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert record.updated_at == record.activity_last_at == record.first_signal_at
    assert record.activity_last_at == dt.datetime(2026, 3, 1, 11, tzinfo=UTC)
    # Unmapped keys stay verbatim; mapped ones do not repeat in metadata.
    assert record.metadata["tmuxName"] == "abc-app-orchestrator"
    assert "lifecycle" in record.metadata
    assert "branch" not in record.metadata and "claudeSessionUuid" not in record.metadata


@pytest.mark.parametrize(
    "state, reason, expected, shows",
    [
        ("not_started", None, ("pending", "idle", False), "spawning"),
        ("working", None, ("running", "active", False), "working"),
        ("idle", None, ("running", "idle", False), "idle"),
        ("detecting", None, ("running", "idle", False), "detecting"),
        ("stuck", None, ("running", "idle", False), "stuck"),
        ("needs_input", None, ("running", "waiting_input", False), "needs_input"),
        ("done", None, ("completed", "exited", True), "done"),
        ("terminated", "manually_killed", ("cancelled", "exited", True), "killed"),
        ("terminated", "runtime_lost", ("cancelled", "exited", True), "killed"),
        ("terminated", "error_in_process", ("failed", "exited", True), "errored"),
        ("terminated", "probe_failure", ("failed", "exited", True), "errored"),
        ("terminated", "pr_merged", ("completed", "exited", True), "cleanup"),
        ("terminated", "auto_cleanup", ("completed", "exited", True), "cleanup"),
        ("terminated", "agent_process_exited", ("cancelled", "exited", True), "terminated"),
    ],
)
def test_lifecycle_states_follow_the_status_vocabulary(state, reason, expected, shows):
    """status/activity/scope from the state (DESIGN.md); legacy_status is what ao shows."""
    record = parse({"lifecycle": lifecycle(state, reason)})
    assert (record.status, record.activity_state, record.is_terminated) == expected
    assert record.legacy_status == shows


@pytest.mark.parametrize(
    "state, pr, shows",
    [
        ("idle", ("merged", "merged"), "merged"),
        ("working", ("merged", "merged"), "merged"),
        ("idle", ("open", "ci_failing"), "ci_failed"),
        ("working", ("open", "changes_requested"), "changes_requested"),
        ("idle", ("open", "review_pending"), "review_pending"),
        ("idle", ("open", "approved"), "approved"),
        ("working", ("open", "merge_ready"), "mergeable"),
        ("idle", ("open", "in_progress"), "pr_open"),
        ("idle", ("closed", "closed_unmerged"), "idle"),
        ("needs_input", ("merged", "merged"), "needs_input"),  # only idle/working look at the PR
    ],
)
def test_idle_and_working_show_their_pr_state_as_ao_does(state, pr, shows):
    record = parse({"lifecycle": lifecycle(state, pr=pr)})
    assert record.legacy_status == shows
    # The session state still decides status and scope: a merged PR does not end it.
    assert not record.is_terminated and record.status == "running"
    assert record.metadata["lifecycle"]["pr"] == {"state": pr[0], "reason": pr[1]}


def test_a_lifecycle_without_its_pr_part_reads_the_pr_from_the_flat_keys():
    """ao fills a missing `pr` part from the flat `pr` URL and `status`."""
    life = lifecycle("idle")
    del life["pr"]
    assert parse({"lifecycle": life}).legacy_status == "idle"
    with_url = parse({"lifecycle": life, "pr": "https://github.com/a/b/pull/1"})
    assert with_url.legacy_status == "pr_open"
    merged = parse({"lifecycle": life, "pr": "https://github.com/a/b/pull/1", "status": "merged"})
    assert merged.legacy_status == "merged"


def test_the_file_ao_rewrites_after_quarantine_reads_as_unknown():
    """No lifecycle, no status: ao lists the session with status `unknown`."""
    record = parse({"branch": "feat/x", "worktree": "/w/x"})
    assert record.legacy_status == "unknown"
    assert (record.status, record.activity_state, record.is_terminated) == (
        "pending", "idle", False,
    )  # fmt: skip
    assert record.branch == "feat/x" and record.workspace_path == "/w/x"
    assert parse({"status": "unknown"}).legacy_status == "unknown"  # ao's word, kept


def test_the_walk_names_the_quarantined_sibling(tmp_path):
    sessions = tmp_path / "projects/app/sessions"
    touch(sessions / "app-1.json", b'{"branch": "b", "worktree": "/w"}')
    touch(sessions / "app-1.json.corrupt-1767225700123", b'{"bra')
    touch(sessions / "app-1.json.lock", b"")
    files = {f.path.rsplit("/", 1)[1]: f for f in ao_session_files(str(tmp_path))}
    assert set(files) == {"app-1.json", "app-1.json.corrupt-1767225700123"}
    assert "app-1.json.corrupt-1767225700123" in files["app-1.json"].note
    assert files["app-1.json.corrupt-1767225700123"].skip_reason == "corrupt-marked file"


def test_an_archived_lifecycle_is_terminated_as_migrate_storage_flattens_it():
    working = parse({"lifecycle": lifecycle("working")}, archived=True)
    assert working.is_terminated and working.status == "cancelled"
    assert working.legacy_status == "terminated"  # reason kept: not a kill
    killed = parse({"lifecycle": lifecycle("idle", "manually_killed")}, archived=True)
    assert killed.legacy_status == "killed"
    done = parse({"lifecycle": lifecycle("done", "research_complete")}, archived=True)
    assert done.legacy_status == "done" and done.status == "completed"
    assert parse({"branch": "b"}, archived=True).legacy_status == "terminated"


@pytest.mark.parametrize(
    "status, expected",
    [
        ("spawning", ("pending", "idle", False)),
        ("working", ("running", "active", False)),
        ("needs_input", ("running", "waiting_input", False)),
        ("pr_open", ("running", "idle", False)),
        ("ci_failed", ("running", "idle", False)),
        ("mergeable", ("running", "idle", False)),
        ("stuck", ("running", "idle", False)),
        ("done", ("completed", "exited", True)),
        ("cleanup", ("completed", "exited", True)),
        ("merged", ("completed", "exited", True)),
        ("errored", ("failed", "exited", True)),
        ("killed", ("cancelled", "exited", True)),
        ("terminated", ("cancelled", "exited", True)),
    ],
)
def test_flat_status_is_read_only_without_a_lifecycle(status, expected):
    record = parse({"status": status})
    assert (record.status, record.activity_state, record.is_terminated) == expected
    assert record.legacy_status == status and "status" not in record.metadata
    # With a lifecycle the flat status is ignored (and kept in metadata).
    with_lifecycle = parse({"status": status, "lifecycle": lifecycle("idle")})
    assert with_lifecycle.legacy_status == "idle"
    assert with_lifecycle.metadata["status"] == status


def test_a_double_encoded_lifecycle_and_session_are_decoded():
    inner = lifecycle("needs_input")
    inner["session"] = json.dumps(inner["session"])
    record = parse({"lifecycle": json.dumps(inner)})
    assert record.activity_state == "waiting_input"
    assert record.metadata["lifecycle"] == json.dumps(inner)  # verbatim


@pytest.mark.parametrize("version", ["2", 2])
def test_state_payload_with_state_version_2_as_string_or_number(version):
    record = parse({"statePayload": json.dumps(lifecycle("stuck")), "stateVersion": version})
    assert record.legacy_status == "stuck"


def test_state_payload_of_another_version_falls_back_to_the_flat_status():
    record = parse(
        {"statePayload": json.dumps(lifecycle("stuck")), "stateVersion": "1", "status": "working"}
    )
    assert record.legacy_status == "working"


def test_terminated_at_terminates_whatever_the_state():
    record = parse({"lifecycle": lifecycle("working", terminatedAt="2026-02-01T00:00:00Z")})
    assert record.is_terminated and record.activity_state == "exited"
    assert record.status == "running"
    assert record.terminated_at == dt.datetime(2026, 2, 1, tzinfo=UTC)


def test_timestamp_fallbacks():
    started = parse({"lifecycle": lifecycle("idle", startedAt="2026-01-05T00:00:00Z")})
    assert started.created_at == dt.datetime(2026, 1, 5, tzinfo=UTC)
    assert started.activity_last_at == started.created_at == started.updated_at
    observed = lifecycle("idle")
    observed["runtime"]["lastObservedAt"] = "2026-01-06T00:00:00Z"
    record = parse({"lifecycle": observed})
    assert record.created_at == dt.datetime.fromtimestamp(MTIME, UTC)  # file mtime
    assert record.activity_last_at == dt.datetime(2026, 1, 6, tzinfo=UTC)
    assert record.updated_at == record.created_at


@pytest.mark.parametrize(
    "agent, key, expected",
    [
        ("claude-code", "claudeSessionUuid", "u-1"),
        ("codex", "codexThreadId", "u-1"),
        ("opencode", "opencodeSessionId", "u-1"),
        ("aider", "claudeSessionUuid", ""),
    ],
)
def test_agent_session_id_is_chosen_by_harness(agent, key, expected):
    record = parse({"agent": agent, key: "u-1", "status": "working"})
    assert record.agent_session_id == expected and record.agent == agent


@pytest.mark.parametrize(
    "session_id, num",
    [
        ("app-42", 42),
        ("app-0042", 42),
        ("app-orchestrator", None),
        ("app42", None),
        ("6f1cdbb4-1b2a-4c3d-8e9f-0a1b2c3d4e5f", None),
        ("x-99999999999", None),  # does not fit Session.num
    ],
)
def test_num_is_the_trailing_integer_of_the_id(session_id, num):
    assert trailing_num(session_id) == num


def test_null_means_absent():
    record = parse({"status": "working", "branch": None, "issue": None, "worktree": None})
    assert (record.branch, record.issue_id, record.workspace_path) == ("", "", "")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "not an object"),
        (b'"text"', "not an object"),
        (b'{"status": "working", "branch": 123}', "branch must be a string"),
        (b'{"lifecycle": 42}', "lifecycle must be an object"),
        (b'{"lifecycle": "[1]"}', "lifecycle must be an object"),
        (b'{"lifecycle": "{oops"}', "not valid JSON"),
        (b'{"status": "working", "x": NaN}', "invalid JSON"),
        (b'{"status": "teleporting"}', "unknown status"),
        (b'{"lifecycle": {"session": {"state": "flying"}}}', "unknown lifecycle state"),
        (b'{"status": 3}', "status must be a string"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"status": "working", "createdAt": "yesterday"}', "not an ISO-8601"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(LegacyParseError) as info:
        parse(data)
    assert reason in info.value.reason and info.value.path == "/x/app-7.json"


def test_bool_and_legacy_string_pr_auto_detect_and_dashboard_forms_round_trip():
    for value in (True, "off", "true"):
        record = parse({"status": "idle", "prAutoDetect": value, "dashboard": {"port": 1}})
        assert record.metadata["prAutoDetect"] == value
        assert record.metadata["dashboard"] == {"port": 1}


def test_walk_finds_v2_and_v1_sessions_and_marks_skips(tmp_path):
    touch(tmp_path / "projects/app/sessions/app-1.json")
    touch(tmp_path / "projects/app/sessions/app-2.json", b"")
    touch(tmp_path / "projects/app/sessions/app-3.json.corrupt-1700000000")
    touch(tmp_path / "projects/app/sessions/notes.txt")
    touch(tmp_path / "projects/app/sessions/archive/app-0_20260420T143052Z.json")
    touch(tmp_path / "0123456789ab-app/sessions/app-4", b"status=working\n")
    touch(tmp_path / "0123456789ab-app/sessions/app-5.json")
    touch(tmp_path / "0123456789ab-observability/sessions/x-1")
    touch(tmp_path / "0123456789ab-old.migrated/sessions/x-2")
    touch(tmp_path / "not-a-hash-dir/sessions/x-3")
    files = list(ao_session_files(str(tmp_path)))
    found = {(f.project_id, f.session_id, f.skip_reason) for f in files}
    assert found == {
        ("app", "app-1", ""),
        ("app", "app-2", "0-byte reservation"),
        ("app", "app-3", "corrupt-marked file"),
        ("app", "app-4", ""),
        ("app", "app-5", ""),
    }
    assert [f.path for f in files] == sorted([f.path for f in files][:3]) + [f.path for f in files][
        3:
    ]


@pytest.mark.parametrize(
    "project_id, ok",
    [
        ("app", True),
        ("my.app_2-x", True),
        ("", False),
        (".", False),
        ("..", False),
        ("a..b", False),
        ("-app", False),
        ("a/b", False),
        ("a" * 129, False),
        ("a" * 128, True),
    ],
)
def test_project_id_rule_is_both_the_legacy_rule_and_the_rewrite_gate(project_id, ok):
    assert (project_id_problem(project_id) is None) == ok


def test_integers_beyond_signed_64_bit_stay_exact_as_text_and_the_rest_stay_numbers():
    text = (
        b'{"status": "working", "cost": {"tokens": 18446744073709551615, "calls": 12},'
        b' "edge": 9223372036854775807, "past": 9223372036854775808,'
        b' "negative": -9223372036854775809, "ratio": 0.5}'
    )
    metadata = parse(text).metadata
    assert metadata["cost"] == {"tokens": "18446744073709551615", "calls": 12}
    assert metadata["edge"] == 9223372036854775807
    assert metadata["past"] == "9223372036854775808"
    assert metadata["negative"] == "-9223372036854775809"
    assert metadata["ratio"] == 0.5
    # Without long digit runs, integers are plain numbers too.
    assert parse({"status": "working", "n": 42}).metadata["n"] == 42


@pytest.mark.parametrize(
    "data",
    [
        b'{"status": "working", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"status": "working", "lifecycle": "' + b"[" * 100_000 + b'"}',
    ],
    ids=["value", "lifecycle string"],
)
def test_json_nested_a_hundred_thousand_deep_is_a_reason_not_a_crash(data):
    with pytest.raises(LegacyParseError):
        parse(data)
