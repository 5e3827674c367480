"""manage.py attach_sessions: arguments, --dry-run, --json, --all-scratch, --undo, refusals."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from migration_app.models import MigrationRun
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session
from tests.migration_app.attach_helpers import named_workstream, scratch_session, tree_digest

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("attach_sessions", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sessions(data_dir):
    named_workstream("my-blog")
    scratch_session("s1", {"a.txt": b"aa", "d/b.txt": b"bbb"})
    scratch_session("s2", {"c.txt": b"c"})


def test_json_report_of_a_real_run(sessions):
    body = json.loads(run("--workstream", "my-blog", "s1", "s2", "--json"))
    assert body["status"] == "succeeded" and body["dry_run"] is False
    assert body["counts"]["files"] == 3 and body["counts"]["top_level_entries"] == 3
    assert body["counts"]["bytes"] == 6 and body["failed"] == []
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {"my-blog"}


def test_dry_run_changes_nothing(sessions, data_dir):
    before = tree_digest(data_dir / "workstreams")
    text = run("--workstream", "my-blog", "s1", "--dry-run")
    assert "(dry run)" in text and "files: 2" in text
    assert tree_digest(data_dir / "workstreams") == before
    assert Session.objects.get(id="s1").workstream_id == SCRATCH_WORKSTREAM_ID


def test_all_scratch_then_undo(sessions):
    run("--workstream", "my-blog", "--all-scratch", "--batch-size", "1")
    attach_run = MigrationRun.objects.get()
    assert attach_run.counts["sessions_attached"] == 2
    text = run("--undo", str(attach_run.pk))
    assert "undone" in text
    assert (files.scratch_session_work_dir("s1") / "d" / "b.txt").read_bytes() == b"bbb"


def test_a_partial_run_exits_with_status_2_and_lists_the_failures(sessions):
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("attach_sessions", "--workstream", "my-blog", "s1", "ghost", stdout=out)
    assert exc.value.returncode == 2
    assert "FAILED ghost: No such session." in out.getvalue()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workstream", "../x", "s1"], "not a valid name"),
        (["--workstream", "nowhere", "s1"], "No workstream 'nowhere'"),
        (["--workstream", "my-blog"], "Name at least one SESSION_ID"),
        (["s1"], "--workstream is required"),
    ],
)
def test_refusals(sessions, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Session.objects.get(id="s1").workstream_id == SCRATCH_WORKSTREAM_ID
