"""Reader of the ao legacy store's sessions (~/.agent-orchestrator), legacy-formats.md §1:
walk the tree (V2 here, V1 in `ao_v1`) and map one session file to a record, with the
status ao itself shows. Nothing here touches the database or Django.
"""

import os
import re
from collections.abc import Iterator

from migration_app.legacy.ao_decode import decode_object, session_document, text_field, time_field
from migration_app.legacy.ao_v1 import v1_session_files
from migration_app.legacy.records import LegacyParseError, SessionRecord, from_mtime, trailing_num
from migration_app.legacy.status_map import (
    AO_UNKNOWN_STATUS,
    ao_derived_status,
    ao_flat_status,
    ao_lifecycle_status,
)
from migration_app.legacy.walk import (
    CORRUPT_MARK,
    SessionFile,
    corrupt_marked,
    not_a_file_reason,
    session_file,
    sorted_entries,
)

_SESSION_ID_RE = re.compile(r"[A-Za-z0-9_-]+")

# SessionRecord fields that are the string of one key.
_TEXT_KEYS = {
    "prompt": "userPrompt", "display_name": "displayName", "issue_id": "issue",
    "branch": "branch", "workspace_path": "worktree",
}  # fmt: skip
# Keys whose whole value lands in a column; every other key goes to metadata verbatim.
_MAPPED_KEYS = frozenset({"role", "agent", "createdAt", *_TEXT_KEYS.values()})
_AGENT_SESSION_KEY = {
    "claude-code": "claudeSessionUuid",
    "codex": "codexThreadId",
    "opencode": "opencodeSessionId",
}


def _v2_session_files(sessions_dir: str, project_id: str, *, stat: bool) -> Iterator[SessionFile]:
    entries = sorted_entries(sessions_dir)
    # ao keeps a corrupt file as `<sid>.json.corrupt-<ts>` and rewrites `<sid>.json`.
    quarantined = {
        e.name.split(CORRUPT_MARK, 1)[0]: e.name for e in entries if CORRUPT_MARK in e.name
    }
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if corrupt := corrupt_marked(entry, project_id, ".json"):
            yield corrupt
        elif name.endswith(".json"):  # anything else is no session file (locks, temp files)
            copy = quarantined.get(name)
            yield session_file(
                entry, project_id, name.removesuffix(".json"), skip=not_a_file_reason(entry),
                stat=stat, empty="0-byte reservation",
                note=f"ao quarantined a corrupt copy of this file as {copy}" if copy else "",
            )  # fmt: skip


def ao_session_files(
    root: str, *, stat: bool = True, include_archive: bool = False
) -> Iterator[SessionFile]:
    """Every session file under the ao root, in a stable order: V2 projects, then V1 dirs
    (their `sessions/archive/` after the live files, only when asked)."""
    for entry in sorted_entries(os.path.join(root, "projects")):
        if entry.is_dir():
            sessions = os.path.join(entry.path, "sessions")
            yield from _v2_session_files(sessions, entry.name, stat=stat)
    yield from v1_session_files(root, stat=stat, include_archive=include_archive)


def is_ao_store(root: str) -> bool:
    """Whether `root` has the shape of an ao store: a session file, config.yaml or the
    portfolio registry (one directory listing or a few, never a whole walk)."""
    for marker in ("config.yaml", os.path.join("portfolio", "registered.json")):
        if os.path.isfile(os.path.join(root, marker)):
            return True
    return next(ao_session_files(root, stat=False, include_archive=True), None) is not None


AO_EXPECTED = "projects/<project>/sessions/<session>.json, or V1 <12 hex>-<project>/sessions/"


def find_lifecycle(data: dict, *, path: str) -> dict | None:
    """lifecycle → statePayload with stateVersion "2"/2 → None (legacy-formats §1.6)."""
    if data.get("lifecycle") is not None:
        lifecycle = decode_object(data["lifecycle"], path=path, key="lifecycle")
    elif data.get("stateVersion") in ("2", 2) and data.get("statePayload") is not None:
        lifecycle = decode_object(data["statePayload"], path=path, key="statePayload")
    else:
        return None
    lifecycle = dict(lifecycle)  # metadata keeps the original value verbatim
    for part in ("session", "runtime", "pr"):
        if lifecycle.get(part) is not None:
            lifecycle[part] = decode_object(lifecycle[part], path=path, key=f"lifecycle.{part}")
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
    project_from_file: bool = False,
) -> SessionRecord:
    """Map one ao session file to a SessionRecord (mapping table of issue 3 / DESIGN.md).

    `legacy_status` is the word ao shows: derived from a lifecycle (§1.7), else the flat
    `status`, else `unknown` (ao's word for a file with neither, such as the one it
    rewrites after quarantining a corrupt file). An archived file is a terminated session
    whatever it says (as `migrate-storage` flattens V1 archives), with `archived_at` =
    the file's mtime."""
    if not _SESSION_ID_RE.fullmatch(session_id) or len(session_id) > 255:
        raise LegacyParseError(path, f"session id {session_id!r} is not a valid ao session id")
    raw = session_document(data, path=path, json_only=json_only)
    notes: list[str] = []
    if project_from_file:
        # A bare `<12 hex>/` directory's session names its project in its `project` key;
        # without one, the project is named after the directory (and the item says so).
        named = raw.get("project")
        if isinstance(named, str) and named:
            project_id = named
        else:
            notes.append(f"no project key: project named after the directory {project_id}")
    lifecycle = find_lifecycle(raw, path=path)

    terminated_at = completed_at = started_at = last_transition = observed = None
    if lifecycle is not None:
        session = lifecycle["session"]
        state = session.get("state")
        if not isinstance(state, str):
            raise LegacyParseError(path, "lifecycle.session.state is missing or not a string")
        reason = session.get("reason")
        reason = reason if isinstance(reason, str) else None
        if archived and state not in ("terminated", "done"):
            state, reason = "terminated", reason or "migrated_from_archive"
        triple = ao_lifecycle_status(state, reason)
        if triple is None:
            raise LegacyParseError(path, f"unknown lifecycle state {state!r}")
        pr_url, stored = (raw.get(key) for key in ("pr", "status"))
        legacy_status = ao_derived_status(
            state, reason, lifecycle.get("pr"),
            pr_url=pr_url if isinstance(pr_url, str) else "",
            stored_status=stored if isinstance(stored, str) else "",
        )  # fmt: skip
        terminated_at, completed_at, started_at, last_transition = (
            time_field(session, key, path=path, label=f"lifecycle.session.{key}")
            for key in ("terminatedAt", "completedAt", "startedAt", "lastTransitionAt")
        )
        runtime = lifecycle.get("runtime") or {}
        observed = time_field(runtime, "lastObservedAt", path=path, label="lifecycle.runtime")
    else:
        status = raw.get("status")
        if status is None or status == "":
            status = "terminated" if archived else AO_UNKNOWN_STATUS
        if not isinstance(status, str):
            raise LegacyParseError(path, f"status must be a string, got {type(status).__name__}")
        triple = ao_flat_status(status)
        if triple is None:
            raise LegacyParseError(path, f"unknown status {status!r}")
        legacy_status = status
    status_word, activity_state, terminated = triple
    if (terminated_at is not None or archived) and not terminated:
        # terminatedAt set (or an archive) terminates the session whatever its state.
        activity_state, terminated = "exited", True

    agent = text_field(raw, "agent", path=path)
    session_key = _AGENT_SESSION_KEY.get(agent)
    agent_session_id = text_field(raw, session_key, path=path) if session_key else ""
    created_at = (
        time_field(raw, "createdAt", path=path, label="createdAt")
        or started_at
        or from_mtime(mtime)
    )
    activity_last_at = last_transition or observed or created_at
    role = text_field(raw, "role", path=path)
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
        **{name: text_field(raw, key, path=path) for name, key in _TEXT_KEYS.items()},
        terminated_at=terminated_at,
        completed_at=completed_at,
        archived_at=from_mtime(mtime) if archived else None,
        # JSON and key=value values are already JSON-safe (big ints arrive as strings).
        metadata=metadata,
        notes=notes,
    )
