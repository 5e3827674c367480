"""kill -9 a TokenDance import at random moments, then re-run: the rows equal one clean run."""

import datetime as dt
import os
import random

import pytest

from migration_app.legacy.tokendance_sample import T0, SourceRows, sqlite_write
from migration_app.models import MigrationRun
from sessions_app.models import Session
from tests.migration_app.legacy_helpers import dump_tables
from tests.migration_app.test_migrate_legacy_command import (
    command,
    command_env,
    run_command,
)
from tests.processes import ENDED_FIRST, MID_RUN, command_kill


def many_sessions(n: int) -> SourceRows:
    rows = SourceRows("kill")
    workspaces = [rows.workspace(slug="team"), rows.workspace(slug="team")]
    for i in range(n):
        at = T0 + dt.timedelta(minutes=i)
        session = rows.session(workspaces[i % 2], status="RUNNING" if i % 3 else "completed",
                               created_at=at)  # fmt: skip
        for m in range(5):
            rows.message(session, role="USER" if m % 2 == 0 else "assistant",
                         content=f"{i}/{m}", created_at=at + dt.timedelta(seconds=m))  # fmt: skip
        first = rows.artifact(session, is_latest=False)
        rows.artifact(session, version=2, parent_version_id=first["id"])
    return rows


def clear_import() -> None:
    """Everything an import writes, gone (the base rows stay)."""
    from projects_app.models import Artifact, Conversation, Message, Workspace

    Artifact.objects.all().delete()
    Message.objects.all().delete()
    Session.objects.all().delete()
    Conversation.objects.all().delete()
    Workspace.objects.exclude(slug="default").delete()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_at_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path, data_dir):
    location = str(tmp_path / "td.sqlite3")
    sqlite_write(location, many_sessions(600))
    env = command_env(data_dir)
    args = ["--source", "tokendance", location, "--batch-size", "20", "--json"]

    reference = run_command(args, env)
    assert reference.returncode == 0, reference.stderr
    run = MigrationRun.objects.get()
    seconds = (run.finished_at - run.started_at).total_seconds()
    expected = dump_tables()
    clear_import()

    rng = random.Random(os.getpid())
    kills = attempts = 0
    while kills < 5 and attempts < 25:
        attempts += 1
        delay = rng.uniform(0.0, 1.0) * seconds
        kind = MigrationRun.Kind.LEGACY_IMPORT
        met = command_kill(command(*args), env=env, kind=kind, delay=delay)
        if met == MID_RUN:
            kills += 1
        elif met == ENDED_FIRST:
            clear_import()
    assert kills == 5, f"{kills} kills in {attempts} attempts"
    final = run_command(args, env)
    assert final.returncode == 0, final.stderr
    assert dump_tables() == expected
