"""manage.py migrate_legacy: output, exit codes, refusals, and kill -9 at random moments."""

import fcntl
import json
import os
import random
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.models import MigrationRun
from migration_app.services.journal import INTERRUPTED
from migration_app.services.legacy_import.shared import TEMP_SUFFIX
from migration_app.services.locks import _advisory_key
from projects_app.models import Project
from sessions_app.models import Session
from tests.factories import MigrationRunFactory
from tests.migration_app.legacy_helpers import dump_tables, list_files, migrate_legacy
from tests.processes import (
    ENDED_FIRST,
    MID_RUN,
    command_env,
    command_kill,
    kind_lock_wait,
    manage_command,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_tree(tmp_path, data_dir):
    return ao_tree_generate(str(tmp_path / "ao"), sessions=40, with_bad_files=False)


@pytest.mark.django_db
def test_json_prints_one_object_and_exit_0_when_all_migrated(clean_tree, tmp_path):
    code, out, _ = migrate_legacy(
        "--source", "ao", clean_tree.root, "--json", "--claude-home", str(tmp_path / "c")
    )
    assert code == 0
    summary = json.loads(out)  # the whole of stdout is one JSON object
    assert out.count("\n") == 1
    assert summary["status"] == "succeeded" and summary["exit_code"] == 0
    assert summary["counts"]["session_migrated"] == clean_tree.sessions - clean_tree.terminated
    assert MigrationRun.objects.count() == 1


@pytest.mark.django_db
def test_parse_ahead_can_be_turned_off_with_the_same_result(clean_tree, tmp_path):
    claude = ["--claude-home", str(tmp_path / "c")]
    args = ["--source", "ao", clean_tree.root, "--json", "--batch-size", "10", *claude]

    code, out, _ = migrate_legacy(*args, "--no-parse-ahead")
    rows = dump_tables(ignore={"projects_app.Project": {"created_at", "updated_at"}})
    Session.objects.all().delete()
    Project.objects.all().delete()
    code_ahead, out_ahead, _ = migrate_legacy(*args)

    assert code == code_ahead == 0
    assert json.loads(out)["counts"] == json.loads(out_ahead)["counts"]
    assert dump_tables(ignore={"projects_app.Project": {"created_at", "updated_at"}}) == rows


@pytest.mark.django_db
def test_a_run_closes_an_import_left_running_by_a_dead_process(clean_tree, tmp_path):
    """Holding the kind's lock, a run knows that any other run still marked running is dead;
    a dry run too (it closes the dead run's journal, and imports nothing)."""
    dead = MigrationRunFactory(kind=MigrationRun.Kind.LEGACY_IMPORT)
    args = ["--source", "ao", clean_tree.root, "--json", "--claude-home", str(tmp_path / "c")]

    code, _, _ = migrate_legacy(*args, "--dry-run")
    dead.refresh_from_db()
    assert code == 0
    assert (dead.status, dead.error) == (MigrationRun.Status.FAILED, INTERRUPTED)
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_rejected_files_exit_1_on_every_run(tmp_path, data_dir):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=20)
    for _ in range(2):
        code, out, err = migrate_legacy("--source", "ao", tree.root, "-v", "2")
        assert code == 1
        assert "4 item(s) failed" in err
    assert "rejected" in out and "bad-json-1.json" in out
    assert MigrationRun.objects.count() == 2  # one run per invocation


@pytest.mark.django_db
def test_dry_run_reports_the_plan_and_no_progress_bar_off_a_terminal(clean_tree):
    code, out, _ = migrate_legacy("--source", "ao", clean_tree.root, "--dry-run")
    assert code == 0
    assert out.startswith("Dry run (nothing written), run ")
    # In the conditional: nothing of it reads as done work.
    assert f"would migrate {clean_tree.sessions - clean_tree.terminated} sessions" in out
    assert " migrated" not in out and " copied" not in out
    assert "\r" not in out  # no progress bar when stdout is not a terminal
    assert not Session.objects.exists()
    assert MigrationRun.objects.get().dry_run


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--source", "ao", "/definitely/missing"], "does not exist"),
        (["--source", "ao", "{tree}", "--workspace", "ghost"], "Workspace 'ghost'"),
        (["--source", "ao", "{tree}", "--batch-size", "0"], "--batch-size"),
    ],
)
def test_refusals_exit_2_and_record_no_run(clean_tree, args, message):
    args = [a.replace("{tree}", clean_tree.root) for a in args]
    code, _, err = migrate_legacy(*args)
    assert code == 2 and message in err
    assert not MigrationRun.objects.exists() and not Session.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_source_is_refused(tmp_path, data_dir):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        if os.geteuid() == 0:
            # Root reads any directory through two capabilities; without them it is
            # refused like any owner of a mode-000 directory.
            no_override = "--bounding-set=-dac_override,-dac_read_search"
            done = subprocess.run(
                ["setpriv", no_override, *command("--source", "ao", str(locked))],
                env=command_env(data_dir), cwd=ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            code, err = done.returncode, done.stderr
        else:
            code, _, err = migrate_legacy("--source", "ao", str(locked))
    finally:
        locked.chmod(0o755)
    assert code == 2 and "not readable" in err, err
    assert not MigrationRun.objects.exists()


# --- subprocesses ----------------------------------------------------------------------


def command(*args, name: str = "migrate_legacy") -> list[str]:
    return manage_command(*args, name=name)


def run_command(args, env, timeout=120, name: str = "migrate_legacy"):
    return subprocess.run(
        command(*args, name=name), env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def test_unapplied_migrations_are_refused(tmp_path, clean_tree):
    empty = tmp_path / "empty.sqlite3"
    result = run_command(
        ["--source", "ao", clean_tree.root], command_env(tmp_path, f"sqlite:///{empty}")
    )
    assert result.returncode == 2, result.stderr
    assert "unapplied migration" in result.stderr and "manage.py migrate" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_second_concurrent_import_is_refused(tmp_path, clean_tree, data_dir):
    env = command_env(data_dir)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s)", [_advisory_key(MigrationRun.Kind.LEGACY_IMPORT)]
            )
        try:
            result = run_command(["--source", "ao", clean_tree.root], env)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s)",
                    [_advisory_key(MigrationRun.Kind.LEGACY_IMPORT)],
                )
    else:
        database = Path(str(settings.DATABASES["default"]["NAME"]))
        lock_path = database.parent / f"{database.name}.{MigrationRun.Kind.LEGACY_IMPORT}.lock"
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            result = run_command(["--source", "ao", clean_tree.root], env)
    assert result.returncode == 2, result.stderr
    assert "Another legacy_import run is in progress" in result.stderr
    assert not MigrationRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_is_refused_after_the_timeout(tmp_path, clean_tree, data_dir):
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        holder = psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db["USER"],
            dbname=db["NAME"],
        )
        holder.execute(f"LOCK TABLE {Session._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        env = command_env(data_dir, SESSIONHUB_LOCK_TIMEOUT_MS="500")
    else:
        holder = sqlite3.connect(db["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        env = command_env(data_dir, SQLITE_BUSY_TIMEOUT="0.5")
    try:
        result = run_command(["--source", "ao", clean_tree.root], env)
    finally:
        holder.rollback() if connection.vendor == "postgresql" else holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2, result.stderr
    assert "The database is locked" in result.stderr
    assert not MigrationRun.objects.exists()


def wait_for_the_import_lock(kind: str = MigrationRun.Kind.LEGACY_IMPORT) -> None:
    kind_lock_wait(kind)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_at_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path, data_dir):
    """Kill a real import many times, then finish it: same rows and files as one clean run."""
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=1500, claude_home=str(tmp_path / "c1"))
    ao_tree_generate(str(tmp_path / "ao-copy"), sessions=1500, claude_home=str(tmp_path / "c2"))
    env = command_env(data_dir)
    # The legacy import alone (its transcripts follow-up has its own tests).
    base = ["--source", "ao", tree.root, "--batch-size", "40", "--json", "--no-transcripts"]

    # The reference: one uninterrupted run.
    reference = run_command([*base, "--claude-home", str(tmp_path / "c1")], env)
    assert reference.returncode == 1, reference.stderr  # the rejected sample files
    reference_run = MigrationRun.objects.get()
    import_seconds = (reference_run.finished_at - reference_run.started_at).total_seconds()
    project_times = {"projects_app.Project": {"created_at", "updated_at"}}
    expected_rows = dump_tables(ignore=project_times)
    expected_files = list_files(tmp_path / "c1")
    assert Session.objects.count() == tree.sessions - tree.terminated
    Session.objects.all().delete()
    Project.objects.all().delete()

    rng = random.Random(os.getpid())
    args = [*base, "--claude-home", str(tmp_path / "c2")]
    kills = attempts = 0
    while kills < 10 and attempts < 40:
        attempts += 1
        delay = rng.uniform(0.0, 1.0) * import_seconds
        met = command_kill(
            command(*args), env=env, kind=MigrationRun.Kind.LEGACY_IMPORT, delay=delay
        )
        if met == MID_RUN:
            kills += 1
        elif met == ENDED_FIRST:
            Session.objects.all().delete()  # start again from scratch for a real interruption
    assert kills == 10, f"{kills} kills in {attempts} attempts"
    # Each run closed the one killed before it; the last killed one is still "running".
    interrupted = MigrationRun.objects.filter(error=INTERRUPTED)
    assert interrupted.count() == 9
    assert set(interrupted.values_list("status", flat=True)) == {MigrationRun.Status.FAILED}
    assert MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).count() == 1
    final = run_command(args, env)
    assert final.returncode == 1, final.stderr
    assert not MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).exists()
    assert interrupted.count() == 10
    assert interrupted.filter(progress_done__gt=0).exists()

    assert dump_tables(ignore=project_times) == expected_rows
    files = list_files(tmp_path / "c2")
    assert not [name for name in files if name.endswith(TEMP_SUFFIX)]
    # Same transcripts, at the same places relative to each Claude home.
    assert files == expected_files


@pytest.mark.django_db(transaction=True)
def test_a_progress_bar_is_drawn_on_a_terminal(tmp_path, clean_tree, data_dir):
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command("--source", "ao", clean_tree.root, "--batch-size", "10"),
        env=command_env(data_dir),
        cwd=ROOT,
        stdout=follower,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command exited
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    text = output.decode()
    assert process.returncode == 0, process.stderr.read()
    assert text.count("\r[") >= 4  # one redraw per batch
    assert "Import finished" in text
