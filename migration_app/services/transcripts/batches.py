"""A background import_transcripts run shared by several workers (PostgreSQL only).

The run's files are cut into batches (TranscriptBatch, SESSIONHUB_TRANSCRIPT_BATCH_FILES
files each; a session's subagents stay in its batch), one background task each. A task
claims a batch by taking the batch's advisory lock without waiting, so no two workers
ever read one file; the lock dies with its worker's connection, so the batch of a worker
killed mid-way is claimed again, and goes on from its first file not done (`files_done`).
A task that finds every batch left claimed by others waits on one of them: when its
holder dies it takes the batch over, when it finishes it looks again. The run's items
are written by every worker; its counts are the sum of its batches', and the worker that
finishes the last batch closes the run (docs/transcripts.md, "Several workers").
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import astuple, dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from migration_app.models import MigrationRun, TranscriptBatch
from migration_app.services.journal import (
    MigrationConflict,
    MigrationError,
    migration_run_finish,
    migration_run_plan,
    migration_run_progress,
    migration_runs_close_interrupted,
)
from migration_app.services.locks import _advisory_key, kind_lock_share, kind_lock_try
from migration_app.services.transcripts import (
    transcript_counts,
    transcript_file_import,
    transcripts_of_run,
)
from migration_app.services.transcripts.files import ImportState
from migration_app.services.transcripts.linking import TranscriptSource
from projects_app.models import Workspace

KIND = MigrationRun.Kind.IMPORT_TRANSCRIPTS
_BATCH_KEY = _advisory_key("transcript_batch")  # first key of every batch's lock


@dataclass(frozen=True)
class BackgroundStart:
    run: MigrationRun
    batches: list[int]  # ids of the batches to queue, one task each
    resumed: bool  # an open run's batches queued again, no new run


def transcript_background_start(
    *, dry_run: bool = False, actor: str = "", origin: str = MigrationRun.Origin.CLI,
    batch_files: int, **request,
) -> BackgroundStart:  # fmt: skip
    """Plan a run and cut it into batches; or, while an earlier background run is still
    open (its workers died), return that run's unfinished batches to queue again.
    Refused (MigrationError) on SQLite, for a dry run, and while another run works."""
    if connection.vendor != "postgresql":
        raise MigrationError(
            "--background needs PostgreSQL (DATABASE_URL): on SQLite one process writes at a "
            "time, so run import_transcripts without --background."
        )
    if dry_run:
        raise MigrationError(
            "A dry run is carried out in this terminal and rolled back; run it without "
            "--background."
        )
    release = kind_lock_try(KIND)
    if release is None:
        raise MigrationConflict(
            f"Another {KIND} run is in progress (in a terminal, or its batches in the "
            "workers); wait for it to finish and start this one again."
        )
    try:
        open_runs = MigrationRun.objects.filter(
            kind=KIND, finished_at__isnull=True, batches__isnull=False
        ).distinct()
        for open_run in open_runs.order_by("started_at"):
            pending = _unfinished_ids(open_run)
            if pending:
                return BackgroundStart(open_run, pending, resumed=True)
            _run_close(open_run)  # its last worker died while closing it
        migration_runs_close_interrupted(kind=KIND)
        run = migration_run_plan(kind=KIND, actor=actor, origin=origin, **request)
        return BackgroundStart(run, transcript_batches_plan(run=run, size=batch_files), False)
    finally:
        release()


def transcript_batches_plan(*, run: MigrationRun, size: int) -> list[int]:
    """Cut the run's files into batches of `size` (a subagent joins its session's batch)
    and mark the run running; returns the batch ids. A run with no file is closed."""
    ids, files, number = [], [], 0

    def flush() -> None:
        nonlocal files, number
        number += 1
        ids.append(TranscriptBatch.objects.create(run=run, number=number, files=files).pk)
        files = []

    with transaction.atomic():
        for file in transcripts_of_run(run):
            if len(files) >= size and file.parent_id is None:
                flush()
            files.append(list(astuple(file)))
        if files:
            flush()
        MigrationRun.objects.filter(pk=run.pk, status=MigrationRun.Status.PLANNED).update(
            status=MigrationRun.Status.RUNNING
        )
    run.status = MigrationRun.Status.RUNNING
    if not ids:
        _run_close(run)
    return ids


def transcript_batch_work(*, batch_id: int) -> str:
    """A worker's share of a run, starting with batch `batch_id`: claim batches until none
    is left, then close the run if its last batch is done. Returns what it did."""
    first = TranscriptBatch.objects.select_related("run").filter(pk=batch_id).first()
    if first is None or first.run.is_finished:
        return "nothing to do"
    run, done, preferred = first.run, 0, first.pk
    release = kind_lock_share(KIND)
    try:
        while True:
            batch = _batch_claim(run, preferred)
            preferred = None
            if batch is None:
                waiting = _unfinished_ids(run)
                if not waiting:
                    break
                # Its worker finishes it, or dies: look again.
                _batch_lock("advisory_lock", waiting[0])
                _batch_lock("advisory_unlock", waiting[0])
                continue
            try:
                _batch_execute(run, batch)
                done += 1
            finally:
                _batch_lock("advisory_unlock", batch.pk)
        run = _run_close(run)
    finally:
        release()
    return f"{done} batch(es) imported; run {run.pk} {run.status}"


def _unfinished_ids(run: MigrationRun) -> list[int]:
    pending = run.batches.filter(finished_at__isnull=True).order_by("number")
    return list(pending.values_list("pk", flat=True))


def _batch_claim(run: MigrationRun, preferred: int | None) -> TranscriptBatch | None:
    pending = _unfinished_ids(run)
    if preferred in pending:
        pending.remove(preferred)
        pending.insert(0, preferred)
    for pk in pending:
        if not _batch_lock("try_advisory_lock", pk):
            continue  # another worker's
        batch = TranscriptBatch.objects.filter(pk=pk, finished_at__isnull=True).first()
        if batch is not None:  # not finished between the listing and the lock
            worker = f"{socket.gethostname()}:{os.getpid()}"
            TranscriptBatch.objects.filter(pk=pk).update(claims=F("claims") + 1, worker=worker)
            return batch
        _batch_lock("advisory_unlock", pk)
    return None


@dataclass
class _BatchState(ImportState):
    """The import state of one batch: its counts are saved with each file's journal items
    (in their transaction), so a worker taking the batch over goes on from them."""

    batch_id: int = 0

    def record(self, items) -> None:
        super().record(items)
        TranscriptBatch.objects.filter(pk=self.batch_id).update(counts=self.counts)


def _batch_execute(run: MigrationRun, batch: TranscriptBatch) -> None:
    workspace = Workspace.objects.get(slug=run.params["workspace"])
    state = _BatchState(run=run, workspace=workspace, now=timezone.now(),
                        counts=dict(batch.counts), batch_id=batch.pk)  # fmt: skip
    for index in range(batch.files_done, len(batch.files)):
        transcript_file_import(state, TranscriptSource(*batch.files[index]))
        with transaction.atomic():
            TranscriptBatch.objects.filter(pk=batch.pk).update(
                files_done=index + 1, counts=state.counts
            )
            migration_run_progress(run=run, advance=1)
    TranscriptBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())


def _run_close(run: MigrationRun) -> MigrationRun:
    """Close the run once every batch is done (once: the run row is locked meanwhile)."""
    with transaction.atomic():
        run = MigrationRun.objects.select_for_update().get(pk=run.pk)
        if run.is_finished or run.batches.filter(finished_at__isnull=True).exists():
            return run
        total: Counter[str] = Counter()
        for counts in run.batches.values_list("counts", flat=True):
            total.update(counts)
        return migration_run_finish(run=run, extra_counts=transcript_counts(dict(total)))


def _batch_lock(function: str, pk: int):
    """`pg_<function>` of the batch's advisory lock (try_advisory_lock: whether taken)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_{function}(%s::int, %s::int)", [_BATCH_KEY, pk % 2**31])
        return cursor.fetchone()[0]
