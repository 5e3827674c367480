"""The API as a whole: authentication, CSRF, the error body, docs, timestamps, pagination."""

import re
from datetime import datetime

import pytest
from django.test import Client

from projects_app.models import ApiKey
from tests.api_support import ApiCaller
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


# --- Authentication --------------------------------------------------------------------


def test_bearer_key_authenticates_and_records_last_use(api_world):
    key = ApiKey.objects.get(user=api_world.objects["alice"], revoked_at__isnull=True)
    assert key.last_used_at is None
    response = api_world.member.get("/api/v1/projects")
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_last_used_is_not_rewritten_on_every_request(api_world, django_assert_num_queries):
    api_world.member.get("/api/v1/projects/{}".format(api_world.ids["project_id"]))
    # Key lookup + project: no UPDATE of last_used_at within its resolution.
    with django_assert_num_queries(2):
        response = api_world.member.get(f"/api/v1/projects/{api_world.ids['project_id']}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer shk_not-a-real-key", "Basic dXNlcjpwdw==", "Token abc"],
)
def test_missing_or_wrong_credentials_are_401(authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/api/v1/projects", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required.", "code": "unauthenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_key_is_401(api_world):
    response = api_world.revoked.get("/api/v1/projects")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_key_of_deactivated_user_is_401(api_world):
    alice = api_world.objects["alice"]
    alice.is_active = False
    alice.save()
    assert api_world.member.get("/api/v1/projects").status_code == 401


def test_admin_login_works_for_reads():
    user = UserFactory(username="carol")
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/projects").status_code == 200


def test_admin_login_post_without_csrf_token_is_refused(api_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(api_world.objects["alice"])
    response = client.post(
        "/api/v1/projects",
        {"workspace_id": api_world.ids["workspace_id"], "intent": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF check failed.", "code": "forbidden"}


def test_admin_login_post_with_csrf_token_is_accepted(api_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(api_world.objects["alice"])
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/projects",
        {"workspace_id": api_world.ids["workspace_id"], "intent": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


def test_bearer_post_needs_no_csrf_token(api_world):
    caller = ApiCaller(api_world.member.secret, Client(enforce_csrf_checks=True))
    response = caller.post(
        "/api/v1/projects", {"workspace_id": api_world.ids["workspace_id"], "intent": "x"}
    )
    assert response.status_code == 201


def test_no_credentials_on_post_is_401_not_csrf_403():
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/projects", {}, content_type="application/json"
    )
    assert response.status_code == 401


# --- One error body --------------------------------------------------------------------


def test_error_body_400(api_world):
    response = api_world.member.post(
        "/api/v1/workstreams", {"id": "bad name!", "workspace_id": api_world.ids["workspace_id"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]


def test_error_body_404(api_world):
    response = api_world.member.get("/api/v1/projects/no-such-project")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Project 'no-such-project' not found.",
        "code": "not_found",
    }


def test_error_body_409(api_world):
    response = api_world.member.post(
        "/api/v1/workstreams", {"id": "alpha-stream", "workspace_id": api_world.ids["workspace_id"]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_error_body_422(api_world):
    response = api_world.member.post("/api/v1/projects", {"workspace_id": "not-a-uuid"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    locations = {tuple(error["loc"]) for error in body["detail"]}
    assert ("body", "payload", "workspace_id") in locations
    assert ("body", "payload", "intent") in locations


def test_malformed_json_is_a_client_error(api_world):
    response = api_world.member.client.post(
        "/api/v1/projects",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_world.member.secret}"},
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) >= {"detail", "code"}


# --- Pagination and timestamps ---------------------------------------------------------


def test_lists_are_limit_offset_pages_with_a_total(api_world):
    for _ in range(4):
        ProjectFactory(workspace=api_world.objects["alpha"])
    body = api_world.member.get("/api/v1/projects?limit=2&offset=1").json()
    assert body["count"] == 5
    assert len(body["items"]) == 2


def test_limit_above_the_cap_is_422(api_world, settings):
    response = api_world.member.get(
        f"/api/v1/projects?limit={settings.NINJA_PAGINATION_MAX_LIMIT + 1}"
    )
    assert response.status_code == 422


def test_timestamps_are_iso_8601_with_zone(api_world):
    project = api_world.member.get(f"/api/v1/projects/{api_world.ids['project_id']}").json()
    for name in ("created_at", "updated_at"):
        assert ISO_WITH_ZONE.match(project[name]), project[name]
        assert datetime.fromisoformat(project[name]).tzinfo is not None


def test_offset_beyond_the_cap_is_422(api_world):
    from projects_app.pagination import MAX_OFFSET

    assert api_world.member.get(f"/api/v1/projects?offset={MAX_OFFSET}").status_code == 200
    assert api_world.member.get(f"/api/v1/projects?offset={MAX_OFFSET + 1}").status_code == 422
    huge = "191440121755064497099931385856"
    assert api_world.staff.get(f"/api/v1/migrations?offset={huge}").status_code == 422
    run = api_world.ids["run_id"]
    assert api_world.staff.get(f"/api/v1/migrations/{run}?offset={huge}").status_code == 422


# --- NUL characters (PostgreSQL cannot hold them; both databases answer alike) ---------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions/a%00b",
        "/api/v1/projects/a%00b",
        "/api/v1/sessions/a%00b/messages",
        "/api/v1/issues/a%00b/sessions",
    ],
)
def test_nul_in_a_path_is_a_client_error(api_world, path):
    response = api_world.staff.get(path)
    # PostgreSQL's driver refuses the value (422); SQLite finds nothing (404 or empty list).
    assert response.status_code in (200, 404, 422)
    if response.status_code == 200:
        assert response.json()["count"] == 0
    else:
        assert response.json()["code"] in ("not_found", "invalid_request")


def test_nul_in_a_query_is_422(api_world):
    response = api_world.staff.get("/api/v1/sessions?workspace_id=a%00b")
    assert response.status_code == 422
    response = api_world.staff.get("/api/v1/issues/x/sessions?active=true&extra=a%00")
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v1/projects", {"workspace_id": "{workspace_id}", "intent": "a\x00b"}),
        ("/api/v1/workstreams", {"id": "a\x00b", "workspace_id": "{workspace_id}"}),
        ("/api/v1/projects/{project_id}/chat", {"message": "x", "extra": {"k\x00": 1}}),
    ],
)
def test_nul_in_a_body_is_400_and_nothing_is_written(api_world, path, body):
    from projects_app.models import Message, Project

    before = (Project.objects.count(), Message.objects.count())
    ids = api_world.ids
    body = {k: v.format(**ids) if isinstance(v, str) and "{" in v else v for k, v in body.items()}
    response = api_world.member.post(path.format(**ids), body)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (Project.objects.count(), Message.objects.count()) == before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_in_a_body_are_400(api_world, constant):
    response = api_world.member.client.patch(
        f"/api/v1/projects/{api_world.ids['project_id']}",
        data='{"context": {"score": ' + constant + "}}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_world.member.secret}"},
    )
    assert response.status_code == 400
    assert (
        "score"
        not in api_world.objects["project"]
        .__class__.objects.get(pk=api_world.ids["project_id"])
        .context
    )
