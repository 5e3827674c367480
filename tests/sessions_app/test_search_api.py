"""GET /api/v1/search: hits with their context, cursor pages, 400 with the reason for a
malformed query, and no 500 for any input."""

import datetime as dt
import random
from urllib.parse import urlencode

import pytest

from projects_app.models import Message
from tests.factories import (
    BASE_TIME,
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    transcript_session,
)

pytestmark = pytest.mark.django_db


def search(caller, **params):
    return caller.get("/api/v1/search?" + urlencode(params))


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_message_hit_names_its_session_project_source_and_time(api_world):
    session = transcript_session(workspace=api_world.objects["alpha"], subagent_messages=1)
    session.source = "codex"
    session.project = api_world.objects["project"]  # its conversation has none: the session's
    session.created_at = BASE_TIME - dt.timedelta(days=1)  # the hit's time is the message's
    session.save()
    Message.objects.filter(conversation=session.conversation).update(
        content="<b>unsafe</b> pelican & co"
    )
    response = search(api_world.member, q="pelican", role="user")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert len(items) == 2 and {i["role"] for i in items} == {"user"}
    hit = items[0]
    assert hit["kind"] == "message"
    assert hit["session_id"] == session.pk
    assert hit["source"] == "codex"
    assert hit["project_id"] == api_world.ids["project_id"]
    assert hit["conversation_id"] == str(session.conversation_id)
    assert hit["snippet"] == "&lt;b&gt;unsafe&lt;/b&gt; <mark>pelican</mark> &amp; co"
    message = Message.objects.get(pk=hit["id"])
    assert at(hit["created_at"]) == message.created_at


def test_a_session_hit_names_itself_its_project_source_and_time(api_world):
    alpha, project = api_world.objects["alpha"], api_world.objects["project"]
    created = dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    session = SessionFactory(workspace=alpha, project=project, source="ao-rs",
                             title="Tidy the docs", prompt="merge the quokkaforms",
                             created_at=created)  # fmt: skip
    (hit,) = search(api_world.member, q="quokkaforms").json()["items"]
    assert (hit["kind"], hit["id"]) == ("session", session.pk)
    assert (hit["session_id"], hit["session_title"]) == (session.pk, "Tidy the docs")
    assert hit["project_id"] == project.pk
    assert hit["source"] == "ao-rs"
    assert at(hit["created_at"]) == created
    assert hit["snippet"] == "Tidy the docs · merge the <mark>quokkaforms</mark>"


def test_a_project_hit_names_itself_its_source_and_time(api_world):
    project = ProjectFactory(workspace=api_world.objects["alpha"], source="minsky",
                             title="Gloamwright", intent="port the importer")  # fmt: skip
    (hit,) = search(api_world.member, q="gloamwright").json()["items"]
    assert (hit["kind"], hit["id"], hit["project_id"]) == ("project", project.pk, project.pk)
    assert hit["session_id"] is None and hit["source"] == "minsky"
    assert at(hit["created_at"]) == project.created_at


def test_the_other_workspace_sees_nothing(api_world):
    response = search(api_world.nonmember, q="hello")
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_filters_by_project_source_and_dates(api_world):
    project_id = api_world.ids["project_id"]
    assert {i["id"] for i in search(api_world.member, q="hello", project=project_id).json()[
        "items"]} == {api_world.ids["message_id"]}  # fmt: skip
    assert search(api_world.member, q="hello", project="nope").json()["items"] == []
    assert search(api_world.member, q="hello", source="codex").json()["items"] == []
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert search(api_world.member, q="hello", since=future).json()["items"] == []
    assert len(search(api_world.member, q="hello", until=future).json()["items"]) == 1


def test_dates_with_any_offset_python_allows_are_the_same_moments(api_world):
    # PostgreSQL holds offsets up to ±15:59; an answered 400 from the database would also
    # have left the request's transaction aborted.
    far = {"since": "2000-01-01T00:00:00-20:31", "until": "2999-01-01T00:00:00+23:59"}
    assert len(search(api_world.member, q="hello", **far).json()["items"]) == 1
    assert search(api_world.member, q="hello", since="2999-01-01T00:00:00-20:31").json()[
        "items"] == []  # fmt: skip


@pytest.mark.filterwarnings("error::RuntimeWarning")  # Django's "naive datetime" warning
def test_a_date_without_an_offset_is_read_as_utc(api_world):
    created = Message.objects.get(content="hello").created_at.astimezone(dt.UTC)
    just_after = (created + dt.timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    just_before = (created - dt.timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    assert search(api_world.member, q="hello", since=just_after).json()["items"] == []
    assert len(search(api_world.member, q="hello", since=just_before).json()["items"]) == 1
    assert search(api_world.member, q="hello", until=just_before).json()["items"] == []


def test_a_date_out_of_range_in_utc_is_a_400(api_world):
    response = search(api_world.member, q="hello", until="9999-12-31T23:00:00-20:00")
    assert response.status_code == 400
    assert response.json()["detail"] == ["`until` is out of range."]


def test_cursor_pages_walk_every_hit_once(api_world):
    conversation = ConversationFactory(workspace=api_world.objects["alpha"])
    for n in range(5):
        MessageFactory(conversation=conversation, content=f"ibis {n}",
                       created_at=BASE_TIME + dt.timedelta(minutes=n))  # fmt: skip
    seen, cursor = [], None
    while True:
        params = {"q": "ibis", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = search(api_world.member, **params).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(
    ("q", "reason"),
    [('"open', "Unbalanced quote"), ("a - b", "lone '-'"), ("y" * 1001, "limit is 1000")],
)
def test_a_malformed_query_is_a_400_with_the_reason(api_world, q, reason):
    response = search(api_world.member, q=q)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert reason in body["detail"]["q"][0]


@pytest.mark.parametrize("cursor", ["garbage", "bzo5OTk5", "!!", "ö"])
def test_a_foreign_cursor_is_a_400(api_world, cursor):
    response = search(api_world.member, q="hello", cursor=cursor)
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize(
    "q",
    ["NEAR(hello, 2)", "hello*", "hello OR x", '"hello" NOT x', "\\hello\\", "hel\x00lo",
     "ünï 日本 🙂", "hello:* & !x", "'; select 1; --", "^hello", "{hello}"],
)  # fmt: skip
def test_hostile_queries_never_fail(api_world, q):
    response = search(api_world.member, q=q)
    assert response.status_code in (200, 400, 422), response.content


# Pieces of query syntax (ours, FTS5's, tsquery's, SQL's) and awkward characters.
_PIECES = [
    '"', "-", ":", "id:", "task:", "issue:", "*", "^", "(", ")", "NEAR", "OR", "AND", "NOT",
    "hello", "wor", "é", "日本", "\\", "'", ";", "&", "|", "!", "<", ">", "_", ".", "/", "#",
    "md#7", "ISSUE-7", " ", "\t", "\n", "\x00", "%", "{", "}", "[", "]", "+", "~", "0", "123",
    "a" * 50, '-"', '"-', "::", 'id:"x y"', "-id:", "\u200b", "\ufeff", "İ", "💥", "\x7f",
    "--", '""', "''", "$1", "%s", "?", "@",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_random_queries_never_fail(api_world, seed):
    rng = random.Random(seed)
    for _ in range(60):
        params = {"q": "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8)))}
        if rng.random() < 0.3:
            params["since"] = rng.choice(["2026-01-01", "0001-01-01T00:00:00+14:00", "x"])
        response = search(api_world.member, **params)
        assert response.status_code in (200, 400, 422), (params, response.content)
