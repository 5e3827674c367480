"""The migration journal over the API: list, detail with items by outcome, undo."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from migration_app.models import MigrationItem, MigrationRun
from migration_app.services import journal
from tests.api_support import item_ids, list_query_counts
from tests.factories import MigrationItemFactory, MigrationRunFactory, undo_replaced

pytestmark = pytest.mark.django_db

Outcome = MigrationItem.Outcome


def run_url(world, suffix=""):
    return f"/api/v1/migrations/{world.ids['run_id']}{suffix}"


def test_list_runs_newest_first_with_filters(api_world):
    later = MigrationRunFactory(kind=MigrationRun.Kind.REASSOCIATE_TASK)
    body = api_world.staff.get("/api/v1/migrations").json()
    assert [r["id"] for r in body["items"]] == [str(later.pk), api_world.ids["run_id"]]
    filtered = api_world.staff.get("/api/v1/migrations?kind=reassociate_task&status=running")
    assert item_ids(filtered) == {str(later.pk)}


def test_list_runs_is_empty_for_non_staff(api_world):
    body = api_world.member.get("/api/v1/migrations").json()
    assert body == {"items": [], "count": 0}


def test_list_runs_bad_kind_is_422(api_world):
    assert api_world.staff.get("/api/v1/migrations?kind=teleport").status_code == 422


def test_run_detail_with_items_filtered_by_outcome(api_world):
    run = api_world.objects["run"]
    MigrationItemFactory(run=run, outcome=Outcome.FAILED, reason="bad YAML")
    MigrationItemFactory(run=run, outcome=Outcome.SKIPPED)
    body = api_world.staff.get(run_url(api_world)).json()
    assert (body["kind"], body["status"]) == ("legacy_import", "succeeded")
    assert body["items"]["count"] == 3
    failed = api_world.staff.get(run_url(api_world, "?outcome=failed")).json()
    assert failed["items"]["count"] == 1
    assert failed["items"]["items"][0]["reason"] == "bad YAML"


def test_run_detail_pages_items(api_world):
    run = api_world.objects["run"]
    for _ in range(5):
        MigrationItemFactory(run=run)
    body = api_world.staff.get(run_url(api_world, "?limit=2&offset=4")).json()
    assert body["items"]["count"] == 6
    assert len(body["items"]["items"]) == 2


def test_run_detail_bad_outcome_is_422(api_world):
    assert api_world.staff.get(run_url(api_world, "?outcome=lost")).status_code == 422


def test_run_detail_unknown_is_404(api_world):
    response = api_world.staff.get("/api/v1/migrations/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_run_detail_for_non_staff_is_404(api_world):
    assert api_world.member.get(run_url(api_world)).status_code == 404


def test_undo_marks_the_run_undone_and_twice_is_a_no_op(api_world, monkeypatch):
    calls = []

    def undo(run):
        calls.append(run.pk)
        return journal.UndoResult(restored=1)

    undo_replaced(monkeypatch, MigrationRun.Kind.LEGACY_IMPORT, undo)
    first = api_world.staff.post(run_url(api_world, "/undo"))
    assert first.status_code == 200
    assert first.json()["status"] == "undone"
    assert first.json()["counts"]["undone"] == 1
    second = api_world.staff.post(run_url(api_world, "/undo"))
    assert second.status_code == 200
    assert len(calls) == 1


def test_undo_of_a_dry_run_is_400(api_world):
    run = MigrationRunFactory(dry_run=True, status="succeeded", finished_at=timezone.now())
    response = api_world.staff.post(f"/api/v1/migrations/{run.pk}/undo")
    assert response.status_code == 400
    assert response.json()["code"] == "migration_refused"


def test_undo_of_a_running_run_is_409(api_world):
    run = MigrationRunFactory(status="running")
    response = api_world.staff.post(f"/api/v1/migrations/{run.pk}/undo")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    run.refresh_from_db()
    assert run.status == "running"


def test_undo_unknown_is_404(api_world):
    response = api_world.staff.post("/api/v1/migrations/00000000-0000-4000-8000-000000000000/undo")
    assert response.status_code == 404


def test_undo_by_non_staff_is_404(api_world):
    assert api_world.member.post(run_url(api_world, "/undo")).status_code == 404
    assert MigrationRun.objects.get(pk=api_world.ids["run_id"]).status == "succeeded"


def test_list_query_count_does_not_grow_with_page_size(api_world):
    for _ in range(30):
        MigrationRunFactory()
    small, large = list_query_counts(api_world.staff, "/api/v1/migrations")
    assert small == large
    assert large <= 3


def test_detail_query_count_does_not_grow_with_item_page_size(api_world):
    run = api_world.objects["run"]
    for _ in range(30):
        MigrationItemFactory(run=run)
    api_world.staff.get(run_url(api_world))
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as captured:
            body = api_world.staff.get(run_url(api_world, f"?limit={size}")).json()
        assert len(body["items"]["items"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 4


def test_undo_of_a_real_reassociation_restores_the_task_ids(api_world):
    """End to end with a registered undo: re-associate md#7 → mt#7, then undo over the API."""
    from migration_app.dispatch import migration_run_dispatch
    from sessions_app.models import Session

    run = migration_run_dispatch(
        kind=MigrationRun.Kind.REASSOCIATE_TASK, mapping=[("md#7", "mt#7")], actor="root"
    )
    session = Session.objects.get(pk=api_world.ids["session_id"])
    assert session.task_id == "mt#7"
    detail = api_world.staff.get(f"/api/v1/migrations/{run.pk}?outcome=migrated").json()
    assert [item["subject_id"] for item in detail["items"]["items"]] == [session.pk]

    response = api_world.staff.post(f"/api/v1/migrations/{run.pk}/undo")
    assert response.status_code == 200
    assert response.json()["status"] == "undone"
    session.refresh_from_db()
    assert session.task_id == "md#7"
