"""A staff user opens a finished run of each kind and clicks "Undo this run"; an undo that a
later run stands in the way of is refused until that run is undone (issue 16)."""

import pytest

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.minsky_sample import minsky_json_write, minsky_sample_records
from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.models import MigrationRun
from projects_app.models import Project
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session
from tests.factories import SessionFactory
from tests.migration_app import task_helpers
from tests.migration_app.attach_helpers import named_workstream, scratch_session
from tests.migration_app.minsky_helpers import minsky_import

Kind = MigrationRun.Kind


def legacy_import(tmp_path):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=6)
    run = migration_run_dispatch(
        kind=Kind.LEGACY_IMPORT, source="ao", location=tree.root, claude_home=str(tmp_path / "c")
    )
    assert Session.objects.filter(source="ao").exists()
    return run, lambda: not Session.objects.filter(source="ao").exists()


def session_to_project(tmp_path):
    SessionFactory(id="to-project-1")
    run = migration_run_dispatch(kind=Kind.SESSION_TO_PROJECT, session_ids=["to-project-1"])
    assert Project.objects.count() == 1
    return (
        run,
        lambda: (
            Session.objects.get(pk="to-project-1").project_id is None
            and not Project.objects.exists()
        ),
    )


def attach_workstream(tmp_path):
    named_workstream("my-blog")
    scratch_session("attached-1", {"notes.md": b"# notes"})
    run = migration_run_dispatch(
        kind=Kind.ATTACH_WORKSTREAM, workstream_id="my-blog", session_ids=["attached-1"]
    )
    assert not files.scratch_session_work_dir("attached-1").exists()
    return (
        run,
        lambda: (
            Session.objects.get(pk="attached-1").workstream_id == SCRATCH_WORKSTREAM_ID
            and (files.scratch_session_work_dir("attached-1") / "notes.md").read_bytes()
            == b"# notes"
        ),
    )


def reassociate_task(tmp_path):
    SessionFactory(id="task-1", task_id="md#1")
    run = migration_run_dispatch(kind=Kind.REASSOCIATE_TASK, mapping=[("md#1", "mt#1")])
    assert Session.objects.get(pk="task-1").task_id == "mt#1"
    return run, lambda: Session.objects.get(pk="task-1").task_id == "md#1"


def task_backend(tmp_path):
    SessionFactory(id="task-2", task_id="2")
    run = migration_run_dispatch(kind=Kind.TASK_BACKEND, from_backend="md", to_backend="gh")
    assert Session.objects.get(pk="task-2").task_id == "gh#2"
    return run, lambda: Session.objects.get(pk="task-2").task_id == "2"


def session_delete(tmp_path):
    SessionFactory(id="deleted-1", title="Deleted, then back")
    run = migration_run_dispatch(kind=Kind.SESSION_DELETE, session_ids=["deleted-1"])
    assert not Session.objects.filter(pk="deleted-1").exists()
    return run, lambda: Session.objects.filter(pk="deleted-1", title="Deleted, then back").exists()


@pytest.mark.parametrize(
    "make_run",
    [
        legacy_import,
        session_to_project,
        attach_workstream,
        reassociate_task,
        task_backend,
        session_delete,
    ],
)
def test_undo_this_run_restores_what_the_run_changed(admin_page, data_dir, tmp_path, make_run):
    run, restored = make_run(tmp_path)
    assert run.kind == make_run.__name__ and not restored()
    page = admin_page
    page.on("dialog", lambda dialog: dialog.accept())
    assert "Run undone" in click_undo(page, run)
    assert page.inner_text("#run-status") == "Undone"
    assert page.locator("#undo-button").count() == 0
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.UNDONE
    assert restored()


def click_undo(page, run) -> str:
    """Open the run's page, click "Undo this run" (accepting the confirm), return the message."""
    page.goto(f"{page.base_url}/admin/migration_app/migrationrun/{run.pk}/change/")
    page.click("#undo-button")
    page.wait_for_selector(".messagelist")
    return page.inner_text(".messagelist")


def test_undo_of_an_import_a_later_re_association_changed_waits_for_that_run(
    admin_page, data_dir, tmp_path
):
    store = tmp_path / "session-db.json"
    minsky_json_write(str(store), minsky_sample_records()[:3])  # mt#123, md#123, #124
    imported = minsky_import(store)
    later = task_helpers.reassociate_task(old_task_id="md#123", new_task_id="mt#123")
    assert later.counts["sessions_updated"] == 1
    page = admin_page
    page.on("dialog", lambda dialog: dialog.accept())

    refusal = click_undo(page, imported)
    assert f"Not undone: Run {later.pk}" in refusal and "undo that run first" in refusal
    assert page.inner_text("#run-status") != "Undone"
    assert page.locator("#undo-button").count() == 1
    imported.refresh_from_db()
    assert imported.status == MigrationRun.Status.SUCCEEDED
    assert Session.objects.filter(source="minsky").count() == 3  # nothing half-undone
    assert Session.objects.get(pk="task-md#123").task_id == "mt#123"

    assert "Run undone" in click_undo(page, later)
    assert Session.objects.get(pk="task-md#123").task_id == "md#123"
    assert "Run undone" in click_undo(page, imported)
    assert page.inner_text("#run-status") == "Undone"
    assert not Session.objects.filter(source="minsky").exists()
