"""The V1 (hash) layout of the ao store, walked as `ao migrate-storage` reads it
(legacy-formats.md §1.2, §1.11; docs/legacy-import.md, "V1 as ao migrate-storage reads
it"), so that an import before the user ran it gives the sessions an import after it gives.
Pure functions over directories; no database, no Django settings.
"""

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from migration_app.legacy.ao_decode import session_document
from migration_app.legacy.records import LegacyParseError
from migration_app.legacy.walk import (
    SessionFile,
    corrupt_marked,
    not_a_file_reason,
    session_file,
    sorted_entries,
)

_V1_DIR_RE = re.compile(r"([0-9a-f]{12})-(.+)")
_BARE_DIR_RE = re.compile(r"[0-9a-f]{12}")
# V1 archive names: <sessionId>_<20260420T143052Z or 2026-04-20T14:30:52.000Z>[.json]
_ARCHIVE_NAME_RE = re.compile(
    r"(?P<id>[A-Za-z0-9_-]+)_(?:\d{8}T\d{6}Z|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)"
    r"(?:\.json)?"
)


@dataclass(frozen=True)
class _HashDir:
    path: str
    hash: str
    bare: bool


def _hash_dirs(root: str) -> dict[str, list[_HashDir]]:
    """V1 directories by project id (a bare directory is its own group), in name order."""
    groups: dict[str, list[_HashDir]] = {}
    for entry in sorted_entries(root):
        name = entry.name
        if name.endswith(".migrated"):
            continue
        match = _V1_DIR_RE.fullmatch(name)
        if match:
            if match[2].endswith("observability"):
                continue
            key, bare = match[2], False
        elif _BARE_DIR_RE.fullmatch(name):
            key, bare = name, True
        else:
            continue
        if entry.is_dir():
            groups.setdefault(key, []).append(_HashDir(entry.path, name[:12], bare))
    return groups


def _live_files(directory: _HashDir, project_id: str, *, stat: bool) -> Iterator[SessionFile]:
    for entry in sorted_entries(os.path.join(directory.path, "sessions")):
        name = entry.name
        if name.startswith(".") or name == "archive":
            continue
        corrupt = corrupt_marked(entry, project_id, ".json")
        if corrupt:
            yield corrupt
            continue
        if name.endswith(".json"):
            session_id = name.removesuffix(".json")
        elif "." in name:
            continue  # not a session file (temp files, notes)
        else:
            session_id = name
        found = session_file(
            entry,
            project_id,
            session_id,
            skip=not_a_file_reason(entry),
            stat=stat,
            empty="0-byte reservation",
        )
        yield dataclasses.replace(found, project_from_file=directory.bare)


def _created_ms(path: str) -> float:
    """`createdAt` in milliseconds as migrate-storage ranks it (0 when unreadable)."""
    try:
        with open(path, "rb") as handle:
            document = session_document(handle.read(), path=path, json_only=False)
        created = dt.datetime.fromisoformat(str(document.get("createdAt", "")))
    except (OSError, ValueError, LegacyParseError):
        return 0.0
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return created.timestamp() * 1000


def _rank(file: SessionFile) -> tuple[float, float, str]:
    try:
        mtime = os.stat(file.path).st_mtime
    except OSError:
        mtime = 0.0
    return (_created_ms(file.path), mtime, file.path)


def _renamed_duplicates(
    files: list[tuple[_HashDir, SessionFile]],
) -> list[SessionFile]:
    """The files, the losers of an id found in two directories renamed `<id>__from-<hash>`."""
    by_id: dict[str, list[tuple[_HashDir, SessionFile]]] = {}
    for directory, file in files:
        if not file.skip_reason:
            by_id.setdefault(file.session_id, []).append((directory, file))
    renamed: dict[str, SessionFile] = {}
    for session_id, copies in by_id.items():
        if len(copies) < 2:
            continue
        winner = max((file for _, file in copies), key=_rank)
        for directory, file in copies:
            if file is winner:
                continue
            alias = f"{session_id}__from-{directory.hash}"
            note = (
                f"id {session_id} is also in {winner.path} (newer): imported as {alias}, "
                "as ao migrate-storage renames it"
            )
            renamed[file.path] = dataclasses.replace(file, session_id=alias, note=note)
    return [renamed.get(file.path, file) for _, file in files]


def _archive_files(
    directory: _HashDir, project_id: str, seen: set[str], *, stat: bool
) -> Iterator[SessionFile]:
    for entry in sorted_entries(os.path.join(directory.path, "sessions", "archive")):
        match = _ARCHIVE_NAME_RE.fullmatch(entry.name)
        if not match:
            continue
        session_id = match["id"]
        skip = not_a_file_reason(entry)
        if not skip and session_id in seen:
            skip = "archived copy of a session that has an active file or an earlier archive"
        if not skip:
            seen.add(session_id)
        found = session_file(
            entry, project_id, session_id, skip=skip, stat=stat, empty="0-byte reservation"
        )
        yield dataclasses.replace(found, archived=True, project_from_file=directory.bare)


def v1_session_files(root: str, *, stat: bool, include_archive: bool) -> Iterator[SessionFile]:
    """Every V1 session file under the ao root, project by project."""
    for project_id, directories in _hash_dirs(root).items():
        files = [
            (directory, file)
            for directory in directories
            for file in _live_files(directory, project_id, stat=stat)
        ]
        live = _renamed_duplicates(files) if len(directories) > 1 else [f for _, f in files]
        yield from live
        if include_archive:
            seen = {file.session_id for file in live if not file.skip_reason}
            for directory in directories:
                yield from _archive_files(directory, project_id, seen, stat=stat)
