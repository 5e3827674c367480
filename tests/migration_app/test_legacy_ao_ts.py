"""The ao legacy reader (legacy-formats.md §1.9, §2.8 checklists); no database."""

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from migration_app.legacy.ao_ts import (
    ao_session_files,
    git_origin_url,
    parse_ao_config,
    parse_ao_registered,
    parse_ao_session,
)
from migration_app.legacy.records import LegacyParseError, project_id_problem, trailing_num
from sessions_app.models import HARNESSES

# The origin's example configs, in shared/ beside the checkout (CI) or the workplace's copy.
_FIXTURE_PATH = Path("fixtures/origin/ao/examples")
FIXTURES = next(
    (
        root / _FIXTURE_PATH
        for root in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared"))
        if (root / _FIXTURE_PATH).is_dir()
    ),
    Path("/work/shared") / _FIXTURE_PATH,
)
MTIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z
UTC = dt.UTC


def parse(data, session_id="app-7", project_id="app", json_only=True):
    if isinstance(data, dict):
        data = json.dumps(data).encode()
    return parse_ao_session(
        data,
        path=f"/x/{session_id}.json",
        session_id=session_id,
        project_id=project_id,
        mtime=MTIME,
        json_only=json_only,
    )


def lifecycle(state="working", reason="task_in_progress", **session):
    return {
        "version": 2,
        "session": {"kind": "worker", "state": state, "reason": reason, **session},
        "pr": {"state": "none", "reason": "not_created"},
        "runtime": {"state": "alive", "reason": "process_running", "lastObservedAt": None},
    }


def touch(path: Path, data: bytes = b"{}") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


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
    "state, reason, expected",
    [
        ("not_started", None, ("pending", "idle", False)),
        ("working", None, ("running", "active", False)),
        ("idle", None, ("running", "idle", False)),
        ("detecting", None, ("running", "idle", False)),
        ("stuck", None, ("running", "idle", False)),
        ("needs_input", None, ("running", "waiting_input", False)),
        ("done", None, ("completed", "exited", True)),
        ("terminated", "manually_killed", ("cancelled", "exited", True)),
        ("terminated", "runtime_lost", ("cancelled", "exited", True)),
        ("terminated", "error_in_process", ("failed", "exited", True)),
        ("terminated", "probe_failure", ("failed", "exited", True)),
        ("terminated", "pr_merged", ("completed", "exited", True)),
        ("terminated", "auto_cleanup", ("completed", "exited", True)),
        ("terminated", "agent_process_exited", ("cancelled", "exited", True)),
    ],
)
def test_lifecycle_states_follow_the_status_vocabulary(state, reason, expected):
    record = parse({"lifecycle": lifecycle(state, reason)})
    assert (record.status, record.activity_state, record.is_terminated) == expected
    assert record.legacy_status == state


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
        (b'{"agent": "codex"}', "no lifecycle and no status"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"status": "working", "createdAt": "yesterday"}', "not an ISO-8601"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(LegacyParseError) as info:
        parse(data)
    assert reason in info.value.reason and info.value.path == "/x/app-7.json"


def test_v1_key_value_files_are_read_and_unknown_keys_preserved():
    text = (
        "worktree=/w/app-3\nbranch=feat/x\nstatus=working\nprAutoDetect=on\n"
        "dashboardPort=3000\nagent=claude-code\nclaudeSessionUuid=u-3\n"
        f"lifecycle={json.dumps(lifecycle('idle'))}\n"
    )
    record = parse(text.encode(), session_id="app-3", json_only=False)
    assert record.branch == "feat/x" and record.legacy_status == "idle"
    assert record.metadata["prAutoDetect"] == "on" and record.metadata["dashboardPort"] == "3000"
    assert record.agent_session_id == "u-3"
    with pytest.raises(LegacyParseError, match="key=value"):
        parse(b"status=working\njust words\n", session_id="app-3", json_only=False)


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


def registered_json(*entries):
    return json.dumps({"version": 1, "projects": list(entries)}).encode()


def test_config_projects_with_registered_at_from_registry_then_mtime():
    config = b"""
projects:
  alpha: {path: /srv/alpha, name: Alpha, defaultBranch: develop}
  beta: {path: /srv/beta, displayName: Beta Display, name: Beta}
  gamma: {path: /srv/gamma}
"""
    registered = parse_ao_registered(
        registered_json(
            {
                "path": "/srv/elsewhere",
                "addedAt": "2026-01-02T00:00:00Z",
                "configProjectKey": "alpha",
            },
            {"path": "/srv/beta", "addedAt": "2026-01-03T00:00:00Z"},
            {"path": "/srv/delta", "addedAt": "2026-01-04T00:00:00Z", "id": "delta"},
        ),
        path="registered.json",
    )
    results = parse_ao_config(
        config, path="config.yaml", mtime=MTIME, registered=registered, harnesses=HARNESSES
    )
    by_id = {r.id: r for r in results}
    assert by_id["alpha"].registered_at == dt.datetime(2026, 1, 2, tzinfo=UTC)  # by key
    assert by_id["beta"].registered_at == dt.datetime(2026, 1, 3, tzinfo=UTC)  # by path
    assert by_id["gamma"].registered_at == dt.datetime.fromtimestamp(MTIME, UTC)  # mtime
    assert (by_id["alpha"].title, by_id["beta"].title, by_id["gamma"].title) == (
        "Alpha", "Beta Display", "gamma",
    )  # fmt: skip
    assert by_id["alpha"].config == {"defaultBranch": "develop"}
    assert by_id["gamma"].config is None
    # A registered project config.yaml does not list is a project too.
    assert by_id["delta"].path == "/srv/delta"


@pytest.mark.parametrize(
    "permissions, mapped, lossy",
    [
        ("permissionless", "bypass-permissions", False),
        ("skip", "bypass-permissions", False),
        ("auto-edit", "accept-edits", False),
        ("default", "default", False),
        ("suggest", "default", True),
        ("weird", "default", True),
    ],
)
def test_permission_map_and_its_lossy_notes(permissions, mapped, lossy):
    config = f"projects:\n  app:\n    path: /a\n    agentConfig: {{permissions: {permissions}}}\n"
    (record,) = parse_ao_config(
        config.encode(), path="c", mtime=MTIME, registered=[], harnesses=HARNESSES
    )
    assert record.config == {"agentConfig": {"permissions": mapped}}
    assert any("lossy" in note for note in record.notes) == lossy


def test_config_blob_keeps_verbatim_fields_filters_harnesses_and_notes_dropped_fields():
    config = b"""
projects:
  app:
    path: /a
    defaultBranch: main
    sessionPrefix: ap
    env: {A: "1"}
    symlinks: [.env]
    postCreate: [pnpm i]
    worker: {agent: codex, agentConfig: {model: o3}}
    orchestrator: {agent: some-unknown-agent}
    tracker: {plugin: github}
    reactions: {ci: fix}
"""
    (record,) = parse_ao_config(config, path="c", mtime=MTIME, registered=[], harnesses=HARNESSES)
    assert record.config == {
        "sessionPrefix": "ap",
        "env": {"A": "1"},
        "symlinks": [".env"],
        "postCreate": ["pnpm i"],
        "worker": {"agent": "codex", "agentConfig": {"model": "o3"}},
    }
    assert any("some-unknown-agent" in n for n in record.notes)
    assert any("tracker" in n and "reactions" in n for n in record.notes)


def test_a_bad_project_entry_does_not_hide_the_others():
    config = b"projects:\n  ok: {path: /a}\n  bad: [1, 2]\n  typed: {path: 5}\n"
    results = parse_ao_config(config, path="c", mtime=MTIME, registered=[], harnesses=HARNESSES)
    assert [type(r).__name__ for r in results] == [
        "ProjectRecord", "LegacyParseError", "LegacyParseError",
    ]  # fmt: skip


def test_invalid_yaml_config_is_an_error():
    with pytest.raises(LegacyParseError, match="invalid YAML"):
        parse_ao_config(b"projects: [", path="c", mtime=MTIME, registered=[], harnesses=[])


def test_the_origin_example_configs_are_present():
    assert len(list(FIXTURES.glob("*.yaml"))) == 5, f"origin fixtures missing at {FIXTURES}"


@pytest.mark.parametrize("name", sorted(os.listdir(FIXTURES)) if FIXTURES.exists() else [])
def test_the_origin_example_configs_parse(name):
    results = parse_ao_config(
        (FIXTURES / name).read_bytes(), path=name, mtime=MTIME, registered=[], harnesses=HARNESSES
    )
    assert results and all(r.path for r in results)
    assert all(r.title for r in results)


def test_v1_archives_are_walked_only_when_asked_and_read_as_terminated(tmp_path):
    sessions = tmp_path / "0123456789ab-app/sessions"
    touch(sessions / "app-4", b"status=working\n")
    touch(sessions / "archive/app-4_20260420T143052Z", b"status=working\n")
    touch(sessions / "archive/my_app-5_2026-04-20T14:30:52.000Z.json", b'{"status": "idle"}')
    touch(sessions / "archive/notes.txt")
    assert [f.session_id for f in ao_session_files(str(tmp_path))] == ["app-4"]
    files = list(ao_session_files(str(tmp_path), include_archive=True))
    assert [(f.session_id, f.archived) for f in files] == [
        ("app-4", False), ("app-4", True), ("my_app-5", True),
    ]  # fmt: skip
    archived = files[2]
    record = parse_ao_session(
        Path(archived.path).read_bytes(), path=archived.path, session_id=archived.session_id,
        project_id="app", mtime=MTIME, archived=True,
    )  # fmt: skip
    assert record.is_terminated and record.activity_state == "exited"
    assert record.status == "running" and record.legacy_status == "idle"
    assert record.archived_at == dt.datetime.fromtimestamp(MTIME, UTC)


def _git(*args):
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_git_origin_url_reads_the_repositorys_config(tmp_path):
    _git("init", "-q", str(tmp_path / "repo"))
    assert git_origin_url(str(tmp_path / "repo")) == ""
    _git("-C", str(tmp_path / "repo"), "remote", "add", "origin", "https://example.org/a.git")
    assert git_origin_url(str(tmp_path / "repo")) == "https://example.org/a.git"


def test_git_origin_url_follows_a_worktrees_gitdir(tmp_path):
    repo = tmp_path / "repo"
    _git("init", "-q", str(repo))
    _git("-C", str(repo), "remote", "add", "origin", "https://example.org/b.git")
    _git("-C", str(repo), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
         "--allow-empty", "-m", "start")  # fmt: skip
    _git("-C", str(repo), "worktree", "add", "-q", str(tmp_path / "wt"))
    assert (tmp_path / "wt" / ".git").is_file()
    assert git_origin_url(str(tmp_path / "wt")) == "https://example.org/b.git"


def test_git_origin_url_without_a_repository_is_empty(tmp_path):
    assert git_origin_url(str(tmp_path)) == ""
    assert git_origin_url("") == ""


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
