"""One batch of session files: decided, written and journaled in one transaction with a
fixed number of queries whatever its size. Idempotent through the database's keys
(`INSERT … ON CONFLICT DO NOTHING`; docs/legacy-import.md, "Decisions worth knowing").

Claude transcripts of the sessions are planned (journaled) in the batch transaction and
copied once it commits, through a temporary file and a hard link (never overwriting a
destination). A rolled-back dry run never reaches the copy.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import suppress
from functools import partial
from itertools import count
from typing import Any

from django.db import transaction

from migration_app.legacy.records import (
    LegacyParseError,
    ProjectRecord,
    SkippedFile,
    project_id_problem,
)
from migration_app.legacy.rows import ParsedSession
from migration_app.legacy.transcripts import (
    transcript_destination,
    transcript_source,
    wants_transcript,
)
from migration_app.legacy.walk import SessionFile
from migration_app.models import MigrationItem
from migration_app.services.journal import ItemRecord, migration_run_progress
from migration_app.services.legacy_import.ao.projects import projects_plan, write_projects
from migration_app.services.legacy_import.ao.state import (
    Deferred,
    ImportState,
    TranscriptCopy,
    rejected_file,
)
from migration_app.services.legacy_import.shared import TEMP_SUFFIX, pks_present
from projects_app.bulk import rows_insert, rows_select_in
from projects_app.models import Project
from sessions_app.models import Session
from sessions_app.names import is_valid_name

Outcome = MigrationItem.Outcome
# Skips that are part of how the origins write (counted only); any other skip, such as a
# FIFO or a dangling link where a session file should be, is an item naming the file.
QUIET_SKIPS = frozenset({"0-byte reservation", "0-byte file", "corrupt-marked file"})


# Session numbers of the second pass: ids without a number and clash losers get the next
# free number of their project, in created_at order (so a re-run numbers alike).
USED_WINDOW = 5_000


def free_numbers(project_id: str) -> Iterator[int]:
    """The numbers not used in the project, ascending. Numbers are only ever added, so the
    used ones are read once, in windows of USED_WINDOW from where the search has reached
    (bounded memory, one query per window; linear over a whole run, not quadratic)."""
    num = 1
    while True:
        window = list(
            Session.objects.filter(project_id=project_id, num__gte=num)
            .order_by("num")
            .values_list("num", flat=True)[:USED_WINDOW]
        )
        for used in window:
            yield from range(num, used)
            num = used + 1
        if len(window) < USED_WINDOW:
            yield from count(num)


def next_free(state: ImportState, project_id: str) -> int:
    """The smallest number not used in the project (a generator queries only once started)."""
    return next(state.free_nums.setdefault(project_id, free_numbers(project_id)))


def insert_sessions(state: ImportState, rows: list[list[Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of the batch's session rows; returns the count the
    driver reports inserted (-1: unknown)."""
    return rows_insert(Session, state.row_format.columns, rows, ignore_conflicts=True)


@transaction.atomic
def session_batch(
    state: ImportState,
    parsed: list[tuple[SessionFile, ParsedSession | SkippedFile | LegacyParseError]],
    *,
    files_done: int,
    second_pass: bool = False,
    notes: dict[str, str] | None = None,
    prior_items: list[ItemRecord] | None = None,
    prior_copies: list[TranscriptCopy] | None = None,
) -> None:
    """Decide, write and journal one batch of `files_done` files in one transaction."""
    items: list[ItemRecord] = list(prior_items or [])
    copies: list[TranscriptCopy] = list(prior_copies or [])
    deferred_before = len(state.deferred)
    records: list[ParsedSession] = []
    files = {file.path: file for file, _ in parsed}
    for file, result in parsed:
        if isinstance(result, SkippedFile):
            state.bump("files_skipped")
            continue
        if isinstance(result, LegacyParseError):
            items.append(rejected_file(file.path, result))
            continue
        if result.is_terminated and not state.include_terminated and not second_pass:
            state.bump("sessions_not_in_scope")
            continue
        problem = project_id_problem(result.project_id)
        if not problem and not is_valid_name(result.id):
            problem = f"session id {result.id!r} breaks the name rule (letters, digits, '-', '_')"
        if problem:
            items.append(ItemRecord("file", file.path, Outcome.FAILED, problem))
            continue
        records.append(result)

    project_ids = {r.project_id for r in records}
    existing_projects = pks_present(Project, project_ids)
    existing_sessions = dict(
        rows_select_in(Session, ("id", "source_path"), id=[r.id for r in records])
    )
    if second_pass:
        taken: dict[tuple[str, int], str] = {}
    else:
        hints = {r.num_hint if r.num_hint is not None else 0 for r in records}
        taken = {
            (pid, num): sid
            for pid, num, sid in rows_select_in(
                Session, ("project", "num", "id"), project=sorted(project_ids), num=sorted(hints)
            )
        }

    # Projects the sessions need that do not exist yet: created from the directory name.
    new_projects = [
        ProjectRecord(
            id=pid,
            title=pid,
            registered_at=min(r.created_at for r in records if r.project_id == pid),
            source_path="(session directory)",
        )
        for pid in sorted(project_ids)
        if pid not in state.seen_projects
    ]
    project_rows, project_items = projects_plan(state, new_projects, existing_projects)
    items = project_items + items

    session_rows: list[list[Any]] = []
    batch_ids: set[str] = set()
    for record in records:
        imported_from = existing_sessions.get(record.id)
        if imported_from is not None:
            items.append(ItemRecord("session", record.id, Outcome.SKIPPED, "already imported"))
            # The transcript belongs to the file the session was imported from.
            if imported_from == record.source_path and record.id not in batch_ids:
                record_transcript(state, record, items, copies)
            batch_ids.add(record.id)
            continue
        if record.id in batch_ids:
            reason = "duplicate session id: already read from another file in this run"
            items.append(ItemRecord("session", record.id, Outcome.SKIPPED, reason))
            continue
        note = (notes or {}).get(record.id, "")
        if second_pass:
            num = next_free(state, record.project_id)
        else:
            num = record.num_hint
            if num is None and record.kind == "orchestrator":
                num = 0
            key = (record.project_id, num)
            holder = taken.get(key) if num is not None else None
            if num is None or holder is not None:
                why = f"number {num} is taken by {holder}" if num is not None else ""
                file = files[record.source_path]
                state.deferred.append(Deferred(file, record.created_at, record.id, why))
                continue
            taken[key] = record.id
        batch_ids.add(record.id)
        row = record.row  # completed with what only the run knows
        row[state.column["num"]] = num
        row[state.column["workspace_id"]] = state.workspace_db_id
        session_rows.append(row)
        after = {
            "project_id": record.project_id,
            "num": num,
            "source_path": record.source_path,
            "agent_session_id": record.agent_session_id,
        }  # agent_session_id: the transcripts follow-up (services/transcripts/follow_up.py)
        reason = "; ".join([*record.notes, *([f"{note}; got number {num}"] if note else [])])
        items.append(ItemRecord("session", record.id, Outcome.MIGRATED, reason, None, after))
        record_transcript(state, record, items, copies)

    # The source path of each session row, as written.
    id_at, path_at = state.column["id"], state.column["source_path"]
    mine = {row[id_at]: row[path_at] for row in session_rows}
    write_projects(project_rows)
    inserted = insert_sessions(state, session_rows)
    # Fewer rows than sent: some lost a race with another writer; find out which.
    if inserted != len(session_rows):
        items = confirm_inserted(mine, items)
    state.record(items)
    # A session deferred to the second pass is done there.
    deferred = len(state.deferred) - deferred_before
    migration_run_progress(run=state.run, advance=files_done - deferred)
    if copies:
        transaction.on_commit(partial(copy_transcripts, copies))


def confirm_inserted(mine: dict[str, str], items: list[ItemRecord]) -> list[ItemRecord]:
    """A row that lost a race with a concurrent writer is reported, not claimed (one query)."""
    stored = dict(rows_select_in(Session, ("id", "source_path"), id=list(mine)))
    fixed = []
    for item in items:
        if item.subject_type == "session" and item.outcome == Outcome.MIGRATED:
            if item.subject_id not in stored:
                reason = "number clashed with a concurrent insert; re-run to import it"
                item = ItemRecord("session", item.subject_id, Outcome.FAILED, reason)
            elif stored[item.subject_id] != mine[item.subject_id]:
                item = ItemRecord("session", item.subject_id, Outcome.SKIPPED, "already imported")
        fixed.append(item)
    return fixed


def already_imported(
    state: ImportState, chunk: list[SessionFile]
) -> tuple[list[ItemRecord], list[TranscriptCopy], list[SessionFile]]:
    """Files a previous run imported (same id, same source path) are skipped unparsed, in
    one query per batch: this is what makes a re-run cheap. The transcript of such a session
    is planned from its row, so a copy a killed run never made is still made."""
    readable = []
    items: list[ItemRecord] = []
    for file in chunk:
        if file.skip_reason:
            state.bump("files_skipped")
            if file.skip_reason not in QUIET_SKIPS:
                items.append(ItemRecord("file", file.path, Outcome.SKIPPED, file.skip_reason))
        else:
            readable.append(file)
    columns = ["id", "source_path", "project", "harness", "agent_session_id", "workspace_path"]
    rows = rows_select_in(Session, columns, id=[f.session_id for f in readable])
    by_id = {row[0]: row for row in rows}
    copies: list[TranscriptCopy] = []
    unknown = []
    for file in readable:
        row = by_id.get(file.session_id)
        if row is None or row[1] != file.path:
            unknown.append(file)
            continue
        _, _, project_id, harness, uuid, worktree = row
        items.append(ItemRecord("session", file.session_id, Outcome.SKIPPED, "already imported"))
        if wants_transcript(harness, uuid, worktree):
            source = transcript_source(
                claude_home=state.claude_home, worktree=worktree, uuid=uuid, realpath=state.realpath
            )
            dest = transcript_destination(
                claude_home=state.claude_home, data_dir=state.data_dir, project_id=project_id,
                session_id=file.session_id, uuid=uuid,
            )  # fmt: skip
            found, dest_found = os.path.isfile(source), os.path.exists(dest)
            transcript_plan(state, items, copies, file.session_id, source, found, dest, dest_found)
    return items, copies, unknown


def transcript_plan(
    state: ImportState,
    items: list[ItemRecord],
    copies: list[TranscriptCopy],
    session_id: str,
    source: str,
    source_found: bool,
    dest: str,
    dest_found: bool,
) -> None:
    """Journal the transcript's item and add its copy (`*_found`: whether a file is there)."""
    after = {"source": source, "dest": dest, "session_id": session_id}
    if dest_found:
        state.bump("transcripts_already_present")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, "already present", None, after)
        copies.append(TranscriptCopy(source, dest, copy=False))
    elif not source_found:
        state.bump("transcripts_source_missing")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, f"source missing: {source}")
    else:
        state.bump("transcripts_copied")  # in a dry run: would be copied
        item = ItemRecord("transcript", dest, Outcome.MIGRATED, "copied", None, after)
        copies.append(TranscriptCopy(source, dest, copy=True))
    items.append(item)


def record_transcript(
    state: ImportState, record: ParsedSession, items: list[ItemRecord], copies: list
) -> None:
    if record.transcript_source:
        transcript_plan(
            state, items, copies, record.id, record.transcript_source,
            record.transcript_source_found, record.transcript_dest, record.transcript_dest_found,
        )  # fmt: skip


def copy_transcripts(copies: list[TranscriptCopy]) -> None:
    """Copy (never move) each transcript; a destination that exists is left alone, and so
    is a source that cannot be read."""
    for copy in copies:
        temp = copy.dest + TEMP_SUFFIX
        try:
            if copy.copy and not os.path.exists(copy.dest):
                os.makedirs(os.path.dirname(copy.dest), exist_ok=True)
                with suppress(OSError):
                    shutil.copyfile(copy.source, temp)
                    os.link(temp, copy.dest)  # fails instead of overwriting
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
