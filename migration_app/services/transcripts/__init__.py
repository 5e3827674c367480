"""import_transcripts: Claude Code transcripts and Codex rollouts → archive copies, sessions,
conversations and messages (docs/transcripts.md).

One migration kind, dry run by rollback (the archive copies are skipped and the original
parsed instead), one run at a time. Every file is its own unit: one bad file is a failed
item and the run goes on. Incremental: a file's offset (TranscriptFile) moves with its
messages, so a re-run reads only what was appended.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Iterator
from itertools import islice

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from migration_app.legacy.claude_code import claude_transcripts_find
from migration_app.legacy.codex import codex_rollouts_find
from migration_app.legacy.parse_ahead import usable_cores
from migration_app.legacy.records import exception_text
from migration_app.models import MigrationItem, MigrationRun, TranscriptFile
from migration_app.services.journal import (
    DryRun,
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    migration_kind_register,
    migration_run_progress,
    migration_run_selection,
)
from migration_app.services.legacy_import import workspace_require
from migration_app.services.transcripts import files as transcript_files
from migration_app.services.transcripts.copies import transcript_copies_redundant
from migration_app.services.transcripts.files import ImportState, transcript_import
from migration_app.services.transcripts.linking import TranscriptSource
from migration_app.services.transcripts.lookahead import WindowLookahead
from migration_app.services.transcripts.undo import import_transcripts_undo
from projects_app.db_tuning import sqlite_page_cache, tables_analyze
from projects_app.models import Conversation, Message, Source, Workspace
from sessions_app.models import Session, UsageRecord

Outcome = MigrationItem.Outcome
_HOMES = (
    ("claude_home", "CLAUDE_CONFIG_DIR", "~/.claude", "--claude-home"),
    ("codex_home", "CODEX_HOME", "~/.codex", "--codex-home"),
)


def default_home(name: str) -> str:
    for key, env, fallback, _ in _HOMES:
        if key == name:
            return os.path.expanduser(os.environ.get(env) or fallback)
    raise KeyError(name)


def transcripts_find(*, claude_home: str, codex_home: str) -> Iterator[TranscriptSource]:
    """Every transcript file of both homes, Claude Code's first; subagents after their
    session, so a subagent finds its parent's session made."""
    if claude_home:
        for path, agent_id, parent in claude_transcripts_find(claude_home):
            relative = os.path.relpath(path, claude_home)
            yield TranscriptSource(path, Source.CLAUDE_CODE, relative, agent_id, parent)
    if codex_home:
        for path, thread in codex_rollouts_find(codex_home):
            yield TranscriptSource(path, Source.CODEX, os.path.relpath(path, codex_home), thread)


def import_transcripts_plan(
    *,
    claude_home: str | None = None,
    codex_home: str | None = None,
    workspace_slug: str = Workspace.DEFAULT_SLUG,
    agent_session_ids: list[str] | None = None,
) -> Planned:
    """`agent_session_ids`: only the transcripts of these sessions (kept as the run's
    selection): migrate_legacy's follow-up run (services/transcripts/follow_up.py)."""
    given = {"claude_home": claude_home, "codex_home": codex_home}
    homes = {}
    for key, _env, _fallback, option in _HOMES:
        path = os.path.abspath(os.path.expanduser(given[key] or default_home(key)))
        if os.path.isdir(path):
            _home_outside_archive(path=path, option=option)
            homes[key] = path
        elif given[key]:
            raise MigrationError(f"{option} {path} does not exist or is not a directory.")
        else:
            homes[key] = ""  # the default home is absent: nothing to read there
    if not any(homes.values()):
        raise MigrationError(
            "Neither a Claude Code home nor a Codex home was found; pass --claude-home or "
            "--codex-home."
        )
    workspace_require(slug=workspace_slug)
    wanted = None if agent_session_ids is None else set(agent_session_ids)
    total = sum(1 for _ in _selected(transcripts_find(**homes), wanted))
    params = {**homes, "workspace": workspace_slug}
    selection = None if agent_session_ids is None else sorted(wanted)
    return Planned(params=params, total=total, selection=selection)


def _home_outside_archive(*, path: str, option: str) -> None:
    """Refuse a home at or inside the hub's archive: its files would be their own copies,
    and copying a file onto itself truncates it. Real paths, so a symlink is seen through."""
    archive = os.path.realpath(os.path.join(settings.SESSIONHUB_DATA_DIR, "transcripts"))
    real = os.path.realpath(path)
    if os.path.commonpath([real, archive]) == archive:
        raise MigrationError(
            f"{option} {path} is inside the hub's transcript archive {archive}: importing "
            f"it would overwrite the archive copies. Pass the agent's own home to {option}."
        )


def transcripts_of_run(run: MigrationRun) -> Iterator[TranscriptSource]:
    """The files a run covers: every file of its homes, or those of its selection."""
    selection = migration_run_selection(run=run)
    wanted = None if selection is None else {row["subject_id"] for row in selection}
    found = transcripts_find(claude_home=run.params["claude_home"],
                             codex_home=run.params["codex_home"])  # fmt: skip
    return _selected(found, wanted)


def _selected(files: Iterator[TranscriptSource], wanted: set[str] | None):
    """The files of `wanted` sessions (all when None), less the legacy-import copies that
    are not to be read (copies.py): the one rule of every import, the follow-up's too."""
    skip = transcript_copies_redundant()
    if wanted is None and not skip:
        return files
    return (
        f for f in files
        if f.path not in skip and (wanted is None or (f.parent_id or f.agent_id) in wanted)
    )  # fmt: skip


def import_transcripts_execute(run: MigrationRun) -> dict:
    workspace = Workspace.objects.get(slug=run.params["workspace"])
    # Grouped on SQLite only: on PostgreSQL a savepoint a window costs more than the commits
    # it saves (1 GiB, append re-run 0.118x the first import a commit a file, 0.139x grouped).
    grouped = connection.vendor == "sqlite"
    lookahead = WindowLookahead(enabled=usable_cores() > 1, window=transcript_files.WINDOW)
    state = ImportState(run=run, workspace=workspace, now=timezone.now(), grouped=grouped,
                        lookahead=lookahead)  # fmt: skip
    gc.freeze()  # as the ao import: the run's many short-lived objects, not Django's, are scanned
    try:
        # The group commits what is left; an exception (or a kill) rolls it back.
        with lookahead, sqlite_page_cache(mib=64), state.group:
            for file, upcoming in _with_next(transcripts_of_run(run), count=KEPT_AHEAD):
                state.kept.load((file, *upcoming), needed=1 + LOOK_PAST)
                following = upcoming[:LOOK_PAST]
                lookahead.upcoming = tuple((f, state.kept.peek(f.path)) for f in following)
                transcript_file_import(state, file)
                migration_run_progress(run=run, advance=1)
                state.file_done()
        if not run.dry_run and state.counts.get("messages_imported"):
            tables_analyze(WRITTEN_MODELS)  # as after a legacy import (its figure there)
    finally:
        gc.unfreeze()
        run.counts = transcript_counts(state.counts)
    return run.counts


KEPT_AHEAD = 100  # files whose rows are read in one query (KeptFiles)
LOOK_PAST = 8  # unchanged files the lookahead may look past for the next one to prepare


def _with_next(files: Iterator[TranscriptSource], count: int):
    """(file, the `count` files after it)."""
    window = deque(islice(files, count + 1))
    while window:
        yield window.popleft(), tuple(window)
        window.extend(islice(files, 1))


CONFLICT_RETRIES = 3
WRITTEN_MODELS = (Session, Conversation, Message, UsageRecord, TranscriptFile, MigrationItem)


def transcript_file_import(state: ImportState, file: TranscriptSource) -> None:
    """One file, isolated: a bad file is a failed item and the run goes on. A write that
    lost a race with another worker (a session number taken meanwhile) rolled back its
    window, so the file is read on again from its offset."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            transcript_import(state, file)
            return
        except IntegrityError as exc:
            if attempt == CONFLICT_RETRIES:
                _file_failed(state, file, exc)
        except Exception as exc:  # one bad file never stops the run
            _file_failed(state, file, exc)
            return


def _file_failed(state: ImportState, file: TranscriptSource, exc: Exception) -> None:
    state.bump("files_failed")
    why = exception_text(exc)
    state.record([ItemRecord("transcript_file", file.path, Outcome.FAILED, why)])


def transcript_counts(kept: dict) -> dict:
    """The run's counts beyond its items: every figure, 0 when none."""
    counts = dict.fromkeys(
        ("messages_imported", "messages_updated", "messages_already_present", "files_unchanged",
         "files_reread", "problems", "bytes_archived"),
        0,
    )  # fmt: skip
    counts.update(kept)
    return counts


def _batches_open(run: MigrationRun) -> bool:
    return run.batches.filter(finished_at__isnull=True).exists()


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.IMPORT_TRANSCRIPTS,
        plan=import_transcripts_plan,
        execute=import_transcripts_execute,
        undo=import_transcripts_undo,
        dry_run=DryRun.ROLLED_BACK,
        one_at_a_time=True,  # offsets, archive copies and session numbers assume one writer
        still_open=_batches_open,  # a background run's batches wait for workers
    )
)
