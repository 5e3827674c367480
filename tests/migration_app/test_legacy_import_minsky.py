"""migrate_legacy --source minsky, the service: mapping into rows, re-runs, dry run, undo,
secrets, per-record isolation (services/legacy_import/minsky_store/)."""

import datetime as dt

import pytest

from migration_app.legacy.minsky_sample import (
    PROJECT_ID,
    SAMPLE_TOKEN,
    minsky_json_write,
    minsky_sample_records,
)
from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import migration_undo
from migration_app.services.journal import MigrationError
from migration_app.services.legacy_import.minsky_store import run as minsky_run
from projects_app.models import Project, Source
from sessions_app.models import Session
from tests.factories import ProjectFactory, SessionFactory
from tests.migration_app.legacy_helpers import dump_tables, item_plan
from tests.migration_app.minsky_helpers import database_text, minsky_import, session_counts
from tests.migration_app.task_helpers import reassociate_task

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome
UTC = dt.UTC


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "session-db.json"
    minsky_json_write(str(path))
    return path


def test_every_session_comes_in_with_its_fields(sample):
    run = minsky_import(sample)
    assert run.status == MigrationRun.Status.PARTIAL  # the sample carries rejects on purpose
    assert session_counts(run) == (14, 0, 3)
    head = Session.objects.get(pk="6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b")
    assert (head.source, head.source_path) == (Source.MINSKY, str(sample))
    assert (head.status, head.legacy_status, head.task_id) == ("running", "PR_APPROVED", "mt#123")
    assert (head.branch, head.agent_session_id) == ("task/mt-123", "claude-7c1e")
    assert head.workspace_path == "/home/dev/.local/state/minsky/sessions/ws1"
    assert head.issue_url == "https://github.com/acme/widgets/pull/41"
    assert head.created_at == dt.datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert head.activity_last_at == dt.datetime(2025, 3, 2, 10, 30, tzinfo=UTC)
    assert head.metadata["prApproved"] is True and head.metadata["commitCount"] == 4
    assert head.metadata["shortId"] == "ws#1" and head.metadata["task_id_raw"] == "mt#123"
    # Finished sessions too, terminated.
    merged = Session.objects.get(pk="merged-one")
    assert (merged.status, merged.is_terminated, merged.task_id) == ("completed", True, "task#283")
    assert Session.objects.get(pk="update-test-session").status == "cancelled"
    # Older keys, epoch seconds and milliseconds, SQL-like text.
    assert Session.objects.get(pk="task-md#123").created_at == dt.datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )
    assert Session.objects.get(pk="fix-login").branch == "pr/fix-login"
    # An unknown status word comes in as pending, the word kept (notes: the next test).
    paused = Session.objects.get(pk="paused")
    assert (paused.status, paused.legacy_status) == ("pending", "PAUSED")
    legacy = Session.objects.get(pk="legacy-1")
    assert (legacy.task_id, legacy.status, legacy.workspace_path) == (
        "md#283", "pending", "/tmp/minsky/legacy-1",
    )  # fmt: skip


def test_rejected_items_name_what_was_left_out_and_why(sample):
    run = minsky_import(sample)
    failed = sorted(run.items.filter(outcome=Outcome.FAILED).values_list("subject_id", "reason"))
    assert failed == sorted([
        ("twice", "duplicate session id 'twice': record 12 is left out, record 13 with the "
                  "later createdAt is imported"),
        (str(sample), "entry 17 of the sessions list is not an object"),
        (str(sample), "record 16 has no session id (sessionId, session, sessionName, name)"),
    ])  # fmt: skip
    assert Session.objects.get(pk="twice").task_id == "mt#201"  # the later createdAt


def test_notes_on_items_for_unknown_statuses_task_ids_derived_branches_dates(sample):
    run = minsky_import(sample)
    reasons = dict(run.items.filter(subject_type="session").values_list("subject_id", "reason"))
    assert "taskId 'a b' normalises to no task id" in reasons["spaced-task"]
    assert Session.objects.get(pk="spaced-task").task_id == ""
    assert Session.objects.get(pk="spaced-task").metadata["task_id_raw"] == "a b"
    assert "branch derived as minsky derives it: task/md-123" in reasons["task-md#123"]
    assert "import time used" in reasons["no-date"]
    assert "status 'PAUSED' is not a minsky status; imported as pending" in reasons["paused"]
    assert run.counts["task_ids_unreadable"] == 2 and run.counts["duplicates_rejected"] == 1


def test_projects_from_project_id_else_one_per_repository(sample):
    minsky_import(sample)
    by_id = Project.objects.get(pk=PROJECT_ID)
    assert (by_id.title, by_id.source) == ("acme/widgets", Source.MINSKY)
    repos = Project.objects.exclude(pk=PROJECT_ID)
    assert sorted(repos.values_list("repo_origin_url", "path", "title")) == [
        ("https://github.com/acme/gadgets.git", "", "acme/gadgets"),  # credentials removed
        ("https://github.com/acme/widgets.git", "", "acme/widgets"),
    ]
    widgets = repos.get(title="acme/widgets")
    # Sessions keep their own clone as workspace_path; numbers are unique per project.
    nums = list(widgets.sessions.values_list("num", flat=True))
    assert len(nums) == len(set(nums)) == 12


def test_a_re_run_skips_every_session_and_reuses_the_projects(sample):
    minsky_import(sample)
    before = dump_tables(ignore={"sessions_app.Session": {"updated_at"}})
    again = minsky_import(sample)
    assert session_counts(again) == (0, 14, 3)
    assert dump_tables(ignore={"sessions_app.Session": {"updated_at"}}) == before
    # A new record in the same repository joins the existing project.
    records = minsky_sample_records() + [
        {"sessionId": "late", "repoName": "acme/widgets",
         "repoUrl": "https://github.com/acme/widgets.git", "createdAt": "2025-06-01"},
    ]  # fmt: skip
    minsky_json_write(str(sample), records)
    third = minsky_import(sample)
    assert session_counts(third)[0] == 1
    assert Project.objects.count() == 3
    late = Session.objects.get(pk="late")
    assert late.project.title == "acme/widgets" and late.num == 13


def test_dry_run_items_equal_the_real_runs_and_nothing_is_written(sample):
    before = dump_tables()
    dry = minsky_import(sample, dry_run=True)
    assert dump_tables() == before
    assert dry.dry_run and dry.counts["session_migrated"] == 14
    real = minsky_import(sample)
    assert item_plan(dry) == item_plan(real)
    assert {k: v for k, v in dry.counts.items()} == real.counts


def test_undo_removes_the_sessions_and_the_projects_it_created(sample):
    kept = ProjectFactory(id=PROJECT_ID, title="there before")
    native = SessionFactory(id="native-1")
    run = minsky_import(sample)
    migration_undo(run=run)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.UNDONE and run.counts["undone"] == 16
    assert list(Session.objects.values_list("pk", flat=True)) == [native.pk]
    assert list(Project.objects.values_list("pk", flat=True)) == [kept.pk]
    # Undoing again changes nothing; importing again brings everything back.
    migration_undo(run=run)
    assert session_counts(minsky_import(sample)) == (14, 0, 3)


def test_undo_is_refused_while_a_later_re_association_is_not_undone(sample):
    run = minsky_import(sample)
    later = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert later.counts["sessions_updated"] == 1
    with pytest.raises(MigrationError, match=f"Run {later.pk} .*undo that run first"):
        migration_undo(run=run)
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.PARTIAL
    assert Session.objects.filter(source=Source.MINSKY).count() == 14  # nothing half-undone
    migration_undo(run=later)
    migration_undo(run=run)
    assert not Session.objects.exists()


def test_the_admin_undo_button_shows_the_refusal(sample, staff_client):
    from django.urls import reverse

    run = minsky_import(sample)
    later = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    url = reverse("admin:migration_app_migrationrun_undo", args=[run.pk])
    page = staff_client.post(url, follow=True).content.decode()
    assert "Not undone: Run" in page and str(later.pk) in page
    run.refresh_from_db()
    assert run.status != MigrationRun.Status.UNDONE


def test_the_api_undo_answers_409_naming_the_later_run(sample, staff_client):
    run = minsky_import(sample)
    later = reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    response = staff_client.post(f"/api/v1/migrations/{run.pk}/undo")
    assert response.status_code == 409
    assert str(later.pk) in response.json()["detail"]


def test_a_dry_re_association_does_not_block_undo(sample):
    run = minsky_import(sample)
    reassociate_task(old_task_id="md#123", new_task_id="mt#123", dry_run=True)
    assert migration_undo(run=run).status == MigrationRun.Status.UNDONE


def test_the_planted_token_is_nowhere_in_the_database(sample):
    run = minsky_import(sample)
    assert run.counts["secrets_dropped"] == 3
    assert SAMPLE_TOKEN not in database_text()
    assert "ghp_" not in database_text()
    reason = run.items.get(subject_id="legacy-1").reason
    assert "secrets dropped: github.token" in reason


def test_a_session_id_held_by_another_source_is_rejected_not_overwritten(sample):
    SessionFactory(id="merged-one", task_id="gh#1")
    run = minsky_import(sample)
    item = run.items.get(subject_id="merged-one")
    assert item.outcome == Outcome.FAILED and "exists already (source native" in item.reason
    assert Session.objects.get(pk="merged-one").task_id == "gh#1"
    assert session_counts(run)[0] == 13  # the other 13 come in


def test_a_row_the_database_refuses_fails_alone(sample, monkeypatch):
    # Another writer took number 1 of the widgets project between our read and our insert.
    widgets = ProjectFactory(id="one-project")
    SessionFactory(id="squatter", project=widgets, num=1)
    monkeypatch.setattr(minsky_run, "_project_key", lambda state, m: widgets.pk)
    monkeypatch.setattr(minsky_run, "_next_numbers", lambda state, keys: dict.fromkeys(keys, 1))
    run = minsky_import(sample)
    failed = run.items.filter(outcome=Outcome.FAILED, subject_type="session")
    assert failed.count() == 2  # the clash, plus the sample's duplicate id
    clash = failed.exclude(subject_id="twice").get()
    assert "UNIQUE" in clash.reason.upper() or "unique" in clash.reason
    assert session_counts(run)[0] == 13 and run.status == MigrationRun.Status.PARTIAL


def test_plan_refusals_record_nothing(tmp_path):
    with pytest.raises(MigrationError, match="does not exist or is not a file"):
        minsky_import(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("[1,")
    with pytest.raises(MigrationError, match="is not valid JSON"):
        minsky_import(tmp_path / "bad.json")
    minsky_json_write(str(tmp_path / "ok.json"), [])
    with pytest.raises(MigrationError, match="Workspace 'nope' does not exist"):
        minsky_import(tmp_path / "ok.json", workspace_slug="nope")
    with pytest.raises(MigrationError, match="at least 1"):
        minsky_import(tmp_path / "ok.json", batch_size=0)
    assert not MigrationRun.objects.exists()


def test_small_batches_give_the_same_result(sample):
    run = minsky_import(sample, batch_size=2)
    assert session_counts(run) == (14, 0, 3)
    assert run.progress_done == run.progress_total == 17


def test_a_run_stopped_mid_way_then_re_run_ends_as_one_uninterrupted_run(sample, monkeypatch):
    def columns():
        return sorted(
            Session.objects.values_list("id", "project_id", "num", "task_id", "status", "branch")
        )

    minsky_import(sample, batch_size=4)
    whole = columns()
    migration_undo(run=MigrationRun.objects.get())

    real_write, calls = minsky_run._sessions_write, []

    def dies_on_the_third_batch(state, new):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real_write(state, new)

    monkeypatch.setattr(minsky_run, "_sessions_write", dies_on_the_third_batch)
    with pytest.raises(RuntimeError):
        minsky_import(sample, batch_size=4)
    stopped = MigrationRun.objects.exclude(status=MigrationRun.Status.UNDONE).get()
    assert stopped.status == MigrationRun.Status.FAILED
    assert 0 < Session.objects.count() < 14  # the first batches committed
    monkeypatch.setattr(minsky_run, "_sessions_write", real_write)
    rerun = minsky_import(sample, batch_size=4)
    assert (
        session_counts(rerun)[0]
        + Session.objects.filter(
            pk__in=stopped.items.filter(outcome=Outcome.MIGRATED).values("subject_id")
        ).count()
        == 14
    )
    assert columns() == whole
