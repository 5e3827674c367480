"""Reading session files of either source: bytes in, a record or the reason out. Pure and
free of Django, so the parse helper (parse_ahead.py) can run it."""

import os
import stat
from collections.abc import Sequence

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.records import (
    LegacyParseError,
    SessionRecord,
    SkippedFile,
    exception_text,
)
from migration_app.legacy.rows import ParsedSession, SessionRowFormat, session_parsed
from migration_app.legacy.transcripts import (
    CachedRealpath,
    transcript_destination,
    transcript_source,
    wants_transcript,
)
from migration_app.legacy.walk import SessionFile, read_bounded

DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024


def file_read(path: str, max_bytes: int) -> tuple[bytes, float]:
    """The file's bytes and mtime; a file over `max_bytes` is refused before it is read
    (or when it grew past it since), and anything but a regular file (a FIFO put there
    since the walk) is never waited on."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise LegacyParseError(path, "not a regular file")
            if info.st_size > max_bytes:
                raise LegacyParseError(
                    path,
                    f"file is {info.st_size:,} bytes, more than --max-file-bytes {max_bytes:,}; "
                    "not read",
                )
            data = read_bounded(handle, size=info.st_size, max_bytes=max_bytes)
    except OSError as exc:
        raise LegacyParseError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew since the fstat
        raise LegacyParseError(path, f"file is more than --max-file-bytes {max_bytes:,}")
    return data, info.st_mtime


def session_file_parse(
    *, source: str, file: SessionFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> SessionRecord | SkippedFile:
    """The file's session, or SkippedFile for an empty one; LegacyParseError says why it
    cannot be imported."""
    data, mtime = file_read(file.path, max_file_bytes)
    if not data:
        return SkippedFile(file.path, "0-byte file")
    if source == "ao":
        record = ao_ts.parse_ao_session(
            data, path=file.path, session_id=file.session_id, project_id=file.project_id,
            mtime=mtime, json_only=file.path.endswith(".json"), archived=file.archived,
            project_from_file=file.project_from_file,
        )  # fmt: skip
    else:
        archived = os.path.basename(os.path.dirname(file.path)) == ".archive"
        record = ao_rs.parse_ao_rs_session(
            data, path=file.path, dir_project_id=file.project_id, mtime=mtime, archived=archived
        )
    if file.note:
        record.notes.insert(0, file.note)
    return record


def session_files_parse(
    *,
    source: str,
    files: Sequence[SessionFile],
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[SessionRecord | SkippedFile | LegacyParseError]:
    """One result per file, in order: a bad file is a result, never an exception — any
    exception while reading one file rejects that file with its class and message."""
    results: list[SessionRecord | SkippedFile | LegacyParseError] = []
    for file in files:
        try:
            results.append(
                session_file_parse(source=source, file=file, max_file_bytes=max_file_bytes)
            )
        except LegacyParseError as exc:
            results.append(exc)
        except Exception as exc:  # noqa: BLE001 - the per-file boundary
            results.append(LegacyParseError(file.path, exception_text(exc)))
    return results


def session_files_prepare(
    *,
    source: str,
    files: Sequence[SessionFile],
    row_format: SessionRowFormat,
    claude_home: str,
    data_dir: str = "",
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[ParsedSession | SkippedFile | LegacyParseError]:
    """As session_files_parse, each session reduced to its row and where its Claude Code
    transcript is (under `claude_home`) and, given `data_dir`, goes."""
    realpath = CachedRealpath()
    results: list[ParsedSession | SkippedFile | LegacyParseError] = []
    for result in session_files_parse(source=source, files=files, max_file_bytes=max_file_bytes):
        if not isinstance(result, SessionRecord):
            results.append(result)
            continue
        transcript: dict = {}
        uuid = result.agent_session_id
        if wants_transcript(result.agent, uuid, result.workspace_path):
            now_at = transcript_source(
                claude_home=claude_home, worktree=result.workspace_path, uuid=uuid,
                realpath=realpath,
            )  # fmt: skip
            found = os.path.isfile(now_at)
            transcript = dict(transcript_source=now_at, transcript_source_found=found)
            if data_dir:
                dest = transcript_destination(
                    claude_home=claude_home, data_dir=data_dir, project_id=result.project_id,
                    session_id=result.id, uuid=uuid,
                )  # fmt: skip
                transcript |= dict(transcript_dest=dest, transcript_dest_found=os.path.exists(dest))
        try:
            prepared = session_parsed(result, row_format, **transcript)
        except RecursionError:  # metadata nested just below the decoder's limit
            prepared = LegacyParseError(result.source_path, "values are nested too deeply")
        except Exception as exc:  # noqa: BLE001 - the per-file boundary
            prepared = LegacyParseError(result.source_path, exception_text(exc))
        results.append(prepared)
    return results
