"""The django-tasks-db backend and `manage.py db_worker` run a real task end to end."""

import pytest
from django_tasks import TaskResultStatus

from migration_app.tasks import demo_seed_task
from sessions_app.models import Session
from tests.processes import manage_run

WORKER = ("db_worker", "--batch", "--no-startup-delay", "--no-reload")
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def worker_carries_out(result, run, *, data_dir) -> None:
    """A real `db_worker` process runs the queued task; the task and its run succeed."""
    from migration_app.models import MigrationRun

    worker = manage_run(*WORKER, data_dir=data_dir)
    assert worker.returncode == 0, worker.stderr
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.SUCCEEDED, run.error


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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_queued_session_to_project_run(settings, tmp_path):
    from migration_app.models import MigrationRun
    from migration_app.services.session_to_project import session_to_project_run_create
    from migration_app.tasks import session_to_project_run_task
    from tests.factories import ConversationFactory, MessageFactory, SessionFactory

    settings.TASKS = DB_BACKEND
    sessions = []
    for n in range(3):
        conversation = ConversationFactory()
        MessageFactory(conversation=conversation, content=f"Research the market {n}")
        sessions.append(SessionFactory(conversation=conversation))
    run = session_to_project_run_create(
        session_ids=[s.pk for s in sessions], origin=MigrationRun.Origin.ADMIN
    )
    result = session_to_project_run_task.enqueue(run_id=str(run.pk))
    assert not Session.objects.filter(project__isnull=False).exists()

    worker_carries_out(result, run, data_dir=tmp_path)
    assert run.counts["migrated"] == 3
    assert Session.objects.filter(project__isnull=False).count() == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_queued_attach_run(settings, data_dir):
    """The admin's background path for a large selection, carried out by a real worker."""
    from migration_app.models import MigrationRun
    from migration_app.services.attach_workstream import attach_run_queue
    from migration_app.tasks import attach_sessions_task
    from sessions_app import files
    from tests.migration_app.attach_helpers import named_workstream, scratch_session

    settings.TASKS = DB_BACKEND
    named_workstream("my-blog")
    for name in ("s1", "s2"):
        scratch_session(name, {"notes.txt": name.encode(), "sub/draft.md": b"# draft"})
    run = attach_run_queue(
        workstream_id="my-blog", session_ids=["s1", "s2"], origin=MigrationRun.Origin.ADMIN
    )
    result = attach_sessions_task.enqueue(
        run_id=str(run.pk), workstream_id="my-blog", session_ids=["s1", "s2"]
    )
    assert run.status in (MigrationRun.Status.PLANNED, MigrationRun.Status.RUNNING)

    worker_carries_out(result, run, data_dir=data_dir)
    assert run.counts["sessions_attached"] == 2 and run.counts["files"] == 4
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {"my-blog"}
    for name in ("s1", "s2"):
        moved = files.attached_session_work_dir("my-blog", name)
        assert (moved / "notes.txt").read_bytes() == name.encode()
        assert not files.scratch_session_work_dir(name).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_db_worker_carries_out_a_background_task_reassociation(settings, tmp_path):
    from migration_app.models import MigrationRun
    from migration_app.services.task_reassociation import reassociate_task
    from tests.factories import SessionFactory

    settings.TASKS = DB_BACKEND
    for n in range(3):
        SessionFactory(id=f"r{n}", task_id="md#123")
    SessionFactory(id="other", task_id="md#9")
    run = reassociate_task(old_task_id="md#123", new_task_id="mt#123", background=True)
    assert set(Session.objects.values_list("task_id", flat=True)) == {"md#123", "md#9"}

    worker = manage_run(*WORKER, data_dir=tmp_path)
    assert worker.returncode == 0, worker.stderr

    run.refresh_from_db()
    assert run.status == MigrationRun.Status.SUCCEEDED, run.error
    assert run.counts["sessions_updated"] == 3
    assert dict(Session.objects.values_list("id", "task_id")) == {
        "r0": "mt#123", "r1": "mt#123", "r2": "mt#123", "other": "md#9",
    }  # fmt: skip
