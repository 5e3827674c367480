"""PATCH /api/v1/sessions/{session_id} with a workstream_id (arawn §6.5, without its defects)."""

import json

import pytest
from django.test import Client

from migration_app.models import MigrationRun
from projects_app.services import api_key_create
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session
from tests.factories import UserFactory, WorkspaceFactory, default_workspace
from tests.migration_app.attach_helpers import named_workstream, scratch_session, tree_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    """A non-staff member of the default workspace, calling with an API key."""
    user = UserFactory(username="member")
    default_workspace().members.add(user)
    _, secret = api_key_create(user=user, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def patch(session_id, body):
        response = client.patch(
            f"/api/v1/sessions/{session_id}", json.dumps(body), content_type="application/json"
        )
        return response.status_code, response.json()

    return patch


def test_scratch_to_named_moves_files_and_reports_them(api, data_dir):
    named_workstream("my-blog")
    scratch_session("abc-123", {"a.md": b"# a", "img/b.png": b"\x89PNG", "img/c.png": b"c"})
    status, body = api("abc-123", {"workstream_id": "my-blog"})
    assert status == 200, body
    assert body["workstream_id"] == "my-blog"
    assert body["files_migrated"] == 3 and body["top_level_entries"] == 2
    assert body["bytes_migrated"] == 3 + 4 + 1
    assert body["new_work_path"] == "workstreams/my-blog/work/abc-123"
    assert body["allowed_paths"] == ["production/", "work/"]
    run = MigrationRun.objects.get(pk=body["migration_run_id"])
    assert run.origin == "api" and run.actor == "member" and run.status == "succeeded"
    dest = files.attached_session_work_dir("my-blog", "abc-123")
    assert (dest / "img" / "b.png").read_bytes() == b"\x89PNG"
    assert not files.scratch_session_dir("abc-123").exists()


def test_title_task_id_and_metadata_are_merged(api, data_dir):
    scratch_session("abc", metadata={"keep": 1, "over": "old"})
    status, body = api(
        "abc", {"title": "New title", "task_id": "mt#12", "metadata": {"over": "new", "x": [1]}}
    )
    assert status == 200, body
    assert body["title"] == "New title" and body["task_id"] == "mt#12"
    assert body["metadata"] == {"keep": 1, "over": "new", "x": [1]}
    assert body["files_migrated"] is None and body["migration_run_id"] is None
    assert not MigrationRun.objects.exists()


def test_other_reassignments_move_no_files(api, data_dir):
    named_workstream("one")
    named_workstream("two")
    scratch_session("abc", {"f": b"1"})
    assert api("abc", {"workstream_id": "one"})[0] == 200
    status, body = api("abc", {"workstream_id": "two"})
    assert status == 200, body
    assert body["workstream_id"] == "two" and body["files_migrated"] is None
    assert body["allowed_paths"] == ["production/", "work/"]
    assert (files.attached_session_work_dir("one", "abc") / "f").exists()
    assert not files.attached_session_work_dir("two", "abc").exists()


@pytest.mark.parametrize("bad", ["../etc", "has space", ".hidden", "a/b", ""])
def test_an_invalid_workstream_name_is_400(api, data_dir, bad):
    scratch_session("abc", {"f": b"1"})
    status, body = api("abc", {"workstream_id": bad})
    assert status == 400 and body["code"] == "invalid"
    assert Session.objects.get(id="abc").workstream_id == SCRATCH_WORKSTREAM_ID
    assert not MigrationRun.objects.exists()


def test_unknown_session_or_workstream_is_404(api, data_dir):
    named_workstream("my-blog")
    scratch_session("abc", {"f": b"1"})
    assert api("nope", {"workstream_id": "my-blog"})[0] == 404
    status, body = api("abc", {"workstream_id": "nowhere"})
    assert status == 404 and body["code"] == "not_found"
    assert (files.scratch_session_work_dir("abc") / "f").exists()


def test_another_workspaces_session_or_workstream_is_404(api, data_dir):
    other = WorkspaceFactory(slug="other")
    named_workstream("theirs", workspace=other)
    named_workstream("mine")
    scratch_session("their-session", {"f": b"1"}, workspace=other)
    scratch_session("my-session", {"f": b"1"})
    assert api("their-session", {"workstream_id": "mine"})[0] == 404
    assert api("my-session", {"workstream_id": "theirs"})[0] == 404
    assert Session.objects.get(id="their-session").workstream_id == SCRATCH_WORKSTREAM_ID


def test_a_name_clash_is_409_and_nothing_moves(api, data_dir):
    named_workstream("my-blog")
    scratch_session("abc", {"a.txt": b"new"})
    dest = files.attached_session_work_dir("my-blog", "abc")
    dest.mkdir(parents=True)
    (dest / "a.txt").write_bytes(b"old")
    before = tree_digest(data_dir / "workstreams")
    status, body = api("abc", {"workstream_id": "my-blog", "title": "not applied"})
    assert status == 409 and body["code"] == "conflict"
    assert "workstreams/my-blog/work/abc/a.txt" in body["detail"]
    assert tree_digest(data_dir / "workstreams") == before
    session = Session.objects.get(id="abc")
    assert session.workstream_id == SCRATCH_WORKSTREAM_ID and session.title != "not applied"


def test_an_archived_workstream_is_400(api, data_dir):
    from sessions_app.models import Workstream

    named_workstream("old")
    Workstream.objects.filter(id="old").update(state="archived")
    scratch_session("abc", {"f": b"1"})
    status, body = api("abc", {"workstream_id": "old"})
    assert status == 400 and "archived" in body["detail"]


def test_an_invalid_title_is_refused_before_files_move(api, data_dir):
    named_workstream("my-blog")
    scratch_session("abc", {"f": b"1"})
    status, body = api("abc", {"workstream_id": "my-blog", "title": "x" * 600})
    assert status == 400
    assert (files.scratch_session_work_dir("abc") / "f").exists()


def test_unauthenticated_is_401(client, data_dir):
    response = client.patch("/api/v1/sessions/abc", "{}", content_type="application/json")
    assert response.status_code == 401


def caller_patch(user):
    _, secret = api_key_create(user=user, name="cross")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def patch(session_id, body):
        response = client.patch(
            f"/api/v1/sessions/{session_id}", json.dumps(body), content_type="application/json"
        )
        return response.status_code, response.json()

    return patch


@pytest.mark.parametrize("who", ["staff", "member of both"])
def test_attach_across_workspaces_seen_by_the_caller_is_409_with_the_reason(who, data_dir):
    from tests.factories import StaffFactory

    other = WorkspaceFactory(slug="other")
    named_workstream("theirs", workspace=other)
    scratch_session("mine", {"f": b"1"})
    if who == "staff":
        user = StaffFactory(username="root")
    else:
        user = UserFactory(username="both")
        default_workspace().members.add(user)
        other.members.add(user)
    status, body = caller_patch(user)("mine", {"workstream_id": "theirs"})
    assert status == 409, body
    assert body == {"detail": "Workstream theirs belongs to another workspace.", "code": "conflict"}
    assert Session.objects.get(id="mine").workstream_id == SCRATCH_WORKSTREAM_ID
    assert (files.scratch_session_work_dir("mine") / "f").exists()


def test_a_workstream_the_caller_cannot_see_reads_like_a_missing_one(api, data_dir):
    named_workstream("theirs", workspace=WorkspaceFactory(slug="other"))
    scratch_session("mine", {"f": b"1"})
    status, hidden = api("mine", {"workstream_id": "theirs"})
    assert status == 404
    assert hidden == {"detail": "Workstream 'theirs' not found.", "code": "not_found"}
    assert Session.objects.get(id="mine").workstream_id == SCRATCH_WORKSTREAM_ID
