"""manage.py migrate_sessions_to_projects."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from migration_app.models import MigrationRun
from projects_app.models import Project
from sessions_app.models import Session
from tests.factories import ConversationFactory, MessageFactory, SessionFactory, WorkspaceFactory
from tests.processes import command_env

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run_command(*args):
    out = StringIO()
    call_command("migrate_sessions_to_projects", *args, stdout=out)
    return out.getvalue()


def test_summary_and_dry_run():
    for _ in range(2):
        conversation = ConversationFactory()
        SessionFactory(conversation=conversation)
        MessageFactory(conversation=conversation)
    bad_conversation = ConversationFactory()
    bad = SessionFactory(conversation=bad_conversation)
    MessageFactory(conversation=bad_conversation, tool_calls=[1, 2])

    dry = run_command("--dry-run")
    assert "Dry run: nothing was changed." in dry
    assert not Project.objects.exists()
    real = run_command()
    for text in (dry, real):
        assert "Total sessions:     3" in text
        assert "Migrated:           2" in text
        assert "Failed:             1" in text
        assert "Messages re-linked: 2" in text
        assert f"Session {bad.id}: a tool call is a int" in text
    assert Project.objects.count() == 2


def test_json_filters_and_batch_size():
    other = WorkspaceFactory(slug="other")
    SessionFactory(workspace=other, status="pending")
    SessionFactory(workspace=other, status="Completed")
    SessionFactory(status="pending")
    summary = json.loads(run_command("--workspace", "other", "--status", "PENDING", "--json"))
    assert summary["total"] == 1
    assert summary["migrated"] == 1
    assert summary["status"] == "succeeded"
    run = MigrationRun.objects.get(pk=summary["run_id"])
    assert run.params["workspace"] == "other"
    summary = json.loads(run_command("--batch-size", "1", "--json"))
    assert (summary["migrated"], summary["skipped"]) == (2, 1)


def test_refusals():
    with pytest.raises(CommandError, match="No workspace") as exc:
        run_command("--workspace", "nope")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="batch size") as exc:
        run_command("--batch-size", "0")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_progress_bar_on_a_terminal_and_a_real_process(tmp_path):
    """A real process on a pseudo-terminal draws the bar; its work is visible here."""
    import pty

    SessionFactory.create_batch(5)
    env = command_env(tmp_path)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "migrate_sessions_to_projects", "--batch-size", "2"],
        cwd=ROOT, env=env, stdout=follower, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    output = b"".join(chunks).decode()
    assert "[###" in output and "5/5" in output
    assert "Migrated:           5" in output
    assert Session.objects.filter(project__isnull=False).count() == 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killed_mid_run_then_rerun_converges(tmp_path):
    """kill -9 between batches: the committed batches stay, a re-run finishes the rest."""
    import signal
    import time

    SessionFactory.create_batch(600)
    env = command_env(tmp_path)
    command = [sys.executable, "manage.py", "migrate_sessions_to_projects", "--batch-size", "2"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline:
        run = MigrationRun.objects.filter(status=MigrationRun.Status.RUNNING).first()
        done = run.progress_done if run else 0
        if done >= 20:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert 20 <= done < 600, "the run must be killed part-way"

    killed = MigrationRun.objects.get()
    migrated_before = Session.objects.filter(project__isnull=False).count()
    # Whole batches only: what the journal says migrated is exactly what the rows say.
    assert killed.items.filter(outcome="migrated").count() == migrated_before
    assert migrated_before % 2 == 0
    assert Project.objects.count() == migrated_before

    out = StringIO()
    call_command("migrate_sessions_to_projects", "--json", stdout=out)
    rerun = json.loads(out.getvalue())
    assert rerun["skipped"] == migrated_before
    assert rerun["migrated"] == 600 - migrated_before
    assert Session.objects.filter(project__isnull=True).count() == 0
    assert Project.objects.count() == 600
    assert Project.objects.filter(sessions__isnull=True).count() == 0
