"""Reader of the ao legacy store's projects: `config.yaml` and `portfolio/registered.json`
(legacy-formats.md §1.8, §1.10, §2.3), and a project's `origin` remote. Pure; no Django.
"""

import configparser
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migration_app.legacy.ao_decode import json_document, text_field, time_field
from migration_app.legacy.records import (
    LegacyParseError,
    ProjectRecord,
    from_mtime,
    json_safe,
    yaml_load,
)

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
# `registeredAt` is epoch seconds (ao writes Math.floor(Date.now() / 1000)); a value
# above this can only be milliseconds (10^11 s is the year 5138).
_MILLISECONDS_ABOVE = 10**11


@dataclass
class RegisteredEntry:
    path: str
    added_at: dt.datetime | None
    key: str  # configProjectKey (TS) or id (Go port), may be ''


def parse_ao_registered(data: bytes, *, path: str) -> list[RegisteredEntry]:
    raw = json_document(data, path=path)
    projects = raw.get("projects") or []
    if not isinstance(projects, list):
        raise LegacyParseError(path, "projects must be a list")
    entries = []
    for index, item in enumerate(projects):
        if not isinstance(item, dict):
            raise LegacyParseError(path, f"projects[{index}] is not an object")
        label = f"projects[{index}]"
        key = text_field(item, "configProjectKey", path=path) or text_field(item, "id", path=path)
        added = time_field(item, "addedAt", path=path, label=label + ".addedAt")
        entries.append(RegisteredEntry(text_field(item, "path", path=path), added, key))
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


def _registered_at(value: Any, notes: list[str]) -> dt.datetime | None:
    """A project's `registeredAt`: epoch seconds, or milliseconds when above 10^11."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        notes.append(f"registeredAt {value!r} ignored: not a number")
        return None
    seconds = value / 1000 if value > _MILLISECONDS_ABOVE else value
    try:
        moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        notes.append(f"registeredAt {value!r} ignored: out of range")
        return None
    if seconds <= 0:
        notes.append(f"registeredAt {value!r} ignored: not after 1970")
        return None
    return moment


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
                text_field(body, "displayName", path=where) or text_field(body, "name", path=where)
            ) or project_id
            project_path = text_field(body, "path", path=where)
            notes: list[str] = []
            config = json_safe(project_config(body, harnesses=harnesses, notes=notes), path=where)
        except LegacyParseError as exc:
            results.append(exc)
            continue
        repo = body.get("repo")
        origin_url = repo.get("originUrl") if isinstance(repo, dict) else None
        entry = by_key.get(project_id) or by_path.get(os.path.expanduser(project_path))
        registered_at = (
            _registered_at(body.get("registeredAt"), notes)
            or (entry.added_at if entry else None)
            or from_mtime(int(mtime))
        )
        results.append(
            ProjectRecord(
                id=project_id,
                title=title,
                path=project_path,
                repo_origin_url=origin_url if isinstance(origin_url, str) else "",
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
