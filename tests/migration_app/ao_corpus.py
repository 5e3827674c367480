"""Session stores as ao's own code writes them, for the fidelity tests (issue 13).

Written from what ao's writer does (legacy-formats.md §1.4–§1.11, checked against ao's
metadata.ts, lifecycle-state.ts and migration/storage-v2.ts), never from our reader:

- V2 JSON: `JSON.stringify(data, null, 2) + "\\n"` in `writeMetadata`'s key order, the
  lifecycle as a `CanonicalSessionLifecycle` object (no flat `status` beside it);
- the older V2 encoding: the lifecycle as a `statePayload` JSON string, `stateVersion` "2";
- V1: `key=value` lines, the lifecycle in `statePayload`, ports flat, flags `on`/`off`;
- what `ao migrate-storage` writes for that V1 file, spelled out key by key;
- the file ao rewrites after quarantining a corrupt one; config.yaml with `registeredAt`.

`AO_SHOWS` is ao's `deriveLegacyStatus` written out as a table: the oracle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CREATED = "2026-03-01T10:00:00.000Z"
TRANSITION = "2026-03-01T11:00:00.000Z"
SESSION_STATES = (
    "not_started", "working", "idle", "needs_input", "stuck", "detecting", "done", "terminated",
)  # fmt: skip
PR_STATES = (
    ("none", "not_created"), ("open", "in_progress"), ("open", "ci_failing"),
    ("open", "review_pending"), ("open", "changes_requested"), ("open", "approved"),
    ("open", "merge_ready"), ("merged", "merged"), ("closed", "closed_unmerged"),
)  # fmt: skip
TERMINATION_REASONS = (
    "manually_killed", "runtime_lost", "auto_cleanup", "pr_merged", "error_in_process",
    "probe_failure", "agent_process_exited",
)  # fmt: skip

# deriveLegacyStatus: what ao shows. Terminated by reason; idle/working by the PR.
_TERMINATED_SHOWS = {
    "manually_killed": "killed", "runtime_lost": "killed", "auto_cleanup": "cleanup",
    "pr_merged": "cleanup", "error_in_process": "errored", "probe_failure": "errored",
    "agent_process_exited": "terminated",
}  # fmt: skip
_PR_SHOWS = {
    ("open", "in_progress"): "pr_open", ("open", "ci_failing"): "ci_failed",
    ("open", "review_pending"): "review_pending",
    ("open", "changes_requested"): "changes_requested", ("open", "approved"): "approved",
    ("open", "merge_ready"): "mergeable", ("merged", "merged"): "merged",
}  # fmt: skip
_STATE_SHOWS = {"not_started": "spawning"}


def ao_shows(state: str, reason: str, pr: tuple[str, str]) -> str:
    if state == "terminated":
        return _TERMINATED_SHOWS[reason]
    if state in ("idle", "working"):
        return _PR_SHOWS.get(pr, state)
    return _STATE_SHOWS.get(state, state)


def corpus_cases() -> list[tuple[str, str, tuple[str, str]]]:
    """Every lifecycle state × PR state, and every termination reason."""
    cases = [
        (state, "task_in_progress", pr)
        for state in SESSION_STATES
        if state != "terminated"
        for pr in PR_STATES
    ]
    cases += [("terminated", reason, ("none", "not_created")) for reason in TERMINATION_REASONS]
    return cases


def lifecycle(state: str, reason: str, pr: tuple[str, str], n: int) -> dict:
    """A CanonicalSessionLifecycle as ao's lifecycle manager leaves it."""
    pr_url = f"https://github.com/acme/app/pull/{n}" if pr[0] != "none" else None
    return {
        "version": 2,
        "session": {
            "kind": "worker",
            "state": state,
            "reason": reason,
            "startedAt": None if state == "not_started" else CREATED,
            "completedAt": TRANSITION if state == "done" else None,
            "terminatedAt": TRANSITION if state == "terminated" else None,
            "lastTransitionAt": TRANSITION,
        },
        "pr": {
            "state": pr[0],
            "reason": pr[1],
            "number": n if pr_url else None,
            "url": pr_url,
            "lastObservedAt": TRANSITION if pr_url else None,
        },
        "runtime": {
            "state": "alive",
            "reason": "process_running",
            "lastObservedAt": TRANSITION,
            "handle": {"id": f"app-{n}", "runtimeName": "tmux", "data": {}},
            "tmuxName": f"app-{n}",
        },
    }


def _common(n: int, project: str) -> dict:
    return {
        "worktree": f"/home/dev/.agent-orchestrator/projects/{project}/worktrees/app-{n}",
        "branch": f"feat/issue-{n}",
    }


def v2_session(n: int, project: str, life: dict) -> dict:
    """writeMetadata's object for a lifecycle session (key order as ao writes it)."""
    return {
        **_common(n, project),
        "tmuxName": f"app-{n}",
        "issue": str(100 + n),
        "pr": life["pr"]["url"] or None,
        "prAutoDetect": True,
        "project": project,
        "agent": "claude-code",
        "createdAt": CREATED,
        "runtimeHandle": life["runtime"]["handle"],
        "lifecycle": life,
        "dashboard": {"port": 3000 + n, "terminalWsPort": 4000 + n},
        "userPrompt": f"Fix issue {100 + n}",
        "claudeSessionUuid": f"00000000-0000-4000-8000-{n:012d}",
    }


def state_payload_session(n: int, project: str, life: dict) -> dict:
    """The older encoding: the lifecycle as a statePayload string, stateVersion "2"."""
    data = {k: v for k, v in v2_session(n, project, life).items() if k != "lifecycle"}
    return {**data, "statePayload": json.dumps(life), "stateVersion": "2"}


def json_bytes(data: dict) -> bytes:
    return (json.dumps({k: v for k, v in data.items() if v is not None}, indent=2) + "\n").encode()


def v1_key_value(n: int, project: str, life: dict) -> bytes:
    """A V1 session file as the hash layout's writer flattened it."""
    data = v2_session(n, project, life)
    lines = {
        "worktree": data["worktree"],
        "branch": data["branch"],
        "tmuxName": data["tmuxName"],
        "issue": data["issue"],
        "pr": data["pr"] or "",
        "prAutoDetect": "on",
        "project": project,
        "agent": "claude-code",
        "createdAt": CREATED,
        "runtimeHandle": json.dumps(data["runtimeHandle"]),
        "statePayload": json.dumps(life),
        "stateVersion": "2",
        "dashboardPort": str(3000 + n),
        "terminalWsPort": str(4000 + n),
        "userPrompt": data["userPrompt"],
        "claudeSessionUuid": data["claudeSessionUuid"],
    }
    return "".join(f"{k}={v}\n" for k, v in lines.items()).encode()


def migrate_storage_session(n: int, project: str, life: dict) -> dict:
    """What `ao migrate-storage` writes for v1_key_value(n, …): strings kept when not empty,
    prAutoDetect a boolean, runtimeHandle and statePayload decoded (the latter as
    `lifecycle`, stateVersion dropped), the ports grouped into `dashboard`, other keys kept."""
    data = v2_session(n, project, life)
    converted = {
        "project": project,
        "agent": "claude-code",
        "createdAt": CREATED,
        "branch": data["branch"],
        "tmuxName": data["tmuxName"],
        "issue": data["issue"],
        "userPrompt": data["userPrompt"],
        "worktree": data["worktree"],
        "prAutoDetect": True,
        "runtimeHandle": data["runtimeHandle"],
        "lifecycle": life,
        "dashboard": {"port": 3000 + n, "terminalWsPort": 4000 + n},
        "claudeSessionUuid": data["claudeSessionUuid"],
    }
    if data["pr"]:
        converted["pr"] = data["pr"]
    return converted


def write(path: Path, data: bytes, mtime: int = 1_767_225_600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def quarantine(sessions: Path, session_id: str, *, stamp: int = 1_767_225_700_123) -> Path:
    """ao met corrupt JSON: it kept it as `<sid>.json.corrupt-<ms>` and rewrote `<sid>.json`
    with what the update carried (branch and worktree)."""
    write(sessions / f"{session_id}.json.corrupt-{stamp}", b'{"branch": "feat/x", "worktr')
    rewritten = {"branch": "feat/x", "worktree": f"/home/dev/worktrees/{session_id}"}
    write(sessions / f"{session_id}.json", json_bytes(rewritten))
    return sessions / f"{session_id}.json.corrupt-{stamp}"


def config_yaml(projects: dict[str, dict]) -> bytes:
    """config.yaml as ao's registerProject writes it (registeredAt: epoch seconds)."""
    lines = ["defaults:", "  agent: claude-code", "projects:"]
    for project_id, body in projects.items():
        lines.append(f"  {project_id}:")
        lines += [f"    {key}: {json.dumps(value)}" for key, value in body.items()]
    return ("\n".join(lines) + "\n").encode()
