"""Run now or in the background: the one place that decides (admin, API and commands call
it; docs/how-a-migration-runs.md, "The dispatch rule")."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction

from migration_app.models import MigrationRun
from migration_app.services.journal import migration_run_execute, migration_run_plan
from migration_app.services.transcripts.batches import (
    BackgroundStart,
    transcript_background_start,
)
from migration_app.tasks import migration_run_task, transcript_batch_task


def migration_run_dispatch(
    *,
    kind: str,
    origin: str = MigrationRun.Origin.CLI,
    on_progress: Callable[[MigrationRun], None] | None = None,
    **request: Any,
) -> MigrationRun:
    """Plan a run of `kind` (migration_run_plan), then execute it now or queue it; returns
    the run (finished when it ran now). A refused request raises MigrationError."""
    run = migration_run_plan(kind=kind, origin=origin, **request)
    if not runs_in_background(size=run.progress_total, origin=origin):
        return migration_run_execute(run_id=run.pk, on_progress=on_progress)
    transaction.on_commit(partial(migration_run_task.enqueue, str(run.pk)))
    return run


def runs_in_background(*, size: int, origin: str) -> bool:
    """The rule itself, also for previews that tell the user which way it will go."""
    return origin != MigrationRun.Origin.CLI and size > settings.SESSIONHUB_SYNC_ACTION_LIMIT


def import_transcripts_background(**request: Any) -> BackgroundStart:
    """import_transcripts --background: plan the run, cut it into batches and queue one
    task per batch once the plan has committed (or queue an open run's batches again)."""
    start = transcript_background_start(
        batch_files=settings.SESSIONHUB_TRANSCRIPT_BATCH_FILES, **request
    )
    for batch_id in start.batches:
        transaction.on_commit(partial(transcript_batch_task.enqueue, batch_id))
    return start
