"""GET /api/v1/sessions/{id}/transcript: order, fields, cursor pages, scoping, queries."""

import base64
import json

import pytest

from config.api import api
from projects_app.models import Conversation, Message
from tests.factories import BASE_TIME, SessionFactory, transcript_session

pytestmark = pytest.mark.django_db


def url(session, query=""):
    return f"/api/v1/sessions/{session.pk}/transcript{query}"


def expected_order(session):
    conversations = [session.conversation_id, *session_subagent_conversations(session)]
    rows = Message.objects.filter(conversation_id__in=conversations).order_by("created_at", "id")
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


def session_subagent_conversations(session):
    return Conversation.objects.filter(extra_data__parent_session=session.pk).values_list(
        "pk", flat=True
    )


def test_messages_in_order_with_subagents_identified(api_world):
    session = transcript_session(workspace=api_world.objects["alpha"])
    response = api_world.member.get(url(session))
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    items = body["items"]
    assert [item["id"] for item in items] == expected_order(session)
    assert len(items) == 6
    assert [item["subagent"] for item in items] == [None, None, "explorer", None, "explorer", None]
    assistant = next(item for item in items if item["role"] == "assistant")
    assert assistant["model"] == "claude-sonnet-4-5"
    assert assistant["usage"]["output"] == 1
    assert assistant["conversation_id"] == str(session.conversation_id)
    tool = next(item for item in items if item["role"] == "tool")
    assert tool["is_error"] is True
    assert tool["tool_call_id"] == "toolu_0"
    assert tool["model"] is None
    user = items[0]
    assert user["is_error"] is False
    assert user["created_at"].endswith("Z")
    assert set(user) == {
        "id", "conversation_id", "subagent", "role", "content", "tool_calls", "tool_call_id",
        "model", "usage", "tokens_used", "is_error", "created_at",
    }  # fmt: skip


def test_cursor_pages_cover_everything_once(api_world):
    session = transcript_session(workspace=api_world.objects["alpha"], messages=7)
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = api_world.member.get(url(session, query)).json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected_order(session)
    assert pages == 5  # 9 messages, 2 a page


def test_cursor_is_a_keyset_not_an_offset(api_world):
    """A message inserted before the cursor's position does not shift the next page."""
    session = transcript_session(workspace=api_world.objects["alpha"])
    first = api_world.member.get(url(session, "?limit=3")).json()
    order = expected_order(session)
    earliest = Message.objects.get(pk=order[0])
    Message.objects.create(conversation_id=session.conversation_id, content="late",
                           created_at=earliest.created_at)  # fmt: skip
    rest = api_world.member.get(url(session, f"?limit=50&cursor={first['next_cursor']}")).json()
    assert [item["id"] for item in rest["items"]] == order[3:]


def test_session_without_conversation_is_empty(api_world):
    session = SessionFactory(workspace=api_world.objects["alpha"])
    assert api_world.member.get(url(session)).json() == {"items": [], "next_cursor": None}


def test_other_workspace_session_is_404_like_a_missing_one(api_world):
    session = transcript_session(workspace=api_world.objects["alpha"])
    response = api_world.nonmember.get(url(session))
    assert response.status_code == 404
    assert response.json() == {"detail": f"Session '{session.pk}' not found.", "code": "not_found"}
    missing = api_world.member.get("/api/v1/sessions/nope/transcript")
    assert missing.json() == {"detail": "Session 'nope' not found.", "code": "not_found"}


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4IiwgInkiXQ", "%00"])
def test_bad_cursor_is_refused(api_world, cursor):
    session = transcript_session(workspace=api_world.objects["alpha"])
    response = api_world.member.get(url(session, f"?cursor={cursor}"))
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("invalid", "invalid_request")
    if cursor != "%00":
        assert response.status_code == 400
        assert "cursor" in str(response.json()["detail"])


@pytest.mark.parametrize(
    "stamp, status",
    [("2026-01-01T00:00:00+23:59", 200), ("2026-01-01T00:00:00-15:59", 200),
     ("0001-01-01T00:00:00+01:00", 400), ("9999-12-31T23:59:59-14:00", 400)],
)  # fmt: skip
def test_a_cursor_with_an_unusual_offset_is_never_a_500(api_world, stamp, status):
    """Python reads offsets of up to ±23:59 that PostgreSQL refuses: the cursor's time is
    compared in UTC, and one that leaves the datetime range in UTC is a 400."""
    session = transcript_session(workspace=api_world.objects["alpha"])
    pair = json.dumps([stamp, "00000000-0000-4000-8000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(pair).decode().rstrip("=")
    response = api_world.member.get(url(session, f"?cursor={cursor}"))
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "invalid"


def test_pages_cover_messages_sharing_a_time_once(api_world):
    session = transcript_session(workspace=api_world.objects["alpha"], messages=0)
    for _ in range(9):
        Message.objects.create(conversation_id=session.conversation_id, content="same",
                               created_at=BASE_TIME)  # fmt: skip
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = api_world.member.get(url(session, query)).json()
        seen += [item["id"] for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert seen == expected_order(session) and len(set(seen)) == 11


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_out_of_range_is_422(api_world, limit):
    session = transcript_session(workspace=api_world.objects["alpha"])
    response = api_world.member.get(url(session, f"?limit={limit}"))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_queries_per_page_do_not_grow_with_the_page(api_world, django_assert_num_queries):
    session = transcript_session(workspace=api_world.objects["alpha"], messages=40)
    assert api_world.member.get(url(session)).status_code == 200  # the key's first use
    first = api_world.member.get(url(session, "?limit=2")).json()
    # key, session, its conversations, the page
    for query in ("?limit=2", "?limit=30", f"?limit=30&cursor={first['next_cursor']}"):
        with django_assert_num_queries(4):
            response = api_world.member.get(url(session, query))
        assert response.status_code == 200


def test_in_openapi():
    operation = api.get_openapi_schema()["paths"]["/api/v1/sessions/{session_id}/transcript"]
    get = operation["get"]
    assert {p["name"] for p in get["parameters"]} == {"session_id", "cursor", "limit"}
    assert {200, 400, 404} <= set(get["responses"])
    assert "deprecated" not in get
