"""Synthetic legacy stores for tests and the benchmark (no origin ships session fixtures).

`ao_tree_generate` writes an ~/.agent-orchestrator tree with every shape the reader must
handle; `ao_rs_tree_generate` writes an ~/.ao-rs/sessions tree. Both are deterministic
for a given seed, so two trees generated alike hold the same bytes (mtimes are pinned).
"""

import datetime as dt
import json
import os
import random
import uuid
from dataclasses import dataclass, field

from migration_app.legacy.records import INT64_MAX
from migration_app.legacy.transcripts import claude_slug

BASE_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z
_STATES = ["working", "idle", "needs_input", "not_started", "detecting", "stuck"]
_AGENTS = ["claude-code", "codex", "opencode", "aider", "mystery-agent"]


@dataclass
class GeneratedTree:
    root: str
    projects: list[str]
    sessions: int = 0  # session files written that should parse
    terminated: int = 0  # of those, terminated
    rejected: int = 0  # files that must be rejected
    skipped_files: int = 0  # 0-byte and *.corrupt-* files
    transcripts: list[str] = field(default_factory=list)  # transcript sources written


def _iso(offset_seconds: int) -> str:
    moment = dt.datetime.fromtimestamp(BASE_EPOCH + offset_seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _write(path: str, data: bytes, mtime: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    os.utime(path, (BASE_EPOCH + mtime, BASE_EPOCH + mtime))


# PR states a lifecycle carries (ao shows idle/working sessions by them: ci_failed, merged…).
_PR_STATES = [
    ("none", "not_created"), ("open", "ci_failing"), ("open", "review_pending"),
    ("merged", "merged"), ("open", "merge_ready"), ("none", "not_created"),
]  # fmt: skip


def _pr(index: int) -> dict:
    state, reason = _PR_STATES[index % len(_PR_STATES)]
    url = f"https://github.com/acme/app/pull/{index}" if state != "none" else None
    return {"state": state, "reason": reason, "number": index if url else None, "url": url}


def _ao_session(rng: random.Random, index: int, project: str, worktrees: str) -> dict:
    agent = _AGENTS[index % len(_AGENTS)] if index % 7 else "claude-code"
    state = _STATES[index % len(_STATES)]
    session: dict = {
        "worktree": os.path.join(worktrees, project, f"s{index}"),
        "branch": f"feat/{project}-{index}",
        "agent": agent,
        "createdAt": _iso(index * 60),
        "userPrompt": f"Fix issue {index} in {project}",
        "displayName": f"Session {index}",
        "issue": str(1000 + index),
        "tmuxName": f"abc123-{project}-{index}",
        "prAutoDetect": "on" if index % 2 else True,
        "dashboardPort": 3000 + index % 100,
        "pinnedSummary": {"text": "summary", "n": index},
    }
    if agent == "claude-code":
        session["claudeSessionUuid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    elif agent == "codex":
        session["codexThreadId"] = f"thread-{index}"
        session["codexModel"] = "gpt-5"
    elif agent == "opencode":
        session["opencodeSessionId"] = f"oc-{index}"
    lifecycle = {
        "version": 2,
        "session": {
            "kind": "worker",
            "state": state,
            "reason": "task_in_progress",
            "startedAt": _iso(index * 60 + 1),
            "completedAt": None,
            "terminatedAt": None,
            "lastTransitionAt": _iso(index * 60 + 30),
        },
        "pr": _pr(index),
        "runtime": {"state": "alive", "reason": "process_running", "lastObservedAt": None},
    }
    shape = index % 5
    if shape == 1:
        # Double-encoded: lifecycle is a JSON string whose session is a string too.
        lifecycle["session"] = json.dumps(lifecycle["session"])
        session["lifecycle"] = json.dumps(lifecycle)
    elif shape == 2:
        session["statePayload"] = json.dumps(lifecycle)
        session["stateVersion"] = "2" if index % 2 else 2
    elif shape == 3:
        session["status"] = ["working", "pr_open", "needs_input", "spawning"][index % 4]
    else:
        session["lifecycle"] = lifecycle
    return session


def ao_tree_generate(
    root: str,
    *,
    sessions: int,
    with_bad_files: bool = True,
    with_v1: bool = True,
    claude_home: str | None = None,
) -> GeneratedTree:
    """Write an ao legacy tree of `sessions` session files (in 5 projects) under `root`."""
    rng = random.Random(7)
    projects, worktrees = 5, "/tmp/legacy-worktrees"
    project_ids = [f"proj{p}" for p in range(projects)]
    tree = GeneratedTree(root=root, projects=list(project_ids))
    config_lines = ["defaults:", "  agent: claude-code", "projects:"]
    registered = []
    for p, project in enumerate(project_ids):
        config_lines += [
            f"  {project}:",
            f"    name: Project {p}",
            f"    path: /srv/{project}",
            f"    defaultBranch: {'main' if p % 2 else 'develop'}",
            f"    sessionPrefix: {project}",
            *([f"    registeredAt: {BASE_EPOCH - 86_400 * (p + 1)}"] if p % 2 == 0 else []),
            "    agentConfig:",
            f"      permissions: {['permissionless', 'suggest', 'auto-edit'][p % 3]}",
            "    tracker:",
            "      plugin: github",
        ]
        registered.append(
            {"path": f"/srv/{project}", "addedAt": _iso(p), "configProjectKey": project}
        )
    _write(os.path.join(root, "config.yaml"), "\n".join(config_lines).encode() + b"\n", 0)
    registry = json.dumps({"version": 1, "projects": registered}, indent=2).encode()
    _write(os.path.join(root, "portfolio", "registered.json"), registry, 0)
    for index in range(sessions):
        project = project_ids[index % projects]
        session_id = f"{project}-{index + 1}"
        if index % 97 == 13:
            # An older prefix with a number another session of the project holds: a clash.
            clash_with = index + 1 - projects
            session_id = f"old{project}-{max(clash_with, 1)}"
        elif index % 89 == 7:
            session_id = f"adhoc{project}{index}"  # no number: the next free one
        data = _ao_session(rng, index, project, worktrees)
        terminated = index % 11 == 5
        if terminated:
            for key in ("lifecycle", "statePayload", "stateVersion"):
                data.pop(key, None)
            data["status"] = "killed"
        if with_v1 and index % 10 == 9:
            # V1 hash layout, key=value text, one JSON-valued key as a string.
            directory = os.path.join(root, f"{index % 16:012x}-{project}", "sessions")
            lines = [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in data.items()]
            _write(os.path.join(directory, session_id), ("\n".join(lines) + "\n").encode(), index)
        else:
            directory = os.path.join(root, "projects", project, "sessions")
            payload = json.dumps(data, indent=2).encode() + b"\n"
            _write(os.path.join(directory, f"{session_id}.json"), payload, index)
        tree.sessions += 1
        tree.terminated += terminated
        uuid_value = data.get("claudeSessionUuid")
        if claude_home and uuid_value and not terminated and index % 3:
            source = os.path.join(
                claude_home, "projects", claude_slug(data["worktree"]), f"{uuid_value}.jsonl"
            )
            _write(source, f'{{"type":"user","n":{index}}}\n'.encode(), index)
            tree.transcripts.append(source)
    # An orchestrator without a number (num 0), in the first project.
    orchestrator = _ao_session(rng, 0, project_ids[0], worktrees)
    orchestrator["role"] = "orchestrator"
    sessions_dir = os.path.join(root, "projects", project_ids[0], "sessions")
    name = f"{project_ids[0]}-orchestrator.json"
    _write(os.path.join(sessions_dir, name), json.dumps(orchestrator).encode(), 1)
    tree.sessions += 1
    if with_bad_files:
        bad = {
            "bad-json-1.json": b"{not json",
            "bad-array-1.json": b"[1, 2]",
            "bad-type-1.json": json.dumps({"branch": 123, "status": "working"}).encode(),
            "bad-lifecycle-1.json": json.dumps({"lifecycle": 42}).encode(),
        }
        for name, data in bad.items():
            _write(os.path.join(sessions_dir, name), data, 2)
        tree.rejected += len(bad)
        _write(os.path.join(sessions_dir, "reserved-9.json"), b"", 2)
        # ao met corrupt JSON: it kept it aside and rewrote the file with branch and worktree.
        _write(os.path.join(sessions_dir, "x-3.json.corrupt-1767225600123"), b'{"bra', 2)
        rewritten = {"branch": "feat/x-3", "worktree": os.path.join(worktrees, "x-3")}
        _write(os.path.join(sessions_dir, "x-3.json"), json.dumps(rewritten).encode(), 2)
        tree.skipped_files += 2
        tree.sessions += 1
    return tree


def ao_rs_tree_generate(base: str, *, sessions: int, with_bad_files: bool = True) -> GeneratedTree:
    """Write an ao-rs sessions tree (3 projects); every tenth session is archived."""
    rng = random.Random(11)
    project_ids = [f"rsproj{p}" for p in range(3)]
    tree = GeneratedTree(root=base, projects=list(project_ids))
    statuses = ["working", "pr_open", "needs_input", "spawning", "merge_failed", "killed"]
    for index in range(sessions):
        project = project_ids[index % 3]
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        status = statuses[index % len(statuses)]
        lines = [
            f"id: {session_id}",
            f"project_id: {project}",
            f"status: {status}",
            "agent: claude-code" if index % 4 else "agent: codex",
            f"branch: ao-{session_id[:8]}",
            f"task: task number {index}",
            f"workspace_path: /work/{project}/{index}",
            f"runtime_handle: tmux-{index}" if index % 2 else "runtime_handle: null",
            "runtime: tmux",
            f"activity: {['active', 'ready', 'waiting_input', 'exited'][index % 4]}",
            f"created_at: {(BASE_EPOCH + index * 60) * 1000}",
            "cost:",
            f"  input_tokens: {index * 10}",
            "  output_tokens: 5",
            "  cost_usd: 0.25",
            f"issue_id: '{index}'",
            f"last_review_backlog_fingerprint: {2**64 - 1 - index}",
            f"last_automated_review_fingerprint: {INT64_MAX}",
        ]
        archived = index % 10 == 9
        directory = os.path.join(base, project, *([".archive"] if archived else []))
        path = os.path.join(directory, f"{session_id}.yaml")
        _write(path, ("\n".join(lines) + "\n").encode(), index)
        tree.sessions += 1
        tree.terminated += archived or status == "killed" or index % 4 == 3
    if with_bad_files:
        directory = os.path.join(base, project_ids[0])
        _write(os.path.join(directory, "broken.yaml"), b"this: is: not: valid: yaml: [", 1)
        _write(os.path.join(directory, "half.yaml.tmp"), b"id: x\n", 1)
        _write(os.path.join(directory, "empty.yaml"), b"", 1)
        tree.rejected += 1
        tree.skipped_files += 1
    return tree
