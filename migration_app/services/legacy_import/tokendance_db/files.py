"""Session files (`<filesystem_path>/sessions/<id>/…`) → document artifacts of the
session's conversation, byte-exact; an unreadable one is a rejected item with its reason."""

from __future__ import annotations

import mimetypes
import uuid

from migration_app.legacy import tokendance_files
from migration_app.services.legacy_import.tokendance_db.state import (
    State,
    derived_id,
    rejected,
)
from projects_app.models import Artifact
from sessions_app.names import is_valid_name


def _directory(state: State, row: dict) -> str | None:
    """The session's directory, or None (no path known, or an id unfit for a path)."""
    base = state.workspace_paths.get(row["workspace_id"])
    if not base or not is_valid_name(row["id"]):
        return None
    return tokendance_files.session_dir(base, row["id"])


def file_artifact_id(session_id: str, relative_path: str) -> uuid.UUID:
    return derived_id("session-file", session_id, relative_path)


def existing_candidates(state: State, rows: list[dict]) -> list[uuid.UUID]:
    """Ids the files of these (already imported) sessions would get: to look up at once."""
    ids = []
    for row in rows:
        directory = _directory(state, row)
        if directory:
            for found in tokendance_files.session_files(directory, max_bytes=0):
                ids.append(file_artifact_id(row["id"], found.relative_path))
    return ids


def session_files_add(state: State, row: dict, work, old: set) -> None:
    directory = _directory(state, row)
    if directory is None:
        return
    for found in tokendance_files.session_files(directory):
        pk = file_artifact_id(row["id"], found.relative_path)
        subject = f"{row['id']}/{found.relative_path}"
        if pk in old:
            state.bump("session_files_already_imported")
            continue
        if found.problem:
            work.rejected.append(
                rejected("session_file", f"{found.path}: {found.problem}", subject)
            )
            continue
        mime = mimetypes.guess_type(found.relative_path)[0] or "text/plain"
        if found.relative_path.endswith(".md"):
            mime = "text/markdown"
        work.files.append(
            Artifact(
                id=pk,
                project_id=work.project_id,
                conversation_id=work.conversation_id,
                lineage=pk,
                name=found.relative_path[:500],
                artifact_type="document",
                content=found.text,
                mime_type=mime[:100],
                extra_data={
                    "session_file": {
                        "relative_path": found.relative_path,
                        "path": found.path,
                        "size": found.size,
                    }
                },
                created_at=state.now,
                updated_at=state.now,
            )
        )
