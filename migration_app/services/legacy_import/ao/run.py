"""Plan and execute of an ao/ao-rs import: walk the store, parse batches ahead (a second
process on a second core), write each batch in order, then number the deferred sessions.
"""

import gc
import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from migration_app.legacy import ao_rs, ao_ts
from migration_app.legacy.parse_ahead import ParseAhead, usable_cores
from migration_app.legacy.reading import DEFAULT_MAX_FILE_BYTES
from migration_app.legacy.walk import SessionFile
from migration_app.models import MigrationRun
from migration_app.services.journal import (
    MigrationError,
    Planned,
    migration_run_progress,
)
from migration_app.services.legacy_import import source_dir_require, workspace_require
from migration_app.services.legacy_import.ao.batches import (
    already_imported,
    session_batch,
)
from migration_app.services.legacy_import.ao.projects import import_config_projects
from migration_app.services.legacy_import.ao.state import ImportState
from migration_app.services.legacy_import.shared import DEFAULT_BATCH_SIZE, batched
from projects_app.models import Workspace

READ_AHEAD = 2  # batches parsed ahead of the one being written (memory: 3 batches)


def process_files(
    state: ImportState, files: Iterable[SessionFile], batch_size: int, parser: ParseAhead
) -> None:
    """Batches are parsed up to READ_AHEAD ahead of the one being written (so an uneven
    batch on either side does not stall the other), and written in order."""
    ahead: deque[tuple[list[SessionFile], Any, dict[str, Any]]] = deque()
    for chunk in batched(files, batch_size):
        # Safe to read before the previous batch commits: a file is skipped here only when
        # a row carries its own path, which no other batch of this run can write.
        known_items, known_copies, unknown = already_imported(state, chunk)
        batch = dict(files_done=len(chunk), prior_items=known_items, prior_copies=known_copies)
        ahead.append((unknown, parser.submit(unknown), batch))
        if len(ahead) > READ_AHEAD:
            write_parsed(state, *ahead.popleft())
    while ahead:
        write_parsed(state, *ahead.popleft())


def write_parsed(state: ImportState, unknown: list[SessionFile], parsing, batch: dict) -> None:
    session_batch(state, list(zip(unknown, parsing.result(), strict=True)), **batch)


def session_files(state: ImportState, path: str) -> Iterator[SessionFile]:
    """The walk lists names only; the reader stats each file as it opens it."""
    walk = ao_ts.ao_session_files if state.source == "ao" else ao_rs.ao_rs_session_files
    return walk(path, stat=False, include_archive=state.include_terminated)


def process_deferred(state: ImportState, batch_size: int, parser: ParseAhead) -> None:
    deferred = sorted(state.deferred, key=lambda d: (d.file.project_id, d.created_at, d.session_id))
    state.deferred = []
    for chunk in batched(deferred, batch_size):
        files = [item.file for item in chunk]
        # Parsed again: small (ids without a number, clash losers); a file that changed
        # since the first pass is judged as it is now.
        parsed = list(zip(files, parser.submit(files).result(), strict=True))
        notes = {item.session_id: item.note for item in chunk if item.note}
        session_batch(state, parsed, files_done=len(chunk), second_pass=True, notes=notes)


def no_sessions_refuse(*, source: str, path: str) -> None:
    """A store without a single session file (nor, for ao, a project file) is refused:
    nothing would be imported, and the path is most likely not the one meant."""
    is_store = ao_ts.is_ao_store if source == "ao" else ao_rs.is_ao_rs_store
    if is_store(path):
        return
    nested = os.path.join(path, "sessions")
    if source == "ao-rs" and is_store(nested):
        raise MigrationError(
            f"No sessions found under {path}, but {nested} holds ao-rs sessions; "
            f"pass {nested} as PATH."
        )
    expected = ao_ts.AO_EXPECTED if source == "ao" else ao_rs.AO_RS_EXPECTED
    raise MigrationError(f"No sessions found under {path}; expected {expected}.")


def ao_store_plan(
    *,
    source: str,
    location: str,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    claude_home: str | None = None,
    include_terminated: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    parse_ahead: bool | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Planned:
    """`parse_ahead` None: parse ahead when there is a second core and more than one batch."""
    if batch_size < 1:
        raise MigrationError("--batch-size must be at least 1.")
    if max_file_bytes < 1:
        raise MigrationError("--max-file-bytes must be at least 1.")
    path = source_dir_require(location=location, expected="the path of the legacy store")
    no_sessions_refuse(source=source, path=path)
    workspace_require(slug=workspace_slug)
    claude_home = os.path.abspath(
        os.path.expanduser(claude_home or str(settings.CLAUDE_CONFIG_DIR))
    )
    # legacy_import_plan puts the source first in the params.
    params = {"path": path, "workspace": workspace_slug, "claude_home": claude_home,
              "include_terminated": include_terminated, "batch_size": batch_size,
              "parse_ahead": parse_ahead, "max_file_bytes": max_file_bytes}  # fmt: skip
    return Planned(params=params)


def ao_store_execute(run: MigrationRun) -> dict:
    params = run.params
    source, path, batch_size = params["source"], params["path"], params["batch_size"]
    parse_ahead = params.get("parse_ahead")
    state = ImportState(
        run=run,
        workspace=Workspace.objects.get(slug=params["workspace"]),
        source=source,
        include_terminated=params["include_terminated"],
        claude_home=params["claude_home"],
        data_dir=str(settings.SESSIONHUB_DATA_DIR),
        now=timezone.now(),
        max_file_bytes=params.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES),
    )
    # Leave the objects that exist before the run (Django, the app) out of the cyclic GC's
    # full passes: the run allocates millions of short-lived objects, and each full pass
    # would walk the whole framework again.
    gc.freeze()
    try:
        with ParseAhead(
            enabled=parse_ahead is not False and usable_cores() > 1, **state.prepare_options
        ) as parser:
            total = 0  # files to visit: the progress total
            for _ in session_files(state, path):
                total += 1
                if total == batch_size + 1 and parse_ahead is None:
                    parser.start()  # more than one batch: start the helper while the walk counts
            migration_run_progress(run=run, total=total)
            if parse_ahead is None and total <= batch_size:
                parser.enabled = False  # one batch: nothing to overlap
            if source == "ao":
                import_config_projects(state, path)
            process_files(state, session_files(state, path), batch_size, parser)
            process_deferred(state, batch_size, parser)
    finally:
        gc.unfreeze()
        run.counts = dict.fromkeys(SUMMARY_COUNTS, 0) | state.counts
    return run.counts


# The files and sessions left out on purpose, and the transcripts (the journal counts items).
SUMMARY_COUNTS = (
    "files_skipped", "sessions_not_in_scope", "transcripts_copied",
    "transcripts_already_present", "transcripts_source_missing",
)  # fmt: skip
