"""import_transcripts --background: one task per batch of files, shared by real
`manage.py db_worker` processes (PostgreSQL), each file read once, a killed worker's batch
taken over; refused on SQLite and for a dry run."""

import json
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection

from migration_app.models import MigrationItem, MigrationRun, TranscriptBatch
from projects_app.models import Message
from tests.migration_app.legacy_helpers import dump_tables, list_files
from tests.migration_app.test_transcripts_kill import IGNORE, clear_import, many_transcripts
from tests.migration_app.transcript_helpers import homes
from tests.processes import command_env, manage_command

Status = MigrationRun.Status
WORKER = ("--no-startup-delay", "--no-reload", "--interval", "0.1")
TASK_TABLE = "django_tasks_database.DBTaskResult"


def real_workers(test):
    """A test of real db_worker processes against this test's PostgreSQL database."""
    marks = (pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True))
    for mark in marks:
        test = mark(test)
    return test


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("--background needs PostgreSQL; on SQLite it is refused (tested below)")


def run(argv, env, timeout=300):
    return subprocess.run(argv, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def worker(env, *extra):
    return subprocess.Popen(
        manage_command(*WORKER, *extra, name="db_worker"), env=env, cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(condition, seconds=120.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("timed out")


def rows():
    """Every imported row (not the journal, not the task queue), for comparison."""
    dump = dump_tables(ignore=IGNORE)
    dump.pop(TASK_TABLE)
    return dump


def tree(tmp_path, data_dir, *, files, turns):
    """A tree of Claude transcripts, imported once in the foreground as the reference,
    then cleared; returns (environment, import arguments, reference rows, archive)."""
    claude, codex = homes(tmp_path)
    many_transcripts(claude, files=files, turns=turns)
    env = command_env(data_dir, SESSIONHUB_TRANSCRIPT_BATCH_FILES="2")
    args = ["--claude-home", str(claude), "--codex-home", str(codex), "--json"]
    reference = run(manage_command(*args, name="import_transcripts"), env)
    assert reference.returncode == 0, reference.stderr
    expected, archive = rows(), list_files(data_dir / "transcripts")
    assert Message.objects.count() == files * turns * 3
    clear_import(data_dir)
    return env, args, expected, archive


def queue(args, env) -> dict:
    result = run(manage_command(*args, "--background", name="import_transcripts"), env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def file_items(run_, outcome):
    items = run_.items.filter(subject_type="transcript_file", outcome=outcome)
    return list(items.values_list("subject_id", flat=True))


@real_workers
def test_two_workers_share_the_batches_and_read_every_file_once(tmp_path, data_dir):
    needs_postgresql()
    env, args, expected, archive = tree(tmp_path, data_dir, files=16, turns=150)
    workers = [worker(env), worker(env)]
    try:
        queued = queue(args, env)
        assert (queued["batches_queued"], queued["resumed"], queued["exit_code"]) == (8, False, 0)
        background = MigrationRun.objects.get(pk=queued["run_id"])
        wait_for(lambda: MigrationRun.objects.get(pk=background.pk).is_finished)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    background.refresh_from_db()
    assert background.status == Status.SUCCEEDED, background.error
    batches = TranscriptBatch.objects.filter(run=background)
    # Both processes took batches; none was claimed twice, every file of each was done.
    assert len({b.worker for b in batches}) == 2
    assert {(b.claims, b.files_done, len(b.files)) for b in batches} == {(1, 2, 2)}
    # Every file read once: one migrated file item each, none skipped as already read.
    paths = file_items(background, MigrationItem.Outcome.MIGRATED)
    assert len(paths) == len(set(paths)) == 16
    assert file_items(background, MigrationItem.Outcome.SKIPPED) == []
    # No message written twice: the counts (the sum of the batches') match the rows.
    counts = background.counts
    assert counts["messages_imported"] == Message.objects.count() == 16 * 150 * 3
    assert (counts["messages_already_present"], counts["files_unchanged"]) == (0, 0)
    assert (background.progress_done, background.progress_total) == (16, 16)
    assert rows() == expected
    assert list_files(data_dir / "transcripts") == archive


@real_workers
def test_a_batch_of_a_worker_killed_mid_way_is_taken_over_by_another(tmp_path, data_dir):
    needs_postgresql()
    env, args, expected, archive = tree(tmp_path, data_dir, files=8, turns=400)
    first = worker(env)
    try:
        background = MigrationRun.objects.get(pk=queue(args, env)["run_id"])
        mid_way = TranscriptBatch.objects.filter(
            run=background, files_done=1, finished_at__isnull=True, worker__endswith=f":{first.pid}"
        )
        wait_for(mid_way.exists)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed = TranscriptBatch.objects.get(run=background, worker__endswith=f":{first.pid}",
                                         finished_at__isnull=True)  # fmt: skip
    assert killed.files_done < 2 and not MigrationRun.objects.get(pk=background.pk).is_finished

    # With no worker alive, a new --background run resumes the open one: its unfinished
    # batches are queued again (the killed worker's task stays 'running' in the queue).
    again = queue(args, env)
    assert (again["run_id"], again["resumed"]) == (str(background.pk), True)
    assert again["batches_queued"] == background.batches.filter(finished_at__isnull=True).count()
    second = run(manage_command(*WORKER, "--batch", name="db_worker"), env)
    assert second.returncode == 0, second.stderr

    background.refresh_from_db()
    killed.refresh_from_db()
    assert background.status == Status.SUCCEEDED, background.error
    assert killed.claims == 2 and killed.files_done == 2 and killed.finished_at is not None
    assert Message.objects.count() == 8 * 400 * 3
    assert rows() == expected
    assert list_files(data_dir / "transcripts") == archive


def test_background_is_refused_on_sqlite(tmp_path):
    claude, _ = homes(tmp_path)
    env = command_env(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    argv = manage_command("--claude-home", str(claude), "--background", "--json",
                          name="import_transcripts")  # fmt: skip
    result = run(argv, env)
    assert result.returncode == 2
    assert "--background needs PostgreSQL" in json.loads(result.stdout)["error"]


@pytest.mark.django_db(transaction=True)
def test_a_background_dry_run_is_refused(tmp_path, data_dir):
    claude, _ = homes(tmp_path)
    argv = manage_command("--claude-home", str(claude), "--background", "--dry-run", "--json",
                          name="import_transcripts")  # fmt: skip
    result = run(argv, command_env(data_dir))
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert "--background" in error  # PostgreSQL: the dry run; SQLite: the database
    assert not MigrationRun.objects.exists()


@pytest.mark.django_db
def test_a_terminal_run_leaves_open_a_background_run_whose_batches_wait(tmp_path, data_dir):
    from migration_app.services.journal import migration_run_plan
    from migration_app.services.transcripts.batches import transcript_batches_plan
    from tests.migration_app.transcript_helpers import claude_session, transcripts_run

    claude, codex = homes(tmp_path)
    claude_session(claude)
    request = {"claude_home": str(claude), "codex_home": str(codex)}
    waiting = migration_run_plan(kind=MigrationRun.Kind.IMPORT_TRANSCRIPTS, **request)
    assert len(transcript_batches_plan(run=waiting, size=1)) == 1
    assert transcripts_run(tmp_path).status == Status.SUCCEEDED
    waiting.refresh_from_db()
    assert (waiting.status, waiting.finished_at) == (Status.RUNNING, None)
    # Once its batches are done, it is a dead process's run like any other.
    waiting.batches.update(finished_at=waiting.started_at)
    transcripts_run(tmp_path)
    waiting.refresh_from_db()
    assert waiting.status == Status.FAILED and waiting.error.startswith("interrupted")
