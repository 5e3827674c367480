"""The run page: counts, progress, and the run's items filterable by outcome."""

import pytest
from django.urls import reverse

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services.journal import (
    ItemRecord,
    UndoResult,
    migration_items_record,
    migration_run_finish,
)
from sessions_app.models import Session
from tests.factories import MigrationRunFactory, undo_replaced

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


@pytest.fixture
def finished_run():
    run = MigrationRunFactory(kind=MigrationRun.Kind.LEGACY_IMPORT, progress_total=3)
    migration_items_record(
        run=run,
        items=[
            ItemRecord("session", "app-1", Outcome.MIGRATED),
            ItemRecord("session", "app-2", Outcome.SKIPPED, reason="already imported"),
            ItemRecord("file", "/x/bad.json", Outcome.FAILED, reason="invalid JSON at line 1"),
        ],
    )
    return migration_run_finish(run=run)


def run_page(client, run, **params):
    url = reverse("admin:migration_app_migrationrun_change", args=[run.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_run_page_shows_status_counts_and_progress(staff_client, finished_run):
    page = run_page(staff_client, finished_run)
    assert "Partial" in page
    assert 'id="run-counts"' in page
    assert "3 / 3 (100%)" in page
    assert page.count('class="item-row') == 3


def test_run_page_filters_items_by_outcome(staff_client, finished_run):
    page = run_page(staff_client, finished_run, outcome="failed")
    assert page.count('class="item-row') == 1
    assert "/x/bad.json" in page and "invalid JSON at line 1" in page
    assert "app-1" not in page


def test_a_running_run_page_follows_a_small_progress_endpoint(staff_client):
    ids = [f"session-{n}" for n in range(2000)]
    run = MigrationRunFactory(
        kind=MigrationRun.Kind.SESSION_TO_PROJECT,
        progress_total=2000,
        progress_done=500,
        params={"session_ids": ids, "batch_size": 500},
    )
    page = run_page(staff_client, run)
    assert 'http-equiv="refresh"' not in page  # it polls instead of reloading
    assert 'data-finished="0"' in page and "Running; this page follows its progress." in page
    assert "session-1999" not in page  # the selection is summarised, not listed
    assert "2000: session-0, session-1, session-2…" in page
    progress = staff_client.get(reverse("admin:migration_app_migrationrun_progress", args=[run.pk]))
    assert progress.json() == {
        "status": "running", "status_display": "Running", "progress_done": 500,
        "progress_total": 2000, "percent": 25, "finished": False, "waiting_for_worker": False,
    }  # fmt: skip
    assert len(progress.content) < 300


def test_a_run_waiting_for_a_worker_says_so_and_since_when(staff_client):
    run = MigrationRunFactory(kind=MigrationRun.Kind.ATTACH_WORKSTREAM, status="planned")
    page = run_page(staff_client, run)
    assert "Waiting for a background worker since" in page
    assert "<code>make worker</code>" in page
    assert 'id="run-waiting" hidden' not in page


def test_a_finished_run_page_does_not_poll(staff_client, finished_run):
    page = run_page(staff_client, finished_run)
    assert 'data-finished="1"' in page
    assert 'id="run-waiting" hidden' in page and 'id="run-running" hidden' in page


def test_counts_appear_once_and_a_real_run_has_no_dry_run_badge(staff_client, finished_run):
    page = run_page(staff_client, finished_run)
    assert page.count("<th>migrated</th>") == 1
    assert "{&#x27;migrated&#x27;" not in page and '"migrated":' not in page  # no raw JSON
    assert 'id="dry-run-badge"' not in page
    dry = migration_run_finish(run=MigrationRunFactory(dry_run=True))
    assert '<span id="dry-run-badge">Dry run</span>' in run_page(staff_client, dry)


def test_migrated_items_link_to_what_they_made(staff_client):
    from tests.factories import ProjectFactory, SessionFactory

    session = SessionFactory(id="linked-1")
    project = ProjectFactory(id="made-project")
    run = MigrationRunFactory(kind=MigrationRun.Kind.SESSION_TO_PROJECT)
    migration_items_record(
        run=run,
        items=[ItemRecord("session", session.pk, Outcome.MIGRATED, "", None,
                          {"project_id": project.pk})],
    )  # fmt: skip
    page = run_page(staff_client, migration_run_finish(run=run))
    assert reverse("admin:sessions_app_session_change", args=[session.pk]) in page
    assert reverse("admin:projects_app_project_change", args=[project.pk]) in page


@pytest.fixture
def undoable_run(monkeypatch):
    def undo(run):
        run.items.update(outcome=Outcome.UNDONE)
        return UndoResult(restored=run.items.count())

    undo_replaced(monkeypatch, MigrationRun.Kind.REASSOCIATE_TASK, undo)
    run = MigrationRunFactory(kind=MigrationRun.Kind.REASSOCIATE_TASK)
    migration_items_record(run=run, items=[ItemRecord("session", "s1", Outcome.MIGRATED)])
    return migration_run_finish(run=run)


def undo_url(run):
    return reverse("admin:migration_app_migrationrun_undo", args=[run.pk])


def test_the_run_page_offers_undo_and_the_button_undoes_the_run(staff_client, undoable_run):
    assert undo_url(undoable_run) in run_page(staff_client, undoable_run)
    response = staff_client.post(undo_url(undoable_run), follow=True)
    assert "Run undone: 1 item(s) restored." in response.content.decode()
    undoable_run.refresh_from_db()
    assert undoable_run.status == MigrationRun.Status.UNDONE
    assert undo_url(undoable_run) not in run_page(staff_client, undoable_run)


def test_undo_needs_a_post(staff_client, undoable_run):
    assert staff_client.get(undo_url(undoable_run)).status_code == 405
    undoable_run.refresh_from_db()
    assert undoable_run.status != MigrationRun.Status.UNDONE


def test_undo_needs_the_undo_permission(client, undoable_run):
    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer", is_staff=True)
    client.force_login(viewer)
    assert client.post(undo_url(undoable_run)).status_code == 403
    undoable_run.refresh_from_db()
    assert undoable_run.status != MigrationRun.Status.UNDONE


def test_a_dry_run_offers_no_undo(staff_client):
    run = migration_run_finish(
        run=MigrationRunFactory(kind=MigrationRun.Kind.REASSOCIATE_TASK, dry_run=True)
    )
    assert undo_url(run) not in run_page(staff_client, run)
    response = staff_client.post(undo_url(run), follow=True)
    assert "Not undone: A dry run changed nothing" in response.content.decode()


def test_a_session_page_links_its_runs_placement_and_files_and_fixes_its_ids(
    staff_client, data_dir
):
    from migration_app.dispatch import migration_run_dispatch
    from tests.migration_app.attach_helpers import named_workstream, scratch_session

    named_workstream("my-blog")
    scratch_session("s-linked", {"a.txt": b"12345"})
    run = migration_run_dispatch(
        kind=MigrationRun.Kind.ATTACH_WORKSTREAM, workstream_id="my-blog", session_ids=["s-linked"]
    )
    url = reverse("admin:sessions_app_session_change", args=["s-linked"])
    page = staff_client.get(url).content.decode()
    assert reverse("admin:migration_app_migrationrun_change", args=[run.pk]) in page
    assert reverse("admin:sessions_app_workstream_change", args=["my-blog"]) in page
    assert "workstreams/my-blog/work/s-linked/ — 1 files, 5\xa0bytes" in page
    for fixed in ("id", "num", "workstream", "project", "created_at", "source_path"):
        assert f'name="{fixed}"' not in page  # shown, not editable
    assert 'name="title"' in page
    staff_client.post(url, {"title": "renamed", "workstream": "scratch", "id": "other"})
    session = Session.objects.get(pk="s-linked")
    assert session.workstream_id == "my-blog"  # a form cannot move a session's files
