"""A session's transcript written out: the original JSONL, or Markdown / HTML to read.

`jsonl` is the archive copies' bytes (`TranscriptFile.archive_path`, the first `offset`
bytes, checked against `prefix_sha256` before anything is written), so a session made
from one transcript file exports exactly that file. Several files — a session's
subagents, each in its own file — are concatenated: the session's own transcript first,
then the others, each group ordered by source path; every copy ends with a newline, so
the result is still one JSON object a line. `markdown` and `html` render the messages in
the transcript's order (sessions_app.transcripts: the session's conversation and its
subagents', by (created_at, id)); in HTML every text taken from a message is escaped.
"""

import json
import re
from collections.abc import Iterator

from django.utils.html import escape

from migration_app.models import TranscriptFile
from migration_app.services.transcripts.archive import CHUNK, range_sha256
from projects_app.selectors import object_get
from sessions_app.models import Session
from sessions_app.transcripts import TranscriptEntry, transcript_entries

FORMATS = ("jsonl", "markdown", "html")


class ExportRefused(Exception):
    """The session cannot be exported in the format asked (the message says why)."""


def session_export(*, session_id: str, fmt: str) -> Iterator[bytes]:
    """The export of one session as chunks of bytes (UTF-8 for markdown and html).

    An unknown session raises Session.DoesNotExist ("Session 'x' not found."); a session
    with no archived transcript, or an archive copy that no longer holds the bytes
    imported, raises ExportRefused for `jsonl`. Both are raised before the first chunk.
    """
    if fmt not in FORMATS:
        raise ExportRefused(f"Unknown format {fmt!r}: one of {', '.join(FORMATS)}.")
    session = object_get(Session.objects.all(), key=session_id)
    if fmt == "jsonl":
        return _jsonl(transcript_files_checked(session=session))
    render = _markdown if fmt == "markdown" else _html
    return (text.encode("utf-8") for text in render(session))


def transcript_files_checked(*, session: Session) -> list[TranscriptFile]:
    """The session's transcript files in export order, each archive copy verified."""
    files = sorted(
        TranscriptFile.objects.filter(session_id=session.pk, offset__gt=0),
        key=lambda f: (f.conversation_id != session.conversation_id, f.path),
    )
    if not files:
        raise ExportRefused(f"Session '{session.pk}' has no archived transcript to export.")
    for file in files:
        try:
            intact = range_sha256(file.archive_path, 0, file.offset) == file.prefix_sha256
        except OSError as exc:
            why = f"The archive copy {file.archive_path} cannot be read: {exc}."
            raise ExportRefused(why) from exc
        if not intact:
            raise ExportRefused(
                f"The archive copy {file.archive_path} does not hold the {file.offset} bytes "
                f"imported from {file.path}."
            )
    return files


def _jsonl(files: list[TranscriptFile]) -> Iterator[bytes]:
    for file in files:
        with open(file.archive_path, "rb") as handle:
            left = file.offset
            while left > 0 and (chunk := handle.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk


def _heading(n: int, entry: TranscriptEntry) -> str:
    """The message's number, role and time, then what else is worth knowing about it."""
    m = entry.message
    facts = [
        f"{n}. {m.role}",
        m.created_at.isoformat(),
        entry.subagent and f"subagent {entry.subagent}",
        m.model and str(m.model),
        m.tokens_used and f"{m.tokens_used} tokens",
        m.tool_call_id and f"result of {m.tool_call_id}",
        m.is_error and "error",
    ]
    return " · ".join(fact for fact in facts if fact)


def _tool_calls(entry: TranscriptEntry) -> str:
    calls = entry.message.tool_calls
    return json.dumps(calls, indent=2, ensure_ascii=False) if calls else ""


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`."""
    longest = max(map(len, re.findall("`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _markdown(session: Session) -> Iterator[str]:
    yield f"# {session.title or session.pk}\n\nSession `{session.pk}`\n"
    for n, entry in enumerate(transcript_entries(session=session), 1):
        yield f"\n## {_heading(n, entry)}\n\n"
        if entry.message.content:
            yield entry.message.content.rstrip("\n") + "\n"
        if calls := _tool_calls(entry):
            fence = _fence(calls)
            yield f"\nTool calls:\n\n{fence}json\n{calls}\n{fence}\n"


HTML_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; }}
section {{ border-top: 1px solid #ccc; padding: .5rem 0; }}
pre {{ white-space: pre-wrap; }}
.role-tool, .role-system {{ color: #555; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>Session <code>{session_id}</code></p>
"""


def _html(session: Session) -> Iterator[str]:
    yield HTML_HEAD.format(title=escape(session.title or session.pk), session_id=escape(session.pk))
    for n, entry in enumerate(transcript_entries(session=session), 1):
        yield f'<section class="message role-{escape(entry.message.role)}">\n'
        yield f"<h2>{escape(_heading(n, entry))}</h2>\n"
        if entry.message.content:
            yield f"<pre>{escape(entry.message.content)}</pre>\n"
        if calls := _tool_calls(entry):
            yield f'<pre class="tool-calls">{escape(calls)}</pre>\n'
        yield "</section>\n"
    yield "</body>\n</html>\n"
