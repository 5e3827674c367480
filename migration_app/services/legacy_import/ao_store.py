"""Offline import of the ao legacy store and the ao-rs YAML store (issue 3).

`ao_store_execute` streams the source files in batches. Each batch is one transaction
with a fixed number of queries, whatever its size: reads (sessions already imported from
these files, existing projects, existing sessions, taken numbers), two
`INSERT … ON CONFLICT DO NOTHING` executemany calls, one read-back, one executemany of
journal items and one progress update. Idempotency comes from the database: session and
project ids are primary keys and `num` is unique per project, so a re-run (or a run after
kill -9) inserts nothing twice. A re-run does not parse files it already imported.

Numbers: a session whose id ends in `-<digits>` claims that number in a first pass; ids
without one (UUIDs, orchestrators already holding 0) and clash losers are deferred and get
the next free number of their project in a second pass, in created_at order. Both passes
visit files in a fixed order, so an interrupted run and its re-run assign the same numbers
as one uninterrupted run.

Dry run: the same code, rolled back by the journal; transcripts are copied in
`transaction.on_commit`, which a rolled-back run never reaches.

Claude transcripts are journaled in the batch transaction and copied after it commits,
through a temporary file and a hard link (never overwriting a destination).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.reading import session_files_prepare
from migration_app.legacy.records import (
    LegacyParseError,
    ProjectRecord,
    SkippedFile,
    project_id_problem,
)
from migration_app.legacy.rows import (
    MAPPED_COLUMNS,
    RUN_COLUMNS,
    ParsedSession,
    SessionRowFormat,
)
from migration_app.legacy.synthetic import ao_rs_tree_generate, ao_tree_generate
from migration_app.legacy.transcripts import (
    CachedRealpath,
    transcript_destination,
    transcript_source,
    wants_transcript,
)
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.bulk import rows_insert
from migration_app.services.journal import (
    ItemRecord,
    MigrationError,
    Planned,
    UndoResult,
    migration_items_record,
    migration_run_progress,
)
from migration_app.services.legacy_import import LegacySource, legacy_source_register
from migration_app.services.parse_ahead import ParseAhead, usable_cores
from projects_app.models import Project, Source, Workspace
from sessions_app.models import HARNESSES, Session
from sessions_app.names import is_valid_name

Outcome = MigrationItem.Outcome
DEFAULT_BATCH_SIZE = 500
READ_AHEAD = 2  # batches parsed ahead of the one being written (memory: 3 batches)
_HARNESSES = frozenset(HARNESSES)
TEMP_SUFFIX = ".sessionhub-partial"

ProgressCallback = Callable[[int, int], None]


# --- batch reads ---------------------------------------------------------------------

# Values per IN list: far below SQLite's 32,766 parameters, whatever --batch-size says.
_IN_CHUNK = 5_000


def _rows_in(queryset, field: str, values: Iterable, *columns: str) -> list[tuple]:
    """`columns` of the rows whose `field` is among `values`, asked in chunks."""
    values = list(values)
    return [
        row
        for start in range(0, len(values), _IN_CHUNK)
        for row in queryset.filter(**{f"{field}__in": values[start : start + _IN_CHUNK]})
        .order_by()
        .values_list(*columns)
    ]


# --- run state -----------------------------------------------------------------------


def _session_row_format() -> SessionRowFormat:
    """The session table as the row preparer needs it (sent once to the parse helper)."""
    return SessionRowFormat(
        defaults={
            f.attname: f.get_db_prep_save(f.get_default(), connection)
            for f in Session._meta.concrete_fields
            if f.attname not in MAPPED_COLUMNS and f.attname not in RUN_COLUMNS
        },
        harnesses=_HARNESSES,
        naive_utc_dates=connection.vendor == "sqlite",
    )


@dataclass
class _Deferred:
    """A session left for the second pass: it has no number of its own, or lost a clash."""

    file: ao_ts.SessionFile
    created_at: dt.datetime
    session_id: str
    note: str


class _UsedNumbers:
    """The numbers used in one project, read in ascending windows of _USED_WINDOW from the
    number the search has reached: memory stays bounded whatever the project's size, at
    one query per window (the search only moves up)."""

    def __init__(self, project_id: str):
        self.project_id = project_id
        self.window: deque[int] = deque()
        self.read_from = 1  # numbers below were read already
        self.exhausted = False

    def first_at_or_above(self, num: int) -> int | None:
        while self.window and self.window[0] < num:
            self.window.popleft()
        if not self.window and not self.exhausted:
            start = max(num, self.read_from)
            nums = list(
                Session.objects.filter(project_id=self.project_id, num__gte=start)
                .order_by("num")
                .values_list("num", flat=True)[:_USED_WINDOW]
            )
            self.window.extend(nums)
            self.exhausted = len(nums) < _USED_WINDOW
            self.read_from = nums[-1] + 1 if nums else start
        return self.window[0] if self.window else None


_USED_WINDOW = 5_000


@dataclass
class _TranscriptCopy:
    source: str
    dest: str
    copy: bool  # False: only clear a temp file a killed run may have left


@dataclass
class _State:
    run: MigrationRun
    workspace: Workspace
    source: str
    include_terminated: bool
    claude_home: str
    data_dir: str
    now: dt.datetime
    seen_projects: set[str] = field(default_factory=set)
    deferred: list[_Deferred] = field(default_factory=list)
    # Second pass: the next number to try, and the used numbers from there on, per project.
    next_num: dict[str, int] = field(default_factory=dict)
    used_nums: dict[str, _UsedNumbers] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    realpath: CachedRealpath = field(default_factory=CachedRealpath)
    row_format: SessionRowFormat = field(default_factory=_session_row_format)

    def __post_init__(self):
        self.column = {name: i for i, name in enumerate(self.row_format.columns)}
        workspace = Session._meta.get_field("workspace")
        self.workspace_db_id = workspace.get_db_prep_save(self.workspace.pk, connection)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _batched(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _session_files(state: _State, path: str) -> Iterator[ao_ts.SessionFile]:
    """The walk lists names only; the reader stats each file as it opens it."""
    if state.source == "ao":
        return ao_ts.ao_session_files(path, stat=False, include_archive=state.include_terminated)
    return ao_rs.ao_rs_session_files(path, include_archive=state.include_terminated, stat=False)


def _record_problem(record: ParsedSession) -> str | None:
    problem = project_id_problem(record.project_id)
    if problem:
        return problem
    if not is_valid_name(record.id):
        return f"session id {record.id!r} breaks the name rule (letters, digits, '-', '_')"
    return None


# --- projects ------------------------------------------------------------------------


def _project_row(state: _State, record: ProjectRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "workspace_id": state.workspace.pk,
        "title": record.title[:500],
        "path": record.path,
        "repo_origin_url": record.repo_origin_url,
        "config": record.config,
        "kind": Project.Kind.SINGLE_REPO,
        "registered_at": record.registered_at or state.now,
        "source": Source.AO if state.source == "ao" else Source.AO_RS,
        "created_at": state.now,
        "updated_at": state.now,
    }


def _projects_plan(
    state: _State, records: list[ProjectRecord], existing: set[str]
) -> tuple[list[dict], list[ItemRecord]]:
    """Rows to insert and items for projects met for the first time in this run."""
    rows, items = [], []
    for record in records:
        if record.id in state.seen_projects:
            continue
        state.seen_projects.add(record.id)
        reason = "; ".join(record.notes)
        if record.id in existing:
            items.append(ItemRecord("project", record.id, Outcome.SKIPPED, "already exists"))
            continue
        rows.append(_project_row(state, record))
        after = {"source_path": record.source_path}
        items.append(ItemRecord("project", record.id, Outcome.MIGRATED, reason, None, after))
    return rows, items


def _existing_projects(state: _State, ids: Iterable[str]) -> set[str]:
    return {pk for (pk,) in _rows_in(Project.objects, "id", ids, "id")}


def _import_config_projects(state: _State, root: str) -> None:
    """Projects of config.yaml and portfolio/registered.json (ao only), one batch."""
    items: list[ItemRecord] = []
    registered: list[ao_ts.RegisteredEntry] = []
    registered_path = os.path.join(root, "portfolio", "registered.json")
    if os.path.isfile(registered_path):
        try:
            registered = ao_ts.parse_ao_registered(
                _read_file(registered_path), path=registered_path
            )
        except (LegacyParseError, OSError) as exc:
            items.append(_rejected_file(registered_path, exc))
    config_path = os.path.join(root, "config.yaml")
    results: list[ProjectRecord | LegacyParseError] = []
    if os.path.isfile(config_path):
        try:
            results = ao_ts.parse_ao_config(
                _read_file(config_path),
                path=config_path,
                mtime=os.stat(config_path).st_mtime,
                registered=registered,
                harnesses=_HARNESSES,
            )
        except (LegacyParseError, OSError) as exc:
            items.append(_rejected_file(config_path, exc))
    records = []
    for result in results:
        if isinstance(result, LegacyParseError):
            items.append(ItemRecord("project", result.path, Outcome.FAILED, result.reason))
            continue
        problem = project_id_problem(result.id)
        if problem:
            state.seen_projects.add(result.id)
            items.append(ItemRecord("project", result.id, Outcome.FAILED, problem))
            continue
        # The origin reads the URL with `git remote get-url origin`; the config's is a fallback.
        result.repo_origin_url = ao_ts.git_origin_url(result.path) or result.repo_origin_url
        records.append(result)
    with transaction.atomic():
        existing = _existing_projects(state, (r.id for r in records))
        rows, project_items = _projects_plan(state, records, existing)
        _write_projects(state, rows)
        items.extend(project_items)
        _items_record(state, items)
        # Config projects count towards the progress total as well as the files.
        migration_run_progress(run=state.run, total=state.run.progress_total + len(results))
        _advance(state, len(results))


def _write_projects(state: _State, rows: list[dict]) -> None:
    Project.objects.bulk_create([Project(**row) for row in rows], ignore_conflicts=True)


def _items_record(state: _State, items: list[ItemRecord]) -> None:
    """The batch's journal rows, in one statement (the journal's own bulk writer)."""
    migration_items_record(run=state.run, items=items, created_at=state.now)


def _rejected_file(path: str, exc: Exception) -> ItemRecord:
    reason = exc.reason if isinstance(exc, LegacyParseError) else str(exc)
    return ItemRecord("file", path, Outcome.FAILED, reason)


def _advance(state: _State, n: int) -> None:
    migration_run_progress(run=state.run, advance=n)


# --- sessions ------------------------------------------------------------------------


def _session_values(state: _State, parsed: ParsedSession, num: int) -> list[Any]:
    """The prepared row, completed with what only the run knows."""
    values = parsed.row
    values[state.column["num"]] = num
    values[state.column["workspace_id"]] = state.workspace_db_id
    return values


def _insert_sessions(state: _State, rows: list[list[Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of the batch's session rows; returns the count the
    driver reports inserted (-1: unknown)."""
    return rows_insert(Session, state.row_format.columns, rows, ignore_conflicts=True)


def _transcript_plan(
    state: _State,
    project_id: str,
    session_id: str,
    uuid: str,
    source: str,
    source_found: bool | None = None,
) -> tuple[ItemRecord, _TranscriptCopy | None]:
    """`source_found`: when the parse helper already looked (None: look now)."""
    dest = transcript_destination(
        claude_home=state.claude_home,
        data_dir=state.data_dir,
        project_id=project_id,
        session_id=session_id,
        uuid=uuid,
    )
    after = {"source": source, "dest": dest, "session_id": session_id}
    if os.path.exists(dest):
        state.bump("transcripts_already_present")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, "already present", None, after)
        return item, _TranscriptCopy(source, dest, copy=False)
    if not (os.path.isfile(source) if source_found is None else source_found):
        state.bump("transcripts_source_missing")
        item = ItemRecord("transcript", dest, Outcome.SKIPPED, f"source missing: {source}")
        return item, None
    state.bump("transcripts_copied")  # in a dry run: would be copied
    item = ItemRecord("transcript", dest, Outcome.MIGRATED, "copied", None, after)
    return item, _TranscriptCopy(source, dest, copy=True)


def _record_transcript(
    state: _State, record: ParsedSession
) -> tuple[ItemRecord, _TranscriptCopy | None] | None:
    if not record.transcript_source:
        return None
    return _transcript_plan(
        state,
        record.project_id,
        record.id,
        record.agent_session_id,
        record.transcript_source,
        record.transcript_source_found,
    )


def _next_free(state: _State, project_id: str) -> int:
    """The smallest number not used in the project. Numbers are only ever added, so the
    search resumes where the last one stopped (linear over a whole run, not quadratic)."""
    used = state.used_nums.get(project_id)
    if used is None:
        used = state.used_nums[project_id] = _UsedNumbers(project_id)
    num = state.next_num.get(project_id, 1)
    while used.first_at_or_above(num) == num:
        num += 1
    state.next_num[project_id] = num + 1
    return num


def _session_batch(
    state: _State,
    parsed: list[tuple[ao_ts.SessionFile, ParsedSession | SkippedFile | LegacyParseError]],
    *,
    second_pass: bool,
    notes: dict[str, str] | None = None,
    prior_items: list[ItemRecord] | None = None,
) -> list[_TranscriptCopy]:
    """Decide, write and journal one batch; returns the transcript copies to make after commit."""
    items: list[ItemRecord] = list(prior_items or [])
    records: list[ParsedSession] = []
    files = {file.path: file for file, _ in parsed}
    for file, result in parsed:
        if isinstance(result, SkippedFile):
            state.bump("files_skipped")
            continue
        if isinstance(result, LegacyParseError):
            items.append(_rejected_file(file.path, result))
            continue
        problem = _record_problem(result)
        if problem:
            items.append(ItemRecord("file", file.path, Outcome.FAILED, problem))
            continue
        records.append(result)

    project_ids = {r.project_id for r in records}
    existing_projects = _existing_projects(state, project_ids)
    existing_sessions = dict(
        _rows_in(Session.objects, "id", (r.id for r in records), "id", "source_path")
    )
    if second_pass:
        taken: dict[tuple[str, int], str] = {}
    else:
        hints = {r.num_hint if r.num_hint is not None else 0 for r in records}
        in_projects = Session.objects.filter(project__in=sorted(project_ids))
        taken = {
            (pid, num): sid
            for pid, num, sid in _rows_in(in_projects, "num", sorted(hints), "project", "num", "id")
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
    project_rows, project_items = _projects_plan(state, new_projects, existing_projects)
    items = project_items + items

    session_rows: list[list[Any]] = []
    copies: list[_TranscriptCopy] = []
    batch_ids: set[str] = set()
    for record in records:
        imported_from = existing_sessions.get(record.id)
        if imported_from is not None:
            items.append(ItemRecord("session", record.id, Outcome.SKIPPED, "already imported"))
            # The transcript belongs to the file the session was imported from.
            same_file = imported_from == record.source_path and record.id not in batch_ids
            planned = _record_transcript(state, record) if same_file else None
            if planned:
                items.append(planned[0])
                copies += [planned[1]] if planned[1] else []
            batch_ids.add(record.id)
            continue
        if record.id in batch_ids:
            reason = "duplicate session id: already read from another file in this run"
            items.append(ItemRecord("session", record.id, Outcome.SKIPPED, reason))
            continue
        note = (notes or {}).get(record.id, "")
        if second_pass:
            num = _next_free(state, record.project_id)
        else:
            num = record.num_hint
            if num is None and record.kind == "orchestrator":
                num = 0
            key = (record.project_id, num)
            holder = taken.get(key) if num is not None else None
            if num is None or holder is not None:
                note = f"number {num} is taken by {holder}"
                state.deferred.append(
                    _Deferred(
                        files[record.source_path],
                        record.created_at,
                        record.id,
                        note if num is not None else "",
                    )
                )
                continue
            taken[key] = record.id
        batch_ids.add(record.id)
        session_rows.append(_session_values(state, record, num))
        after = {"project_id": record.project_id, "num": num, "source_path": record.source_path}
        reason = f"{note}; got number {num}" if note else ""
        items.append(ItemRecord("session", record.id, Outcome.MIGRATED, reason, None, after))
        planned = _record_transcript(state, record)
        if planned:
            items.append(planned[0])
            copies += [planned[1]] if planned[1] else []

    # (id, source path, project, number) of each session row, as written.
    at = [state.column[name] for name in ("id", "source_path", "project_id", "num")]
    landed = [tuple(row[i] for i in at) for row in session_rows]
    _write_projects(state, project_rows)
    inserted = _insert_sessions(state, session_rows)
    # Fewer rows than sent: some lost a race with another writer; find out which.
    if inserted != len(session_rows):
        items = _confirm_inserted(landed, items)
    _items_record(state, items)
    return copies


def _confirm_inserted(
    landed: list[tuple[str, str, str, int]], items: list[ItemRecord]
) -> list[ItemRecord]:
    """A row that lost a race with a concurrent writer is reported, not claimed (one query)."""
    mine = {sid: path for sid, path, _, _ in landed}
    stored = dict(_rows_in(Session.objects, "id", mine, "id", "source_path"))
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


def _copy_transcripts(copies: list[_TranscriptCopy]) -> int:
    """Copy (never move) each transcript; a destination that exists is left alone."""
    done = 0
    for copy in copies:
        temp = copy.dest + TEMP_SUFFIX
        if not copy.copy or os.path.exists(copy.dest):
            if os.path.exists(temp):
                os.unlink(temp)
            continue
        os.makedirs(os.path.dirname(copy.dest), exist_ok=True)
        try:
            shutil.copyfile(copy.source, temp)
            os.link(temp, copy.dest)  # fails instead of overwriting
            done += 1
        except FileExistsError:
            pass
        except OSError:
            continue
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return done


def _copy_after_commit(state: _State, copies: list[_TranscriptCopy]) -> None:
    """Files are copied only once the batch that journals them has committed (never in a
    dry run, never when the batch rolls back)."""
    if copies:
        transaction.on_commit(partial(_copy_transcripts, copies))


def _process_files(
    state: _State, files: Iterable[ao_ts.SessionFile], batch_size: int, parser: ParseAhead
) -> None:
    """Batches are parsed up to READ_AHEAD ahead of the batch being written (in a helper
    process when `parser` has one), so an uneven batch on either side does not stall the
    other; each batch is still decided and written in its own transaction, in order."""
    ahead: deque[tuple[int, list[ItemRecord], list[_TranscriptCopy], list, Any]] = deque()
    for chunk in _batched(files, batch_size):
        # Safe to read before the previous batch commits: a file is skipped here only when
        # a row carries its own path, which no other batch of this run can write.
        known_items, known_copies, unknown = _already_imported(state, chunk)
        ahead.append((len(chunk), known_items, known_copies, unknown, parser.submit(unknown)))
        if len(ahead) > READ_AHEAD:
            _write_parsed(state, *ahead.popleft())
    while ahead:
        _write_parsed(state, *ahead.popleft())


def _write_parsed(
    state: _State,
    chunk_size: int,
    known_items: list[ItemRecord],
    known_copies: list[_TranscriptCopy],
    unknown: list[ao_ts.SessionFile],
    parsing,
) -> None:
    parsed = []
    for file, record in zip(unknown, parsing.result(), strict=True):
        terminated = isinstance(record, ParsedSession) and record.is_terminated
        if terminated and not state.include_terminated:
            state.bump("sessions_not_in_scope")
            continue
        parsed.append((file, record))
    deferred_before = len(state.deferred)
    with transaction.atomic():
        copies = _session_batch(state, parsed, second_pass=False, prior_items=known_items)
        _advance(state, chunk_size - (len(state.deferred) - deferred_before))
        _copy_after_commit(state, known_copies + copies)


def _already_imported(
    state: _State, chunk: list[ao_ts.SessionFile]
) -> tuple[list[ItemRecord], list[_TranscriptCopy], list[ao_ts.SessionFile]]:
    """Files a previous run imported (same id, same source path) are skipped unparsed.

    One query per batch. This is what makes a re-run cheap; the transcript of such a
    session is planned from its row, so a copy a killed run never made is still made.
    """
    readable = []
    for file in chunk:
        if file.skip_reason:
            state.bump("files_skipped")
        else:
            readable.append(file)
    columns = ["id", "source_path", "project", "harness", "agent_session_id", "workspace_path"]
    rows = _rows_in(Session.objects, "id", (f.session_id for f in readable), *columns)
    by_id = {row[0]: row for row in rows}
    items: list[ItemRecord] = []
    copies: list[_TranscriptCopy] = []
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
            item, copy = _transcript_plan(state, project_id, file.session_id, uuid, source)
            items.append(item)
            copies += [copy] if copy else []
    return items, copies, unknown


def _process_deferred(state: _State, batch_size: int) -> None:
    deferred = sorted(state.deferred, key=lambda d: (d.file.project_id, d.created_at, d.session_id))
    state.deferred = []
    for chunk in _batched(deferred, batch_size):
        files = [item.file for item in chunk]
        # Parsed again: small (ids without a number, clash losers); a file that changed
        # since the first pass is judged as it is now.
        results = session_files_prepare(
            source=state.source,
            files=files,
            row_format=state.row_format,
            claude_home=state.claude_home,
        )
        parsed = list(zip(files, results, strict=True))
        notes = {item.session_id: item.note for item in chunk if item.note}
        with transaction.atomic():
            copies = _session_batch(state, parsed, second_pass=True, notes=notes)
            _advance(state, len(chunk))
            _copy_after_commit(state, copies)


def _count_files(
    state: _State, path: str, *, more_than: int, on_more: Callable[[], None] | None
) -> int:
    """Files to visit (the progress total); `on_more` is called once past `more_than`."""
    total = 0
    for _ in _session_files(state, path):
        total += 1
        if total == more_than + 1 and on_more is not None:
            on_more()
    return total


def ao_store_plan(
    *,
    source: str,
    location: str,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    claude_home: str | None = None,
    include_terminated: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    parse_ahead: bool | None = None,
) -> Planned:
    """Import one ao or ao-rs store. `parse_ahead`: parse the next batch in a helper
    process while this one writes (None: when there is a second core and more than one
    batch)."""
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    path = os.path.abspath(os.path.expanduser(location))
    if not os.path.isdir(path):
        raise MigrationError(
            f"Source path {path} does not exist or is not a directory; pass the path of "
            "the legacy store as PATH."
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise MigrationError(
            f"Source path {path} is not readable; fix its permissions or run as its owner."
        )
    if not Workspace.objects.filter(slug=workspace_slug).exists():
        raise MigrationError(
            f"Workspace {workspace_slug!r} does not exist; create it in the admin or pass "
            "--workspace with an existing slug."
        )
    claude_home = os.path.abspath(
        os.path.expanduser(claude_home or str(settings.CLAUDE_CONFIG_DIR))
    )
    params = {
        "source": source,
        "path": path,
        "workspace": workspace_slug,
        "claude_home": claude_home,
        "include_terminated": include_terminated,
        "batch_size": batch_size,
        "parse_ahead": parse_ahead,
    }
    return Planned(params=params)


def ao_store_execute(run: MigrationRun) -> dict:
    params = run.params
    source, path, batch_size = params["source"], params["path"], params["batch_size"]
    parse_ahead = params.get("parse_ahead")
    state = _State(
        run=run,
        workspace=Workspace.objects.get(slug=params["workspace"]),
        source=source,
        include_terminated=params["include_terminated"],
        claude_home=params["claude_home"],
        data_dir=str(settings.SESSIONHUB_DATA_DIR),
        now=timezone.now(),
    )
    try:
        with (
            _settled_heap(),
            ParseAhead(
                source=source,
                enabled=parse_ahead is not False and usable_cores() > 1,
                row_format=state.row_format,
                claude_home=state.claude_home,
            ) as parser,
        ):
            # More than one batch: start the helper now, so it starts while the walk
            # counts (unless parse ahead was asked for explicitly, then it starts on
            # the first batch to parse).
            on_many = parser.start if parse_ahead is None else None
            total = _count_files(state, path, more_than=batch_size, on_more=on_many)
            migration_run_progress(run=run, total=total)
            if parse_ahead is None and total <= batch_size:
                parser.enabled = False  # one batch: nothing to overlap
            if source == "ao":
                _import_config_projects(state, path)
            _process_files(state, _session_files(state, path), batch_size, parser)
        _process_deferred(state, batch_size)
    finally:
        run.counts = _summary(state)
    return run.counts


@contextmanager
def _settled_heap():
    """The objects that exist before the run (Django, the app) are left out of the cyclic
    garbage collector's full passes for its length: a run allocates millions of short-lived
    objects, and each full pass would walk the whole framework again. Whatever the run
    itself leaves behind is still collected."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _summary(state: _State) -> dict[str, int]:
    """The files and sessions left out on purpose (the journal counts the items)."""
    counts: dict[str, int] = {
        "files_skipped": 0,
        "sessions_not_in_scope": 0,
        "transcripts_copied": 0,
        "transcripts_already_present": 0,
        "transcripts_source_missing": 0,
    }
    counts.update(state.counts)
    return counts


# --- undo ----------------------------------------------------------------------------


def ao_store_undo(run: MigrationRun) -> UndoResult:
    """Remove exactly what the run created: its sessions, its projects, its transcript copies.

    A session is removed only while it still carries the source path this run wrote; a
    project only when no session is left in it. Works in batches of 500 items.
    """
    result = UndoResult()
    migrated = run.items.filter(outcome=Outcome.MIGRATED)
    for subject_type in ("transcript", "session", "project"):
        last_id = 0
        while True:
            chunk = list(
                migrated.filter(subject_type=subject_type, id__gt=last_id).order_by("id")[:500]
            )
            if not chunk:
                break
            last_id = chunk[-1].id
            with transaction.atomic():
                result.restored += _undo_chunk(subject_type, chunk, result.notes)
                MigrationItem.objects.filter(pk__in=[i.pk for i in chunk]).update(
                    outcome=Outcome.UNDONE
                )
    return result


def _undo_chunk(subject_type: str, chunk: list[MigrationItem], notes: list[str]) -> int:
    if subject_type == "transcript":
        removed = 0
        for item in chunk:
            dest = (item.after or {}).get("dest") or item.subject_id
            try:
                os.unlink(dest)
                removed += 1
            except FileNotFoundError:
                notes.append(f"transcript {dest} was already gone")
        return removed
    if subject_type == "session":
        by_path = {i.subject_id: (i.after or {}).get("source_path") for i in chunk}
        rows = Session.objects.filter(pk__in=list(by_path)).values_list("pk", "source_path")
        ours = [pk for pk, path in rows if by_path.get(pk) == path]
        if len(ours) < len(by_path):
            notes.append(f"{len(by_path) - len(ours)} session(s) were changed or removed since")
        deleted, _ = Session.objects.filter(pk__in=ours).delete()
        return len(ours) if deleted else 0
    ids = [i.subject_id for i in chunk]
    busy = set()
    for relation in ("sessions", "conversations", "artifacts"):
        busy |= set(
            Project.objects.filter(pk__in=ids, **{f"{relation}__isnull": False}).values_list(
                "pk", flat=True
            )
        )
    for pid in sorted(busy):
        notes.append(f"project {pid} kept: other rows still use it")
    deleted, _ = Project.objects.filter(pk__in=[i for i in ids if i not in busy]).delete()
    return len([i for i in ids if i not in busy]) if deleted else 0


def _ao_sample(path: str) -> None:
    ao_tree_generate(path, sessions=40)


def _ao_rs_sample(path: str) -> None:
    ao_rs_tree_generate(path, sessions=30)


def _ao_store_source(name: str, default_location: str, sample_write) -> LegacySource:
    return LegacySource(
        name=name,
        default_location=lambda: os.path.expanduser(default_location),
        plan=partial(ao_store_plan, source=name),
        execute=ao_store_execute,
        undo=ao_store_undo,
        options=(
            "workspace_slug",
            "claude_home",
            "include_terminated",
            "batch_size",
            "parse_ahead",
        ),  # fmt: skip
        location_help=f"the {name} store directory (default {default_location})",
        sample_write=sample_write,
    )


legacy_source_register(_ao_store_source("ao", "~/.agent-orchestrator", _ao_sample))
legacy_source_register(_ao_store_source("ao-rs", "~/.ao-rs/sessions", _ao_rs_sample))
