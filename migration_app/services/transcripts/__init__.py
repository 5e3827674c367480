"""import_transcripts: Claude Code transcripts and Codex rollouts → archive copies, sessions,
conversations and messages (docs/transcripts.md).

One migration kind, dry run by rollback (the archive copies are skipped and the original
parsed instead), one run at a time. Every file is its own unit: one bad file is a failed
item and the run goes on. Incremental: a file's offset (TranscriptFile) moves with its
messages, so a re-run reads only what was appended.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.utils import timezone

from migration_app.legacy.claude_code import claude_transcripts_find
from migration_app.legacy.codex import codex_rollouts_find
from migration_app.legacy.records import exception_text
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    DryRun,
    ItemRecord,
    MigrationError,
    MigrationKind,
    Planned,
    migration_kind_register,
    migration_run_progress,
)
from migration_app.services.legacy_import import workspace_require
from migration_app.services.transcripts.files import ImportState, transcript_import
from migration_app.services.transcripts.linking import TranscriptSource
from migration_app.services.transcripts.undo import import_transcripts_undo
from projects_app.models import Source, Workspace

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
) -> Planned:
    given = {"claude_home": claude_home, "codex_home": codex_home}
    homes = {}
    for key, _env, _fallback, option in _HOMES:
        path = os.path.abspath(os.path.expanduser(given[key] or default_home(key)))
        if os.path.isdir(path):
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
    total = sum(1 for _ in transcripts_find(**homes))
    return Planned(params={**homes, "workspace": workspace_slug}, total=total)


def import_transcripts_execute(run: MigrationRun) -> dict:
    params = run.params
    state = ImportState(
        run=run, workspace=Workspace.objects.get(slug=params["workspace"]), now=timezone.now()
    )
    try:
        for file in transcripts_find(
            claude_home=params["claude_home"], codex_home=params["codex_home"]
        ):
            try:
                transcript_import(state, file)
            except Exception as exc:  # one bad file never stops the run
                state.bump("files_failed")
                why = exception_text(exc)
                state.record([ItemRecord("transcript_file", file.path, Outcome.FAILED, why)])
            migration_run_progress(run=run, advance=1)
    finally:
        run.counts = _summary(state)
    return run.counts


def _summary(state: ImportState) -> dict:
    counts = dict.fromkeys(
        ("messages_imported", "messages_updated", "messages_already_present", "files_unchanged",
         "files_reread", "problems", "bytes_archived"),
        0,
    )  # fmt: skip
    counts.update(state.counts)
    return counts


migration_kind_register(
    MigrationKind(
        MigrationRun.Kind.IMPORT_TRANSCRIPTS,
        plan=import_transcripts_plan,
        execute=import_transcripts_execute,
        undo=import_transcripts_undo,
        dry_run=DryRun.ROLLED_BACK,
        one_at_a_time=True,  # offsets, archive copies and session numbers assume one writer
    )
)
