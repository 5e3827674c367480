"""The django-tasks-db backend and `manage.py db_worker` run a real task end to end."""

import pytest
from django_tasks import TaskResultStatus

from migration_app.tasks import demo_seed_task
from sessions_app.models import Session
from tests.processes import manage_run

WORKER = ("db_worker", "--batch", "--no-startup-delay", "--no-reload")
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_an_enqueued_task(settings, tmp_path):
    settings.TASKS = DB_BACKEND
    worker_data_dir = tmp_path / "worker-data"
    worker_data_dir.mkdir()

    result = demo_seed_task.enqueue()
    assert result.status == TaskResultStatus.READY
    assert not Session.objects.exists()

    worker = manage_run(*WORKER, data_dir=worker_data_dir)
    assert worker.returncode == 0, worker.stderr

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value["totals"]["sessions"] == Session.objects.count() == 200
    # The worker process wrote the demo files into its own data directory.
    assert (worker_data_dir / "workstreams" / "docs-site" / "production" / "README.md").is_file()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_records_a_failing_task_and_its_rollback(settings, tmp_path):
    settings.TASKS = DB_BACKEND
    # `workstreams` is a file, so creating the demo's workstream directories fails.
    (tmp_path / "workstreams").write_text("in the way")

    result = demo_seed_task.enqueue()
    worker = manage_run(*WORKER, data_dir=tmp_path)
    assert worker.returncode == 0, worker.stderr

    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.NotADirectoryError"
    # The seed runs in one transaction: nothing of it was committed.
    assert not Session.objects.exists()


def queued_then_carried_out(settings, data_dir, *, kind, **request):
    """Dispatched from the admin above the sync limit: the run waits, planned, until a real
    `db_worker` process executes it; returns the run, closed."""
    from migration_app.dispatch import migration_run_dispatch
    from migration_app.models import MigrationRun

    settings.TASKS = DB_BACKEND
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 0
    run = migration_run_dispatch(kind=kind, origin=MigrationRun.Origin.ADMIN, **request)
    assert run.status == MigrationRun.Status.PLANNED
    worker = manage_run(*WORKER, data_dir=data_dir)
    assert worker.returncode == 0, worker.stderr
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.SUCCEEDED, run.error
    return run


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_queued_session_to_project_run(settings, tmp_path):
    from migration_app.models import MigrationRun
    from tests.factories import ConversationFactory, MessageFactory, SessionFactory

    sessions = []
    for n in range(3):
        conversation = ConversationFactory()
        MessageFactory(conversation=conversation, content=f"Research the market {n}")
        sessions.append(SessionFactory(conversation=conversation))
    run = queued_then_carried_out(
        settings,
        tmp_path,
        kind=MigrationRun.Kind.SESSION_TO_PROJECT,
        session_ids=[s.pk for s in sessions],
    )
    assert run.counts["migrated"] == 3
    assert Session.objects.filter(project__isnull=False).count() == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_queued_attach_run(settings, data_dir):
    """The admin's background path for a large selection, carried out by a real worker."""
    from migration_app.models import MigrationRun
    from sessions_app import files
    from tests.migration_app.attach_helpers import named_workstream, scratch_session

    named_workstream("my-blog")
    for name in ("s1", "s2"):
        scratch_session(name, {"notes.txt": name.encode(), "sub/draft.md": b"# draft"})
    run = queued_then_carried_out(
        settings,
        data_dir,
        kind=MigrationRun.Kind.ATTACH_WORKSTREAM,
        workstream_id="my-blog",
        session_ids=["s1", "s2"],
    )
    assert run.counts["sessions_attached"] == 2 and run.counts["files"] == 4
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {"my-blog"}
    for name in ("s1", "s2"):
        moved = files.attached_session_work_dir("my-blog", name)
        assert (moved / "notes.txt").read_bytes() == name.encode()
        assert not files.scratch_session_work_dir(name).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_queued_task_reassociation(settings, tmp_path):
    from migration_app.models import MigrationRun
    from tests.factories import SessionFactory

    for n in range(3):
        SessionFactory(id=f"r{n}", task_id="md#123")
    SessionFactory(id="other", task_id="md#9")
    run = queued_then_carried_out(
        settings,
        tmp_path,
        kind=MigrationRun.Kind.REASSOCIATE_TASK,
        mapping=[("md#123", "mt#123")],
    )
    assert run.counts["sessions_updated"] == 3
    assert dict(Session.objects.values_list("id", "task_id")) == {
        "r0": "mt#123", "r1": "mt#123", "r2": "mt#123", "other": "md#9",
    }  # fmt: skip
