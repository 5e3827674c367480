"""manage.py migrate_task_backend / reassociate_task, in-process and as real subprocesses."""

import json
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from migration_app.models import MigrationRun
from migration_app.services import migration_undo
from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.processes import command_env

ROOT = Path(__file__).resolve().parents[2]


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_reassociate_task_json():
    SessionFactory(id="a", task_id="123")
    SessionFactory(id="b", task_id="md#123")
    out, _ = run_command("reassociate_task", "md#123", "mt#123", "--json")
    summary = json.loads(out)
    assert summary["status"] == "succeeded" and summary["dry_run"] is False
    assert summary["sessions_found"] == 2 and summary["sessions_updated"] == 2
    assert sorted(summary["updated_sessions"]) == ["a", "b"]
    assert MigrationRun.objects.get(pk=summary["run_id"]).origin == "cli"


@pytest.mark.django_db
def test_reassociate_task_dry_run_text():
    SessionFactory(id="a", task_id="123")
    out, _ = run_command("reassociate_task", "md#123", "mt#123", "--dry-run")
    assert "DRY RUN" in out and "would update:          1" in out
    assert Session.objects.get(pk="a").task_id == "123"


@pytest.mark.django_db
def test_reassociate_task_invalid_id_exits_non_zero():
    SessionFactory(id="a", task_id="123")
    with pytest.raises(CommandError, match="Invalid task ID format") as excinfo:
        run_command("reassociate_task", "invalid-id", "mt#1")
    assert excinfo.value.returncode == 2
    assert Session.objects.get(pk="a").task_id == "123"


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), [("md", "mt"), ("markdown", "minsky")])
def test_migrate_task_backend_dry_run_then_execute(source, target):
    SessionFactory(id="a", task_id="7")
    SessionFactory(id="b", task_id="md#8")
    SessionFactory(id="c", task_id="gh#9")
    out, _ = run_command("migrate_task_backend", "--from", source, "--to", target, "--json")
    assert json.loads(out)["sessions_would_update"] == 2
    assert Session.objects.get(pk="a").task_id == "7"
    out, _ = run_command(
        "migrate_task_backend", "--from", source, "--to", target, "--execute", "--json"
    )
    assert json.loads(out)["sessions_updated"] == 2
    assert dict(Session.objects.values_list("id", "task_id")) == {
        "a": "mt#7", "b": "mt#8", "c": "gh#9",
    }  # fmt: skip


@pytest.mark.django_db
def test_migrate_task_backend_limit_and_unknown_backend():
    for i in range(5):
        SessionFactory(id=f"s{i}", task_id=f"md#{i}")
    out, _ = run_command(
        "migrate_task_backend", "--from", "md", "--to", "gh", "--execute", "--limit", "3"
    )
    assert "updated:               3" in out
    assert Session.objects.filter(task_id__startswith="gh#").count() == 3
    with pytest.raises(CommandError, match="Unknown task backend"):
        run_command("migrate_task_backend", "--from", "md", "--to", "jira", "--execute")


# --- real subprocesses ------------------------------------------------------------------------


def manage(*args):
    return [sys.executable, str(ROOT / "manage.py"), *args]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_subprocess_reassociate_task_json():
    SessionFactory(id="a", task_id="123")
    done = subprocess.run(
        manage("reassociate_task", "md#123", "mt#123", "--json"),
        env=command_env(settings.SESSIONHUB_DATA_DIR),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["updated_sessions"] == ["a"]
    assert Session.objects.get(pk="a").task_id == "mt#123"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_run_then_a_rerun_converges_and_undo_restores():
    n = 3000
    Session.objects.bulk_create(
        [
            Session(id=f"k{i:05d}", workspace_id=_default_workspace_id(), task_id=str(i % 7))
            for i in range(n)
        ]
    )
    original = dict(Session.objects.values_list("id", "task_id"))
    process = subprocess.Popen(
        manage("migrate_task_backend", "--from", "md", "--to", "mt", "--execute",
               "--batch-size", "20"),
        env=command_env(settings.SESSIONHUB_DATA_DIR),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    killed_run = None
    while time.monotonic() < deadline:
        killed_run = MigrationRun.objects.filter(kind=MigrationRun.Kind.TASK_BACKEND).first()
        if killed_run and killed_run.progress_done >= 200:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    killed_run.refresh_from_db()
    assert killed_run.finished_at is None, "the run finished before it could be killed"
    moved = Session.objects.filter(task_id__startswith="mt#").count()
    assert 0 < moved < n
    # Every committed batch is journaled: the items match the rows changed.
    assert killed_run.items.filter(outcome="migrated").count() == moved

    out, _ = run_command("migrate_task_backend", "--from", "md", "--to", "mt", "--execute")
    assert f"updated:               {n - moved}" in out
    assert Session.objects.filter(task_id__startswith="mt#").count() == n

    # Undo both runs: every session is back to its verbatim plain value.
    migration_undo(run=MigrationRun.objects.filter(finished_at__isnull=False).get())
    killed_run.finished_at = killed_run.started_at  # an operator closes the killed run
    killed_run.save(update_fields=["finished_at"])
    migration_undo(run=killed_run)
    assert dict(Session.objects.values_list("id", "task_id")) == original


def _default_workspace_id():
    from tests.factories import default_workspace

    return default_workspace().pk
