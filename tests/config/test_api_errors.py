"""Every error under /api/ is the documented JSON body `{detail, code}`, whatever answers it:
unknown routes, wrong methods, server errors outside ninja, bodies over the limit, URLs
over the limit, unknown body fields; and a 404 says what was not found."""

import json

import pytest
from django.http import HttpResponse, HttpResponseServerError
from django.test import Client, RequestFactory

from config.middleware import ApiErrorMiddleware
from projects_app.models import Message, Project
from tests.api_support import ApiCaller

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    return body["detail"]


# --- Unknown routes and methods ----------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "anonymous"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/projects", "/api/", "/api"])
def test_an_unknown_route_is_a_json_404_with_or_without_credentials(api_world, who, path):
    detail = assert_error(api_world.callers[who].get(path), 404, "not_found")
    assert detail == f"No API operation at GET {path}."


def test_a_method_the_route_does_not_have_is_a_json_405_with_allow(api_world):
    response = api_world.member.request("PUT", "/api/v1/projects", {})
    detail = assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    assert detail.startswith("PUT is not allowed on /api/v1/projects")


def test_a_server_error_outside_the_api_handlers_is_json():
    def broken(request):
        return HttpResponseServerError("<h1>Server Error (500)</h1>", content_type="text/html")

    request = RequestFactory().get("/api/v1/projects")
    detail = assert_error(ApiErrorMiddleware(broken)(request), 500, "server_error")
    assert "<h1>" not in detail


def test_a_server_error_raised_below_the_api_is_json(api_world, monkeypatch):
    from config.api import api

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    # /api/docs is a plain Django view, not a ninja operation: Django's 500 page answers.
    monkeypatch.setattr(api.docs, "render_page", explode)
    client = Client(raise_request_exception=False)
    client.force_login(api_world.objects["root"])
    assert_error(client.get("/api/docs"), 500, "server_error")


def test_pages_outside_the_api_keep_their_html():
    def not_found(request):
        return HttpResponse("<p>gone</p>", status=404, content_type="text/html")

    response = ApiErrorMiddleware(not_found)(RequestFactory().get("/admin/nothing/"))
    assert response["Content-Type"] == "text/html"


def test_malformed_json_is_400_bad_request(api_world):
    response = api_world.member.client.post(
        "/api/v1/projects",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_world.member.secret}"},
    )
    assert_error(response, 400, "bad_request")


# --- Body and URL limits ----------------------------------------------------------------


def raw_post(caller: ApiCaller, path: str, data: bytes):
    return caller.client.post(
        path,
        data=data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {caller.secret}"},
    )


def reply_path(ids):
    return f"/api/v1/projects/{ids['project_id']}/conversations/{ids['conversation_id']}/messages"


def test_a_body_over_the_limit_is_413_naming_the_limit_and_writes_nothing(api_world, settings):
    settings.SESSIONHUB_MAX_BODY_BYTES = 1000
    before = Message.objects.count()
    body = json.dumps({"content": "x" * 2000}).encode()
    detail = assert_error(
        raw_post(api_world.member, reply_path(api_world.ids), body), 413, "too_large"
    )
    assert f"{len(body)} bytes" in detail and "1000 bytes" in detail
    assert Message.objects.count() == before


def test_djangos_own_body_limit_is_a_json_413_too(api_world, settings):
    # Should Django's limit ever be the lower one, it answers in the same shape (not 500).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"content": "x" * 1000}).encode()
    response = raw_post(api_world.member, reply_path(api_world.ids), body)
    assert "limit" in assert_error(response, 413, "too_large")


def test_the_default_limit_is_16_mib(settings):
    assert settings.SESSIONHUB_MAX_BODY_BYTES == 16 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.SESSIONHUB_MAX_BODY_BYTES


def test_a_body_just_over_16_mib_is_413(api_world):
    body = json.dumps({"content": "x" * (16 * 1024 * 1024)}).encode()
    detail = assert_error(
        raw_post(api_world.member, reply_path(api_world.ids), body), 413, "too_large"
    )
    assert "16777216 bytes (16 MiB)" in detail


def test_a_3_mb_body_is_accepted(api_world):
    # Django's own default limit (2.5 MB) answered 500 here.
    body = json.dumps({"content": "\u00e9" * 500_000}, ensure_ascii=True).encode()
    assert len(body) > 3_000_000
    response = raw_post(api_world.member, reply_path(api_world.ids), body)
    assert response.status_code == 201, response.content[:300]


def test_the_longest_reply_the_schema_accepts_fits_even_fully_escaped(api_world):
    # 1,000,000 characters, each outside the BMP: 12 bytes of JSON apiece (\\ud83d\\ude00).
    content = "\U0001f600" * 1_000_000
    body = json.dumps({"content": content}, ensure_ascii=True).encode()
    assert len(body) > 11_000_000
    response = raw_post(api_world.member, reply_path(api_world.ids), body)
    assert response.status_code == 201, response.content[:300]
    message_id = response.json()["message"]["id"]
    assert Message.objects.get(pk=message_id).content == content


def test_a_url_over_the_limit_is_414(api_world, settings):
    path = "/api/v1/sessions/" + "a" * settings.SESSIONHUB_MAX_URL_BYTES
    detail = assert_error(api_world.member.get(path), 414, "uri_too_long")
    assert str(settings.SESSIONHUB_MAX_URL_BYTES) in detail
    long_query = "/api/v1/projects?status=" + "b" * settings.SESSIONHUB_MAX_URL_BYTES
    assert_error(api_world.member.get(long_query), 414, "uri_too_long")


# --- Unknown fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,body,field",
    [
        ("PATCH", "/api/v1/sessions/{session_id}", {"workstream": "{workstream_id}"}, "workstream"),
        ("PATCH", "/api/v1/projects/{project_id}", {"titel": "Renamed"}, "titel"),
        ("POST", "/api/v1/projects", {"workspace_id": "{workspace_id}", "intent": "i", "x": 1},
         "x"),
        ("POST", "/api/v1/workstreams", {"id": "s", "workspace_id": "{workspace_id}", "t": 1}, "t"),
        (
            "POST",
            "/api/v1/projects/{project_id}/chat",
            {"message": "m", "selection": {"artifact_id": "{artifact_id}", "selected_text": "",
                                            "selection_range": {"start": 0, "end": 0, "e": 1}}},
            "e",
        ),
        ("POST", "/api/v1/tasks/reassociate", {"old_task_id": "md#7", "new_task_id": "mt#7",
                                               "dryrun": True}, "dryrun"),
    ],
)  # fmt: skip
def test_an_unknown_field_is_422_naming_it_and_changes_nothing(
    api_world, method, path, body, field
):
    from tests.config.test_api_isolation import fill

    session = api_world.objects["session"]
    projects = Project.objects.count()
    response = api_world.staff.request(method, fill(path, api_world.ids), fill(body, api_world.ids))
    [error] = assert_error(response, 422, "invalid_request")
    assert error["loc"][-1] == field
    assert repr(field) in error["msg"]
    session.refresh_from_db()
    assert session.workstream_id == "scratch" and Project.objects.count() == projects


# --- Not found says what ----------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,detail",
    [
        ("GET", "/api/v1/sessions/nope", "Session 'nope' not found."),
        ("GET", "/api/v1/projects/nope", "Project 'nope' not found."),
        ("GET", "/api/v1/projects/nope/sessions", "Project 'nope' not found."),
        (
            "GET",
            "/api/v1/projects/{project_id}/conversations/00000000-0000-0000-0000-000000000001/messages",
            "Conversation '00000000-0000-0000-0000-000000000001' not found.",
        ),
        (
            "GET",
            "/api/v1/migrations/00000000-0000-0000-0000-000000000002",
            "Migration run '00000000-0000-0000-0000-000000000002' not found.",
        ),
        (
            "GET",
            "/api/v1/sessions?workspace_id=00000000-0000-0000-0000-000000000003",
            "Workspace '00000000-0000-0000-0000-000000000003' not found.",
        ),
    ],
)
def test_not_found_names_what_was_asked_for(api_world, method, path, detail):
    response = api_world.staff.request(method, path.format(**api_world.ids))
    assert assert_error(response, 404, "not_found") == detail


def test_a_missing_workstream_is_named(api_world):
    response = api_world.member.patch(
        f"/api/v1/sessions/{api_world.ids['session_id']}", {"workstream_id": "nowhere"}
    )
    assert assert_error(response, 404, "not_found") == "Workstream 'nowhere' not found."


def test_a_row_of_another_workspace_reads_exactly_like_a_missing_one(api_world):
    path = f"/api/v1/sessions/{api_world.ids['session_id']}"
    foreign = api_world.nonmember.get(path)
    api_world.objects["session"].delete()
    missing = api_world.member.get(path)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
