"""The ao reader's projects: config.yaml, registered.json, the ProjectConfig blob and a
project's origin remote (legacy-formats.md §1.8, §1.10, §2.3); no database."""

import datetime as dt
import json
import os
import subprocess

import pytest

from migration_app.legacy.ao_config import (
    git_origin_url,
    parse_ao_config,
    parse_ao_registered,
)
from migration_app.legacy.records import LegacyParseError
from sessions_app.models import HARNESSES
from tests.migration_app.ao_helpers import FIXTURES, MTIME, UTC


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


@pytest.mark.parametrize(
    "value, expected",
    [
        (1_760_000_000, dt.datetime.fromtimestamp(1_760_000_000, UTC)),  # seconds, as ao writes
        (1_760_000_000_500, dt.datetime.fromtimestamp(1_760_000_000.5, UTC)),  # milliseconds
        (1_760_000_000.25, dt.datetime.fromtimestamp(1_760_000_000.25, UTC)),
    ],
)
def test_registered_at_of_the_config_wins_over_registry_and_mtime(value, expected):
    config = f"projects:\n  app:\n    path: /srv/app\n    registeredAt: {value}\n"
    registered = parse_ao_registered(
        registered_json({"path": "/srv/app", "addedAt": "2026-01-02T00:00:00Z"}), path="r"
    )
    (record,) = parse_ao_config(
        config.encode(), path="c", mtime=MTIME, registered=registered, harnesses=HARNESSES
    )
    assert record.registered_at == expected


@pytest.mark.parametrize("value", ["'yesterday'", "true", "0", "-5", "1e300"])
def test_an_unusable_registered_at_falls_back_with_a_note(value):
    config = f"projects:\n  app:\n    path: /srv/app\n    registeredAt: {value}\n"
    (record,) = parse_ao_config(
        config.encode(), path="c", mtime=MTIME + 0.75, registered=[], harnesses=HARNESSES
    )
    # The config file's mtime, in whole seconds.
    assert record.registered_at == dt.datetime.fromtimestamp(MTIME, UTC)
    assert any("registeredAt" in note for note in record.notes)


def test_a_config_whose_aliases_expand_past_the_limit_is_a_rejected_project():
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]")
    text = "\n".join(bomb) + "\nprojects:\n  app: {path: /a, name: App, env: {X: *g}}\n"
    (result,) = parse_ao_config(
        text.encode(), path="c", mtime=MTIME, registered=[], harnesses=HARNESSES
    )
    assert isinstance(result, LegacyParseError) and "repeated aliases" in result.reason
