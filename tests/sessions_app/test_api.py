"""Session and workstream endpoints: the deprecated trio with its headers, prefix lookup,
issue lookup, archive, workstreams."""

import re
from email.utils import parsedate_to_datetime

import pytest
from django.test import Client

from config.api import api
from projects_app.models import Conversation
from sessions_app.models import Session, Workstream
from tests.api_support import item_ids, list_query_counts
from tests.factories import MessageFactory, SessionFactory, WorkstreamFactory

pytestmark = pytest.mark.django_db

DEPRECATED = [
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/sessions"),
    ("get", "/api/v1/sessions/{session_id}/messages"),
]


def assert_deprecation_headers(response, settings):
    assert re.fullmatch(r"@\d+", response["Deprecation"])
    deprecated_at = int(response["Deprecation"][1:])
    assert deprecated_at == int(settings.SESSION_API_DEPRECATED_AT.timestamp())
    sunset = parsedate_to_datetime(response["Sunset"])
    assert sunset == settings.SESSION_API_SUNSET_AT
    assert response["Sunset"].endswith(" GMT")
    assert sunset.timestamp() >= deprecated_at
    assert response["Link"] == '</api/v1/projects>; rel="successor-version"'


# --- Deprecated: OpenAPI flag and headers on 2xx and 4xx -------------------------------


@pytest.mark.parametrize("method,path", DEPRECATED)
def test_deprecated_in_openapi(method, path):
    operation = api.get_openapi_schema()["paths"][path][method]
    assert operation["deprecated"] is True


def test_current_session_endpoints_are_not_deprecated():
    paths = api.get_openapi_schema()["paths"]
    assert "deprecated" not in paths["/api/v1/sessions/{session_id}"]["get"]
    assert "deprecated" not in paths["/api/v1/sessions/{session_id}/archive"]["post"]


def test_headers_on_create_201(api_world, settings):
    response = api_world.member.post(
        "/api/v1/sessions", {"workspace_id": api_world.ids["workspace_id"], "title": "Old way"}
    )
    assert response.status_code == 201
    assert_deprecation_headers(response, settings)


def test_headers_on_list_200(api_world, settings):
    response = api_world.member.get("/api/v1/sessions")
    assert response.status_code == 200
    assert_deprecation_headers(response, settings)


def test_headers_on_messages_200(api_world, settings):
    response = api_world.member.get(f"/api/v1/sessions/{api_world.ids['session_id']}/messages")
    assert response.status_code == 200
    assert_deprecation_headers(response, settings)


@pytest.mark.parametrize("method,path", DEPRECATED)
def test_headers_on_401(method, path, settings):
    response = getattr(Client(), method)(path.format(session_id="x"))
    assert response.status_code == 401
    assert_deprecation_headers(response, settings)


def test_headers_on_404(api_world, settings):
    response = api_world.member.get("/api/v1/sessions/no-such-session/messages")
    assert response.status_code == 404
    assert_deprecation_headers(response, settings)
    response = api_world.nonmember.post(
        "/api/v1/sessions", {"workspace_id": api_world.ids["workspace_id"], "title": "x"}
    )
    assert response.status_code == 404
    assert_deprecation_headers(response, settings)


def test_headers_on_422(api_world, settings):
    response = api_world.member.post("/api/v1/sessions", {"title": "no workspace"})
    assert response.status_code == 422
    assert_deprecation_headers(response, settings)
    response = api_world.member.get("/api/v1/sessions?workspace_id=not-a-uuid")
    assert response.status_code == 422
    assert_deprecation_headers(response, settings)


def test_headers_follow_settings(api_world, settings):
    import datetime as dt

    settings.SESSION_API_DEPRECATED_AT = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    settings.SESSION_API_SUNSET_AT = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    response = api_world.member.get("/api/v1/sessions")
    assert response["Deprecation"] == "@1893456000"
    assert response["Sunset"] == "Wed, 01 Jan 2031 00:00:00 GMT"


def test_no_deprecation_headers_on_current_endpoints(api_world):
    response = api_world.member.get(f"/api/v1/sessions/{api_world.ids['session_id']}")
    assert response.status_code == 200
    assert not response.has_header("Deprecation")
    assert not response.has_header("Sunset")


# --- Deprecated endpoints still work ---------------------------------------------------


def test_create_session(api_world):
    body = api_world.member.post(
        "/api/v1/sessions", {"workspace_id": api_world.ids["workspace_id"], "title": "My Task"}
    ).json()
    session = Session.objects.get(pk=body["id"])
    assert (session.title, session.workspace, session.status) == (
        "My Task", api_world.objects["alpha"], "pending",
    )  # fmt: skip
    assert session.workstream_id == "scratch"
    assert session.source == "native"
    assert Conversation.objects.get(pk=body["conversation_id"]).session == session


def test_create_session_in_foreign_workspace_is_404(api_world):
    response = api_world.member.post(
        "/api/v1/sessions", {"workspace_id": api_world.ids["other_workspace_id"], "title": "x"}
    )
    assert response.status_code == 404
    assert not Session.objects.filter(title="x").exists()


def test_list_sessions_by_workspace_newest_first(api_world):
    alpha = api_world.objects["alpha"]
    newer = SessionFactory(workspace=alpha)
    SessionFactory(workspace=api_world.objects["beta"])
    body = api_world.staff.get(f"/api/v1/sessions?workspace_id={alpha.pk}").json()
    assert [s["id"] for s in body["items"]] == [newer.pk, api_world.ids["session_id"]]
    assert body["count"] == 2


def test_list_sessions_of_foreign_workspace_is_404(api_world):
    response = api_world.member.get(
        f"/api/v1/sessions?workspace_id={api_world.ids['other_workspace_id']}"
    )
    assert response.status_code == 404


def test_session_messages(api_world):
    session = api_world.objects["session"]
    MessageFactory(conversation=session.conversation, content="second")
    body = api_world.member.get(f"/api/v1/sessions/{session.pk}/messages").json()
    assert body["count"] == 2
    assert body["items"][-1]["content"] == "second"


def test_session_messages_without_conversation_is_empty(api_world):
    session = SessionFactory(workspace=api_world.objects["alpha"])
    body = api_world.member.get(f"/api/v1/sessions/{session.pk}/messages").json()
    assert body == {"items": [], "count": 0}


# --- GET /sessions/{id_or_prefix} ------------------------------------------------------


def test_get_session_by_exact_id(api_world):
    body = api_world.member.get(f"/api/v1/sessions/{api_world.ids['session_id']}").json()
    assert body["id"] == "alpha-session-1"
    assert body["issue_id"] == "ISSUE-7"


@pytest.mark.parametrize("who", ["member", "staff"])
def test_get_session_by_exact_id_is_two_queries(api_world, who, django_assert_num_queries):
    caller = getattr(api_world, who)
    path = f"/api/v1/sessions/{api_world.ids['session_id']}"
    assert caller.get(path).status_code == 200  # the key's first use writes last_used_at
    with django_assert_num_queries(2):  # the key with its user, the session
        assert caller.get(path).status_code == 200


def test_get_session_by_unique_prefix(api_world):
    body = api_world.member.get("/api/v1/sessions/alpha-s").json()
    assert body["id"] == "alpha-session-1"


def test_get_session_ambiguous_prefix_is_409_with_count(api_world):
    SessionFactory(id="alpha-session-2", workspace=api_world.objects["alpha"])
    SessionFactory(id="alpha-session-3", workspace=api_world.objects["alpha"])
    response = api_world.member.get("/api/v1/sessions/alpha-sess")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["matches"]) == ("conflict", 3)
    assert "3 sessions" in body["detail"]


def test_exact_id_wins_over_longer_ids_with_that_prefix(api_world):
    SessionFactory(id="alpha-session-10", workspace=api_world.objects["alpha"])
    body = api_world.member.get("/api/v1/sessions/alpha-session-1").json()
    assert body["id"] == "alpha-session-1"


def test_prefix_matches_of_other_workspaces_are_not_counted(api_world):
    SessionFactory(id="alpha-session-9", workspace=api_world.objects["beta"])
    body = api_world.member.get("/api/v1/sessions/alpha-sess").json()
    assert body["id"] == "alpha-session-1"


def test_prefix_is_case_sensitive(api_world):
    SessionFactory(id="Beta-1", workspace=api_world.objects["alpha"])
    assert api_world.member.get("/api/v1/sessions/ALPHA").status_code == 404
    assert api_world.member.get("/api/v1/sessions/beta").status_code == 404
    assert api_world.member.get("/api/v1/sessions/Beta").json()["id"] == "Beta-1"


def test_prefix_wildcards_are_literal(api_world):
    assert api_world.member.get("/api/v1/sessions/alpha_").status_code == 404
    assert api_world.member.get("/api/v1/sessions/%25").status_code == 404


def test_get_session_no_match_is_404(api_world):
    assert api_world.member.get("/api/v1/sessions/zzz").status_code == 404


def test_get_session_empty_id_is_404(api_world):
    response = api_world.member.get("/api/v1/sessions/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Session '' not found.", "code": "not_found"}


def test_get_session_blank_id_is_404(api_world):
    assert api_world.member.get("/api/v1/sessions/%20").status_code == 404


# --- Issue lookup, archive -------------------------------------------------------------


def test_active_sessions_of_an_issue(api_world):
    alpha = api_world.objects["alpha"]
    SessionFactory(id="done-1", workspace=alpha, issue_id="ISSUE-7", is_terminated=True)
    SessionFactory(id="other-issue", workspace=alpha, issue_id="ISSUE-8")
    active = api_world.member.get("/api/v1/issues/ISSUE-7/sessions?active=true").json()
    assert item_ids_of(active) == {"alpha-session-1"}
    every = api_world.member.get("/api/v1/issues/ISSUE-7/sessions").json()
    assert item_ids_of(every) == {"alpha-session-1", "done-1"}
    inactive = api_world.member.get("/api/v1/issues/ISSUE-7/sessions?active=false").json()
    assert item_ids_of(inactive) == {"done-1"}


def item_ids_of(body):
    return {item["id"] for item in body["items"]}


def test_archived_session_is_not_active(api_world):
    api_world.member.post(f"/api/v1/sessions/{api_world.ids['session_id']}/archive")
    body = api_world.member.get("/api/v1/issues/ISSUE-7/sessions?active=true").json()
    assert body["count"] == 0


def test_issue_sessions_bad_flag_is_422(api_world):
    assert api_world.member.get("/api/v1/issues/ISSUE-7/sessions?active=maybe").status_code == 422


def test_archive_session_is_idempotent(api_world):
    path = f"/api/v1/sessions/{api_world.ids['session_id']}/archive"
    first = api_world.member.post(path).json()
    assert first["status"] == "archived"
    assert first["archived_at"]
    second = api_world.member.post(path).json()
    assert second["archived_at"] == first["archived_at"]


def test_archive_missing_session_is_404(api_world):
    assert api_world.member.post("/api/v1/sessions/nope/archive").status_code == 404


# --- Workstreams -----------------------------------------------------------------------


def test_list_workstreams(api_world):
    WorkstreamFactory(id="beta-stream", workspace=api_world.objects["beta"])
    ids = item_ids(api_world.member.get("/api/v1/workstreams"))
    assert ids == {"alpha-stream"}
    staff_ids = item_ids(api_world.staff.get("/api/v1/workstreams?state=active"))
    assert {"alpha-stream", "beta-stream", "scratch"} <= staff_ids


def test_list_workstreams_bad_state_is_422(api_world):
    assert api_world.member.get("/api/v1/workstreams?state=frozen").status_code == 422


def test_create_workstream_makes_its_directories(api_world, data_dir):
    response = api_world.member.post(
        "/api/v1/workstreams",
        {"id": "research_2", "workspace_id": api_world.ids["workspace_id"], "title": "R2"},
    )
    assert response.status_code == 201
    assert Workstream.objects.get(pk="research_2").workspace == api_world.objects["alpha"]
    assert (data_dir / "workstreams" / "research_2" / "work").is_dir()


@pytest.mark.parametrize("name", ["../etc", "-x", ".hidden", "a b", "ü"])
def test_create_workstream_invalid_name_is_400(api_world, data_dir, name):
    response = api_world.member.post(
        "/api/v1/workstreams", {"id": name, "workspace_id": api_world.ids["workspace_id"]}
    )
    assert response.status_code == 400
    assert not Workstream.objects.filter(pk=name).exists()
    assert not (data_dir / "workstreams").exists() or not any(
        p.name == name for p in (data_dir / "workstreams").iterdir()
    )


def test_create_existing_workstream_is_409(api_world):
    response = api_world.member.post(
        "/api/v1/workstreams", {"id": "scratch", "workspace_id": api_world.ids["workspace_id"]}
    )
    assert response.status_code == 409


def test_create_workstream_in_foreign_workspace_is_404(api_world):
    response = api_world.member.post(
        "/api/v1/workstreams", {"id": "w", "workspace_id": api_world.ids["other_workspace_id"]}
    )
    assert response.status_code == 404


def test_create_workstream_without_id_is_422(api_world):
    response = api_world.member.post(
        "/api/v1/workstreams", {"workspace_id": api_world.ids["workspace_id"]}
    )
    assert response.status_code == 422


# --- Query counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions",
        "/api/v1/sessions/alpha-session-1/messages",
        "/api/v1/issues/ISSUE-7/sessions?active=true",
        "/api/v1/workstreams",
    ],
)
def test_list_query_count_does_not_grow_with_page_size(api_world, path):
    alpha = api_world.objects["alpha"]
    for _ in range(30):
        SessionFactory(workspace=alpha, issue_id="ISSUE-7")
        MessageFactory(conversation=api_world.objects["session"].conversation)
        WorkstreamFactory(workspace=alpha)
    small, large = list_query_counts(api_world.member, path)
    assert small == large
    assert large <= 4


def test_prefix_lookup_can_use_the_primary_key_index(api_world):
    """The ao-rs lookup must stay an index search on a million sessions, on both databases."""
    from django.db import connection

    from sessions_app.selectors import id_prefix_q

    sql, params = Session.objects.filter(id_prefix_q("alpha")).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert plan.startswith("SEARCH") and "INDEX" in plan, plan
        else:
            # With sequential scans priced out, a plan without an index means none applies.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan, plan
