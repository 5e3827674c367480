"""Reader of the ao-rs YAML session store (~/.ao-rs/sessions), legacy-formats.md §4.

`<base>/<project_id>/<id>.yaml`, archives in `<base>/<project_id>/.archive/<id>.yaml`.
Pure functions over files: no database, no Django settings.
"""

import os
from collections.abc import Iterator
from typing import Any

from migration_app.legacy.ao_decode import text_field, utf8_text
from migration_app.legacy.records import (
    LegacyParseError,
    SessionRecord,
    from_mtime,
    json_safe,
    trailing_num,
    yaml_load,
)
from migration_app.legacy.status_map import ao_rs_status
from migration_app.legacy.walk import (
    SessionFile,
    corrupt_marked,
    not_a_file_reason,
    session_file,
    sorted_entries,
)

# SessionRecord fields that are the string of one key.
_TEXT_KEYS = {
    "prompt": "task", "issue_id": "issue_id", "issue_url": "issue_url", "branch": "branch",
    "workspace_path": "workspace_path",
}  # fmt: skip
_MAPPED_KEYS = frozenset(
    {"id", "project_id", "status", "activity", "agent", "created_at", *_TEXT_KEYS.values()}
)


def _yaml_files(directory: str, project_id: str, *, stat: bool = True) -> Iterator[SessionFile]:
    for entry in sorted_entries(directory):
        name = entry.name
        # `*.yaml.tmp` is an unfinished atomic write; anything else is not a session.
        if corrupt := corrupt_marked(entry, project_id, ".yaml"):
            yield corrupt
        elif name.endswith(".yaml"):
            skip = not_a_file_reason(entry)
            yield session_file(entry, project_id, name.removesuffix(".yaml"), skip=skip, stat=stat)


def ao_rs_session_files(
    base: str, *, include_archive: bool, stat: bool = True
) -> Iterator[SessionFile]:
    """Every session YAML under base, in a stable order; `.archive/` only when asked."""
    for project in sorted_entries(base):
        if not project.is_dir() or project.name.startswith("."):
            continue
        yield from _yaml_files(project.path, project.name, stat=stat)
        if include_archive:
            archive = os.path.join(project.path, ".archive")
            yield from _yaml_files(archive, project.name, stat=stat)


def is_ao_rs_store(base: str) -> bool:
    """Whether `base` holds ao-rs session YAML files (stops at the first one)."""
    return next(ao_rs_session_files(base, include_archive=True, stat=False), None) is not None


AO_RS_EXPECTED = "<project>/<session id>.yaml (the sessions/ directory of ~/.ao-rs)"


def parse_ao_rs_session(
    data: bytes, *, path: str, dir_project_id: str, mtime: float, archived: bool = False
) -> SessionRecord:
    """Map one ao-rs session YAML to a SessionRecord (issue 3, "ao-rs source")."""
    utf8_text(data, path=path)  # a binary file is no YAML document
    raw: Any = yaml_load(data, path=path)
    if not isinstance(raw, dict):
        raise LegacyParseError(path, f"YAML is a {type(raw).__name__}, not a mapping")
    session_id = raw.get("id")
    if not isinstance(session_id, str) or not session_id or len(session_id) > 255:
        raise LegacyParseError(path, "id is missing or not a string")
    project_id = text_field(raw, "project_id", path=path) or dir_project_id
    status = raw.get("status")
    if not isinstance(status, str):
        raise LegacyParseError(path, "status is missing or not a string")
    activity = raw.get("activity")
    if activity is not None and not isinstance(activity, str):
        raise LegacyParseError(path, "activity must be a string")
    triple = ao_rs_status(status, activity)
    if triple is None:
        raise LegacyParseError(path, f"unknown status {status!r} or activity {activity!r}")
    status_word, activity_state, terminated = triple
    touched = from_mtime(mtime)
    notes: list[str] = []
    created_ms = raw.get("created_at")
    if created_ms is None or created_ms == 0:
        # 0 (or no value) is unknown, not 1970.
        created_at = touched
        notes.append(f"created_at is {created_ms!r}: the file's modification time is used")
    elif isinstance(created_ms, bool) or not isinstance(created_ms, int) or created_ms < 0:
        raise LegacyParseError(path, "created_at must be epoch milliseconds (an integer)")
    else:
        try:
            created_at = from_mtime(created_ms / 1000)
        except (OverflowError, OSError, ValueError):
            raise LegacyParseError(path, f"created_at {created_ms} is out of range") from None
    agent = text_field(raw, "agent", path=path) if "agent" in raw else "claude-code"  # default
    metadata = {k: v for k, v in raw.items() if k not in _MAPPED_KEYS}
    agent_config = raw.get("agent_config")
    value = agent_config.get("opencodeSessionId") if isinstance(agent_config, dict) else None
    agent_session_id = value if agent == "opencode" and isinstance(value, str) else ""
    if archived:
        terminated, activity_state = True, "exited"
    return SessionRecord(
        id=session_id,
        project_id=project_id,
        source="ao-rs",
        source_path=path,
        status=status_word,
        activity_state=activity_state,
        is_terminated=terminated,
        legacy_status=status,
        created_at=created_at,
        updated_at=touched,
        activity_last_at=touched,
        first_signal_at=touched,
        num_hint=trailing_num(session_id),
        agent=agent,
        agent_session_id=agent_session_id,
        **{name: text_field(raw, key, path=path) for name, key in _TEXT_KEYS.items()},
        archived_at=touched if archived else None,
        metadata=json_safe(metadata, path=path),
        notes=notes,
    )
