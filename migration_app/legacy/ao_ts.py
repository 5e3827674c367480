"""Reader of the ao legacy store (~/.agent-orchestrator), legacy-formats.md §1 and §2.

Pure functions over files: walk the tree, parse one session file (V2 JSON, V1 JSON or
key=value), parse config.yaml and portfolio/registered.json. Nothing here touches the
database or Django settings.
"""

from __future__ import annotations

import configparser
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from migration_app.legacy.records import (
    INT64_MAX,
    INT64_MIN,
    LegacyParseError,
    ProjectRecord,
    SessionRecord,
    from_mtime,
    json_safe,
    parse_iso,
    trailing_num,
    yaml_load,
)
from migration_app.legacy.status_map import ao_flat_status, ao_lifecycle_status

_V1_DIR_RE = re.compile(r"([0-9a-f]{12})-(.+)")
# V1 archive names: <sessionId>_<20260420T143052Z or 2026-04-20T14:30:52.000Z>[.json]
_ARCHIVE_NAME_RE = re.compile(
    r"(?P<id>[A-Za-z0-9_-]+)_(?:\d{8}T\d{6}Z|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)"
    r"(?:\.json)?"
)
_SESSION_ID_RE = re.compile(r"[A-Za-z0-9_-]+")

# Keys whose whole value lands in a column; every other key goes to metadata verbatim.
_MAPPED_KEYS = frozenset(
    {"role", "agent", "userPrompt", "displayName", "issue", "branch", "worktree", "createdAt"}
)
_AGENT_SESSION_KEY = {
    "claude-code": "claudeSessionUuid",
    "codex": "codexThreadId",
    "opencode": "opencodeSessionId",
}
_LEGACY_PERMISSIONS = {
    "permissionless": "bypass-permissions",
    "skip": "bypass-permissions",
    "auto-edit": "accept-edits",
    "default": "default",
}
_DROPPED_PROJECT_FIELDS = (
    "tracker", "scm", "agentRules", "agentRulesFile", "orchestratorRules", "runtime",
    "workspace", "reactions",
)  # fmt: skip


@dataclass(frozen=True)
class SessionFile:
    """One candidate session file found by the walk."""

    path: str
    project_id: str
    session_id: str
    size: int
    mtime: float
    # Set for files the walk skips on purpose (0-byte reservation, *.corrupt-*).
    skip_reason: str = ""
    # A V1 `sessions/archive/<id>_<timestamp>` file: a terminated session.
    archived: bool = False


def _session_file(
    entry: os.DirEntry, project_id: str, session_id: str, *, corrupt: bool, stat: bool, empty: str
) -> SessionFile:
    """A found file, stat'ed when asked; `empty` names why a 0-byte file is skipped. Without
    stat, size and mtime are unknown (-1, 0.0): the reader finds them when it opens it."""
    if not stat:
        skip = "corrupt-marked file" if corrupt else ""
        return SessionFile(entry.path, project_id, session_id, -1, 0.0, skip)
    info = entry.stat(follow_symlinks=False)
    skip = "corrupt-marked file" if corrupt else empty if info.st_size == 0 else ""
    return SessionFile(entry.path, project_id, session_id, info.st_size, info.st_mtime, skip)


def _sorted_entries(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _session_files(
    sessions_dir: str, project_id: str, *, v1: bool, stat: bool = True
) -> Iterator[SessionFile]:
    for entry in _sorted_entries(sessions_dir):
        if not entry.is_file(follow_symlinks=False):
            continue  # archive/ and other directories
        name = entry.name
        if name.startswith("."):
            continue
        corrupt = ".corrupt-" in name
        if corrupt:
            session_id = name.split(".corrupt-", 1)[0].removesuffix(".json")
        elif name.endswith(".json"):
            session_id = name[: -len(".json")]
        elif v1 and "." not in name:
            session_id = name
        else:
            continue  # not a session file (temp files, notes)
        yield _session_file(
            entry, project_id, session_id, corrupt=corrupt, stat=stat, empty="0-byte reservation"
        )


def _archive_files(archive_dir: str, project_id: str, *, stat: bool) -> Iterator[SessionFile]:
    for entry in _sorted_entries(archive_dir):
        match = _ARCHIVE_NAME_RE.fullmatch(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        size, mtime = -1, 0.0
        if stat:
            info = entry.stat(follow_symlinks=False)
            size, mtime = info.st_size, info.st_mtime
        skip = "0-byte reservation" if size == 0 else ""
        yield SessionFile(entry.path, project_id, match["id"], size, mtime, skip, archived=True)


def ao_session_files(
    root: str, *, stat: bool = True, include_archive: bool = False
) -> Iterator[SessionFile]:
    """Every session file under the ao root, in a stable order: V2 projects, then V1 dirs
    (their `sessions/archive/` after the live files, only when asked)."""
    for entry in _sorted_entries(os.path.join(root, "projects")):
        if entry.is_dir():
            sessions = os.path.join(entry.path, "sessions")
            yield from _session_files(sessions, entry.name, v1=False, stat=stat)
    for entry in _sorted_entries(root):
        match = _V1_DIR_RE.fullmatch(entry.name)
        if not match or not entry.is_dir():
            continue
        project_id = match.group(2)
        if project_id.endswith(".migrated") or project_id.endswith("observability"):
            continue
        sessions = os.path.join(entry.path, "sessions")
        yield from _session_files(sessions, project_id, v1=True, stat=stat)
        if include_archive:
            archive = os.path.join(sessions, "archive")
            yield from _archive_files(archive, project_id, stat=stat)


def _decode_object(value: Any, *, path: str, key: str) -> dict | None:
    """A JSON-valued key: an object, or a string holding one (decoded while it is a string)."""
    depth = 0
    while isinstance(value, str) and depth < 4:
        try:
            value = _json_loads(value)
        except ValueError:
            raise LegacyParseError(path, f"{key} is a string that is not valid JSON") from None
        depth += 1
    if value is None:
        return None
    if not isinstance(value, dict):
        raise LegacyParseError(path, f"{key} must be an object, got {type(value).__name__}")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _int_or_text(text: str) -> int | str:
    """JSON integers beyond signed 64-bit are kept exact, as strings (DESIGN.md metadata)."""
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else text


# Strict (NaN/Infinity are not JSON); integers beyond 64 bits kept exact. One decoder
# for every file: building one per call costs as much as a small file's decoding.
_STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_int_or_text)


def _json_loads(text: str) -> Any:
    try:
        return _STRICT_JSON.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _parse_key_value(text: str, *, path: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise LegacyParseError(path, f"line {number} is not key=value")
        data[key.strip()] = value
    return data


def _load(data: bytes, *, path: str, json_only: bool) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LegacyParseError(path, "file is not UTF-8 text") from None
    if json_only or text.lstrip().startswith(("{", "[", '"')):
        try:
            value = _json_loads(text)
        except ValueError as exc:
            raise LegacyParseError(path, f"invalid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise LegacyParseError(path, f"JSON is a {type(value).__name__}, not an object")
        return value
    return _parse_key_value(text, path=path)


def _text(data: dict, key: str, *, path: str) -> str:
    """A field the mapping reads: string, or null/absent meaning ''."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LegacyParseError(path, f"{key} must be a string, got {type(value).__name__}")
    return value


def _time(container: dict, key: str, *, path: str, label: str) -> dt.datetime | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise LegacyParseError(path, f"{label} must be a string, got {type(value).__name__}")
    return parse_iso(value, path=path, key=label)


def find_lifecycle(data: dict, *, path: str) -> dict | None:
    """lifecycle → statePayload with stateVersion "2"/2 → None (legacy-formats §1.6)."""
    if data.get("lifecycle") is not None:
        lifecycle = _decode_object(data["lifecycle"], path=path, key="lifecycle")
    elif data.get("stateVersion") in ("2", 2) and data.get("statePayload") is not None:
        lifecycle = _decode_object(data["statePayload"], path=path, key="statePayload")
    else:
        return None
    lifecycle = dict(lifecycle)  # metadata keeps the original value verbatim
    for part in ("session", "runtime", "pr"):
        if lifecycle.get(part) is not None:
            lifecycle[part] = _decode_object(lifecycle[part], path=path, key=f"lifecycle.{part}")
    if not isinstance(lifecycle.get("session"), dict):
        raise LegacyParseError(path, "lifecycle has no session object")
    return lifecycle


def parse_ao_session(
    data: bytes,
    *,
    path: str,
    session_id: str,
    project_id: str,
    mtime: float,
    json_only: bool = True,
    archived: bool = False,
) -> SessionRecord:
    """Map one ao session file to a SessionRecord (mapping table of issue 3 / DESIGN.md).

    An archived file is a terminated session whatever it says (as `migrate-storage` treats
    V1 archives), with `archived_at` = the file's mtime."""
    if not _SESSION_ID_RE.fullmatch(session_id) or len(session_id) > 255:
        raise LegacyParseError(path, f"session id {session_id!r} is not a valid ao session id")
    raw = _load(data, path=path, json_only=json_only)
    lifecycle = find_lifecycle(raw, path=path)

    terminated_at = completed_at = started_at = last_transition = observed = None
    if lifecycle is not None:
        session = lifecycle["session"]
        state = session.get("state")
        if not isinstance(state, str):
            raise LegacyParseError(path, "lifecycle.session.state is missing or not a string")
        reason = session.get("reason")
        triple = ao_lifecycle_status(state, reason if isinstance(reason, str) else None)
        if triple is None:
            raise LegacyParseError(path, f"unknown lifecycle state {state!r}")
        legacy_status = state
        label = "lifecycle.session."
        terminated_at = _time(session, "terminatedAt", path=path, label=label + "terminatedAt")
        completed_at = _time(session, "completedAt", path=path, label=label + "completedAt")
        started_at = _time(session, "startedAt", path=path, label=label + "startedAt")
        last_transition = _time(
            session, "lastTransitionAt", path=path, label=label + "lastTransitionAt"
        )
        runtime = lifecycle.get("runtime") or {}
        observed = _time(runtime, "lastObservedAt", path=path, label="lifecycle.runtime")
    else:
        status = raw.get("status")
        if not isinstance(status, str) or not status:
            raise LegacyParseError(path, "no lifecycle and no status")
        triple = ao_flat_status(status)
        if triple is None:
            raise LegacyParseError(path, f"unknown status {status!r}")
        legacy_status = status
    status_word, activity_state, terminated = triple
    if (terminated_at is not None or archived) and not terminated:
        # terminatedAt set (or an archive) terminates the session whatever its state.
        activity_state, terminated = "exited", True

    agent = _text(raw, "agent", path=path)
    session_key = _AGENT_SESSION_KEY.get(agent)
    agent_session_id = _text(raw, session_key, path=path) if session_key else ""
    created_at = (
        _time(raw, "createdAt", path=path, label="createdAt") or started_at or from_mtime(mtime)
    )
    activity_last_at = last_transition or observed or created_at
    role = _text(raw, "role", path=path)
    metadata = {k: v for k, v in raw.items() if k not in _MAPPED_KEYS and k != session_key}
    if lifecycle is None:
        metadata.pop("status", None)
    return SessionRecord(
        id=session_id,
        project_id=project_id,
        source="ao",
        source_path=path,
        status=status_word,
        activity_state=activity_state,
        is_terminated=terminated,
        legacy_status=legacy_status,
        created_at=created_at,
        updated_at=last_transition or created_at,
        activity_last_at=activity_last_at,
        first_signal_at=activity_last_at,
        num_hint=trailing_num(session_id),
        kind="orchestrator" if role == "orchestrator" else "worker",
        agent=agent,
        agent_session_id=agent_session_id,
        prompt=_text(raw, "userPrompt", path=path),
        display_name=_text(raw, "displayName", path=path),
        issue_id=_text(raw, "issue", path=path),
        branch=_text(raw, "branch", path=path),
        workspace_path=_text(raw, "worktree", path=path),
        terminated_at=terminated_at,
        completed_at=completed_at,
        archived_at=from_mtime(mtime) if archived else None,
        # JSON and key=value values are already JSON-safe (big ints arrive as strings).
        metadata=metadata,
    )


# --- projects: config.yaml and portfolio/registered.json --------------------------------


@dataclass
class RegisteredEntry:
    path: str
    added_at: dt.datetime | None
    key: str  # configProjectKey (TS) or id (Go port), may be ''


def parse_ao_registered(data: bytes, *, path: str) -> list[RegisteredEntry]:
    raw = _load(data, path=path, json_only=True)
    projects = raw.get("projects") or []
    if not isinstance(projects, list):
        raise LegacyParseError(path, "projects must be a list")
    entries = []
    for index, item in enumerate(projects):
        if not isinstance(item, dict):
            raise LegacyParseError(path, f"projects[{index}] is not an object")
        label = f"projects[{index}]"
        key = _text(item, "configProjectKey", path=path) or _text(item, "id", path=path)
        added = _time(item, "addedAt", path=path, label=label + ".addedAt")
        entries.append(RegisteredEntry(_text(item, "path", path=path), added, key))
    return entries


def _permissions(value: Any, notes: list[str], label: str) -> str | None:
    if value is None:
        return None
    mapped = _LEGACY_PERMISSIONS.get(value) if isinstance(value, str) else None
    if mapped is None:
        notes.append(f"{label}.permissions {value!r} mapped to 'default' (lossy)")
        return "default"
    return mapped


def _agent_config(value: Any, notes: list[str], label: str) -> dict | None:
    if not isinstance(value, dict):
        return None
    out = {}
    if value.get("model") is not None:
        out["model"] = value["model"]
    permissions = _permissions(value.get("permissions"), notes, label)
    if permissions is not None:
        out["permissions"] = permissions
    return out or None


def project_config(raw: dict, *, harnesses: Iterable[str], notes: list[str]) -> dict | None:
    """The rewrite ProjectConfig blob of legacy-formats §2.3, or None when empty."""
    harnesses = frozenset(harnesses)
    config: dict[str, Any] = {}
    branch = raw.get("defaultBranch")
    if branch is not None and branch != "main":
        config["defaultBranch"] = branch
    for key in ("sessionPrefix", "env", "symlinks", "postCreate"):
        if raw.get(key) is not None:
            config[key] = raw[key]
    agent_config = _agent_config(raw.get("agentConfig"), notes, "agentConfig")
    if agent_config:
        config["agentConfig"] = agent_config
    for role in ("worker", "orchestrator"):
        section = raw.get(role)
        if not isinstance(section, dict):
            continue
        out = {}
        agent = section.get("agent")
        if agent is not None:
            if agent in harnesses:
                out["agent"] = agent
            else:
                notes.append(f"{role}.agent {agent!r} dropped: not a known harness")
        role_config = _agent_config(section.get("agentConfig"), notes, f"{role}.agentConfig")
        if role_config:
            out["agentConfig"] = role_config
        if out:
            config[role] = out
    dropped = [key for key in _DROPPED_PROJECT_FIELDS if raw.get(key)]
    if dropped:
        notes.append("dropped fields: " + ", ".join(dropped))
    return config or None


def _origin_url(repo: Any) -> str:
    if isinstance(repo, dict) and isinstance(repo.get("originUrl"), str):
        return repo["originUrl"]
    return ""


def git_origin_url(project_path: str) -> str:
    """What `git remote get-url origin` prints for the project, read from its git config.

    `.git` may be a directory or, in a worktree, a file naming the git directory. Returns
    '' when there is no repository or no origin; never runs git.
    """
    if not project_path:
        return ""
    dot_git = os.path.join(os.path.expanduser(project_path), ".git")
    try:
        if os.path.isfile(dot_git):
            with open(dot_git, encoding="utf-8") as handle:
                pointer = handle.read().strip()
            if not pointer.startswith("gitdir:"):
                return ""
            git_dir = os.path.join(os.path.dirname(dot_git), pointer[len("gitdir:") :].strip())
            # A worktree's git dir keeps the shared config two levels up (commondir).
            common = os.path.join(git_dir, "commondir")
            if os.path.isfile(common):
                with open(common, encoding="utf-8") as handle:
                    git_dir = os.path.join(git_dir, handle.read().strip())
        else:
            git_dir = dot_git
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(os.path.join(git_dir, "config"), encoding="utf-8")
        return parser.get('remote "origin"', "url", fallback="")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return ""


def parse_ao_config(
    data: bytes,
    *,
    path: str,
    mtime: float,
    registered: list[RegisteredEntry],
    harnesses: Iterable[str],
) -> list[ProjectRecord | LegacyParseError]:
    """Projects of config.yaml, with registered_at from registered.json (§1.8, §1.10).

    A project whose entry is malformed comes back as a LegacyParseError in the list, so
    one bad project never hides the others.
    """
    raw = yaml_load(data, path=path) if data.strip() else {}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise LegacyParseError(path, "config.yaml is not a mapping")
    projects = raw.get("projects") or {}
    if not isinstance(projects, dict):
        raise LegacyParseError(path, "projects must be a mapping")
    by_key = {entry.key: entry for entry in registered if entry.key}
    by_path = {os.path.expanduser(entry.path): entry for entry in registered if entry.path}
    results: list[ProjectRecord | LegacyParseError] = []
    for project_id, body in projects.items():
        project_id = str(project_id)
        where = f"{path}#projects.{project_id}"
        if body is None:
            body = {}
        if not isinstance(body, dict):
            results.append(LegacyParseError(where, "project entry is not a mapping"))
            continue
        try:
            title = (
                _text(body, "displayName", path=where) or _text(body, "name", path=where)
            ) or project_id
            project_path = _text(body, "path", path=where)
            notes: list[str] = []
            config = json_safe(project_config(body, harnesses=harnesses, notes=notes), path=where)
        except LegacyParseError as exc:
            results.append(exc)
            continue
        entry = by_key.get(project_id) or by_path.get(os.path.expanduser(project_path))
        registered_at = (entry.added_at if entry else None) or from_mtime(mtime)
        results.append(
            ProjectRecord(
                id=project_id,
                title=title,
                path=project_path,
                repo_origin_url=_origin_url(body.get("repo")),
                config=config,
                registered_at=registered_at,
                source_path=where,
                notes=notes,
            )
        )
    # Registered projects that config.yaml does not list are projects too.
    listed = {str(pid) for pid in projects}
    listed_paths = {
        os.path.expanduser(b["path"])
        for b in projects.values()
        if isinstance(b, dict) and isinstance(b.get("path"), str)
    }
    for entry in registered:
        project_id = entry.key or os.path.basename(entry.path.rstrip("/"))
        if project_id in listed or os.path.expanduser(entry.path) in listed_paths:
            continue
        listed.add(project_id)
        results.append(
            ProjectRecord(
                id=project_id,
                title=project_id,
                path=entry.path,
                registered_at=entry.added_at,
                source_path="portfolio/registered.json",
            )
        )
    return results
