"""GET /api/v1/tasks/{task_id}/sessions and POST /api/v1/tasks/reassociate."""

from urllib.parse import quote

import pytest

from migration_app.models import MigrationRun
from projects_app.services import api_key_create
from sessions_app.models import Session
from tests.factories import SessionFactory, UserFactory, WorkspaceFactory, default_workspace

pytestmark = pytest.mark.django_db


def bearer(user):
    _, secret = api_key_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def member():
    """A non-staff user who belongs to the default workspace only."""
    user = UserFactory(username="member")
    default_workspace().members.add(user)
    return user


@pytest.fixture
def sessions():
    other = WorkspaceFactory(slug="other-team")
    SessionFactory(id="plain", task_id="123")
    SessionFactory(id="qualified", task_id="md#123")
    SessionFactory(id="other-task", task_id="124")
    SessionFactory(id="foreign", task_id="123", workspace=other)


def test_sessions_of_a_task_with_the_hash_url_encoded(client, staff_user, sessions):
    url = f"/api/v1/tasks/{quote('md#123', safe='')}/sessions"
    assert "%23" in url
    response = client.get(url, **bearer(staff_user))
    assert response.status_code == 200
    body = response.json()
    # The '#' survived the round trip: md#123 matched both stored forms, nothing else.
    assert body["count"] == 3
    assert [s["id"] for s in body["items"]] == ["foreign", "plain", "qualified"]
    assert {s["task_id"] for s in body["items"]} == {"123", "md#123"}


def test_a_plain_id_in_the_path_is_the_markdown_task(client, staff_user, sessions):
    response = client.get("/api/v1/tasks/123/sessions", **bearer(staff_user))
    body = response.json()
    assert body["count"] == 3 and {s["task_id"] for s in body["items"]} == {"123", "md#123"}


def test_a_raw_hash_never_reaches_the_server_as_part_of_the_id(client, staff_user, sessions):
    # What a client sends for an unencoded "md#123": the path stops at '#'.
    response = client.get("/api/v1/tasks/md#123/sessions", **bearer(staff_user))
    assert response.status_code == 404


def test_limit_and_offset_page_while_count_stays_total(client, staff_user, sessions):
    response = client.get("/api/v1/tasks/md%23123/sessions?limit=1&offset=1", **bearer(staff_user))
    body = response.json()
    assert body["count"] == 3 and [s["id"] for s in body["items"]] == ["plain"]


def test_invalid_task_id_is_400(client, staff_user):
    response = client.get("/api/v1/tasks/MT%231/sessions", **bearer(staff_user))
    assert response.status_code == 400
    assert "Invalid task ID format" in response.json()["detail"]


def test_members_see_only_their_workspaces(client, member, sessions):
    response = client.get("/api/v1/tasks/md%23123/sessions", **bearer(member))
    assert response.json()["count"] == 2
    assert {s["id"] for s in response.json()["items"]} == {"plain", "qualified"}


def test_unauthenticated_is_401(client, sessions):
    response = client.get("/api/v1/tasks/md%23123/sessions")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_reassociate_changes_only_the_callers_sessions(client, member, sessions):
    response = client.post(
        "/api/v1/tasks/reassociate",
        {"old_task_id": "md#123", "new_task_id": "mt#123"},
        content_type="application/json",
        **bearer(member),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["dry_run"] is False
    assert body["sessions_found"] == 2 and body["sessions_updated"] == 2
    assert sorted(body["updated_sessions"]) == ["plain", "qualified"]
    assert Session.objects.get(pk="foreign").task_id == "123"
    run = MigrationRun.objects.get(pk=body["run_id"])
    assert (run.origin, run.actor) == ("api", "member")


def test_reassociate_dry_run(client, staff_user, sessions):
    response = client.post(
        "/api/v1/tasks/reassociate",
        {"old_task_id": "md#123", "new_task_id": "mt#123", "dry_run": True},
        content_type="application/json",
        **bearer(staff_user),
    )
    body = response.json()
    assert body["dry_run"] is True
    assert body["sessions_would_update"] == 3 and body["sessions_updated"] == 0
    assert Session.objects.filter(task_id__startswith="mt#").count() == 0


def test_reassociate_invalid_id_is_400_and_changes_nothing(client, staff_user, sessions):
    response = client.post(
        "/api/v1/tasks/reassociate",
        {"old_task_id": "invalid-id", "new_task_id": "mt#123"},
        content_type="application/json",
        **bearer(staff_user),
    )
    assert response.status_code == 400
    assert "Invalid task ID format" in response.json()["detail"]
    assert Session.objects.filter(task_id="123").count() == 2


def test_large_reassociation_runs_in_the_background(
    client, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 2
    for i in range(3):
        SessionFactory(id=f"bg{i}", task_id="md#5")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/api/v1/tasks/reassociate",
            {"old_task_id": "md#5", "new_task_id": "mt#5"},
            content_type="application/json",
            **bearer(staff_user),
        )
    assert response.status_code == 202
    assert len(callbacks) == 1  # enqueued on commit
    # The test task backend runs the task at once.
    run = MigrationRun.objects.get(pk=response.json()["run_id"])
    assert run.status == "succeeded" and run.counts["sessions_updated"] == 3
    assert Session.objects.filter(task_id="mt#5").count() == 3


def test_list_query_count_does_not_grow_with_page_size(api_world):
    from tests.api_support import list_query_counts

    SessionFactory.create_batch(30, workspace=api_world.objects["alpha"], task_id="md#7")
    small, large = list_query_counts(api_world.member, "/api/v1/tasks/md%237/sessions")
    assert small == large
