"""Reading session files of either source: bytes in, a record or the reason out.

Pure over files and free of Django, so a helper process can run it (see
`migration_app.services.parse_ahead`) while the importer writes the previous batch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.records import LegacyParseError, SessionRecord, SkippedFile
from migration_app.legacy.rows import ParsedSession, SessionRowFormat, session_parsed
from migration_app.legacy.transcripts import CachedRealpath, transcript_source, wants_transcript


def session_file_parse(*, source: str, file: ao_ts.SessionFile) -> SessionRecord | SkippedFile:
    """The file's session, or SkippedFile for an empty one; LegacyParseError names the
    file and why it cannot be imported. Size and mtime are read from the open file, so
    the walk need not stat every file."""
    try:
        with open(file.path, "rb") as handle:
            mtime = os.fstat(handle.fileno()).st_mtime
            data = handle.read()
    except OSError as exc:
        raise LegacyParseError(file.path, f"cannot read: {exc.strerror or exc}") from None
    if not data:
        return SkippedFile(file.path, "0-byte file")
    if source == "ao":
        return ao_ts.parse_ao_session(
            data,
            path=file.path,
            session_id=file.session_id,
            project_id=file.project_id,
            mtime=mtime,
            json_only=file.path.endswith(".json"),
            archived=file.archived,
        )
    return ao_rs.parse_ao_rs_session(
        data,
        path=file.path,
        dir_project_id=file.project_id,
        mtime=mtime,
        archived=ao_rs.is_archive_path(file.path),
    )


def session_files_parse(
    *, source: str, files: Sequence[ao_ts.SessionFile]
) -> list[SessionRecord | SkippedFile | LegacyParseError]:
    """One result per file, in order: a bad file is a result, never an exception."""
    results: list[SessionRecord | SkippedFile | LegacyParseError] = []
    for file in files:
        try:
            results.append(session_file_parse(source=source, file=file))
        except LegacyParseError as exc:
            results.append(exc)
    return results


def session_files_prepare(
    *,
    source: str,
    files: Sequence[ao_ts.SessionFile],
    row_format: SessionRowFormat,
    claude_home: str,
) -> list[ParsedSession | SkippedFile | LegacyParseError]:
    """As session_files_parse, each session reduced to what the importer needs: its row,
    and where its Claude Code transcript is (looked up under `claude_home`)."""
    realpath = CachedRealpath()
    results: list[ParsedSession | SkippedFile | LegacyParseError] = []
    for result in session_files_parse(source=source, files=files):
        if not isinstance(result, SessionRecord):
            results.append(result)
            continue
        transcript, found = "", False
        if wants_transcript(result.agent, result.agent_session_id, result.workspace_path):
            transcript = transcript_source(
                claude_home=claude_home,
                worktree=result.workspace_path,
                uuid=result.agent_session_id,
                realpath=realpath,
            )
            found = os.path.isfile(transcript)
        try:
            parsed = session_parsed(
                result, row_format, transcript_source=transcript, transcript_source_found=found
            )
        except RecursionError:  # metadata nested just below the decoder's limit
            parsed = LegacyParseError(result.source_path, "values are nested too deeply")
        results.append(parsed)
    return results
