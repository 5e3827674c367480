"""kill -9 a minsky import at random moments, then re-run: every record is in the hub once,
as one clean run puts it there, and the journal closes every killed run (issue 16)."""

import os
import random

import pytest

from bench.minsky_import import records
from migration_app.legacy.minsky_sample import minsky_sqlite_write
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import INTERRUPTED
from projects_app.models import Project, Source
from sessions_app.models import Session
from tests.migration_app.test_migrate_legacy_command import (
    command,
    command_env,
    run_command,
)
from tests.processes import ENDED_FIRST, MID_RUN, command_kill

RECORDS = 2000
KILLS = 5


def sessions_projection() -> list[tuple]:
    """What an import decides per session, free of times and run ids."""
    return list(Session.objects.order_by("id").values_list("id", "status", "task_id", "project"))


def clear_import() -> None:
    """Everything a minsky import writes, gone (the journal stays)."""
    Session.objects.all().delete()
    Project.objects.filter(source=Source.MINSKY).delete()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_at_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path, data_dir):
    location = str(tmp_path / "sessions.db")
    minsky_sqlite_write(location, list(records(RECORDS)))
    env = command_env(data_dir)
    args = ["--source", "minsky", location, "--batch-size", "50", "--json"]

    reference = run_command(args, env)
    assert reference.returncode == 0, reference.stderr
    run = MigrationRun.objects.get()
    seconds = (run.finished_at - run.started_at).total_seconds()
    expected = sessions_projection()
    assert len(expected) == RECORDS
    clear_import()
    discarded = {run.pk}  # runs whose writes were cleared

    rng = random.Random(os.getpid())
    kills = attempts = 0
    while kills < KILLS and attempts < 30:
        attempts += 1
        delay = rng.uniform(0.0, 1.0) * seconds
        met = command_kill(
            command(*args),
            env=env,
            kind=MigrationRun.Kind.LEGACY_IMPORT,
            delay=delay,
            started=Session.objects.exists,  # killed once it has written
        )
        if met == MID_RUN:
            kills += 1
        elif met == ENDED_FIRST:
            clear_import()  # start again from scratch for a real interruption
            discarded |= set(MigrationRun.objects.values_list("pk", flat=True))
    assert kills == KILLS, f"{kills} kills in {attempts} attempts"
    # The last kill met a run under way; the runs before it may have written every record
    # already (each re-run goes on where the last stopped), so only "some" is certain.
    assert Session.objects.exists()
    # Each run closed the one killed before it; the last killed one is still "running".
    interrupted = MigrationRun.objects.filter(error=INTERRUPTED)
    assert interrupted.count() == KILLS - 1
    assert MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).count() == 1

    final = run_command(args, env)
    assert final.returncode == 0, final.stderr
    assert not MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).exists()
    assert interrupted.count() == KILLS
    assert set(interrupted.values_list("status", flat=True)) == {MigrationRun.Status.FAILED}
    assert interrupted.filter(progress_done__gt=0).exists()
    assert sessions_projection() == expected
    # Each record migrated by exactly one of the runs since the last clear, once.
    migrated = MigrationItem.objects.filter(
        subject_type="session", outcome=MigrationItem.Outcome.MIGRATED
    ).exclude(run__in=discarded)
    ids = sorted(migrated.values_list("subject_id", flat=True))
    assert ids == [session_id for session_id, *_ in expected]
