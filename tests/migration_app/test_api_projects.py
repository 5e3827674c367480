"""POST /api/v1/sessions/{id}/migrate-to-project."""

import pytest

from migration_app.models import MigrationRun
from projects_app.models import Project
from projects_app.services import api_key_create
from sessions_app.models import Session
from tests.factories import (
    ConversationFactory,
    MessageFactory,
    SessionFactory,
    UserFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory()
    workspace = WorkspaceFactory(slug="team")
    workspace.members.add(user)
    _, secret = api_key_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "workspace": workspace}


def url(session_id, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/sessions/{session_id}/migrate-to-project" + (f"?{q}" if q else "")


def post(client, member, path):
    return client.post(path, HTTP_AUTHORIZATION=member["HTTP_AUTHORIZATION"])


def test_migrates_and_returns_the_project(client, member):
    conversation = ConversationFactory(workspace=member["workspace"])
    session = SessionFactory(
        workspace=member["workspace"], conversation=conversation, title="Code review"
    )
    MessageFactory(conversation=conversation, content="Review my PR")
    response = post(client, member, url(session.id))
    assert response.status_code == 200, response.content
    body = response.json()
    session.refresh_from_db()
    assert body["outcome"] == "migrated"
    assert body["project"]["id"] == session.project_id
    assert body["project"]["project_type"] == "code"
    assert body["project"]["intent"] == "Review my PR"
    assert body["project"]["conversation_id"] == str(conversation.pk)
    assert body["messages_relinked"] == 1
    assert MigrationRun.objects.get(pk=body["run_id"]).origin == "api"

    again = post(client, member, url(session.id))
    assert again.status_code == 200
    assert again.json()["outcome"] == "skipped"
    assert again.json()["project"]["id"] == session.project_id
    assert Project.objects.count() == 1


def test_dry_run_returns_the_plan_and_changes_nothing(client, member):
    session = SessionFactory(workspace=member["workspace"], title="季度幻灯片", status="PENDING")
    response = post(client, member, url(session.id, dry_run="true"))
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["project"]["id"] is None
    assert body["project"]["project_type"] == "slides"
    assert body["project"]["status"] == "draft"
    assert body["project"]["title"] == "季度幻灯片"
    assert Session.objects.get(pk=session.id).project_id is None
    assert not Project.objects.exists()


def test_other_workspaces_and_unknown_sessions_are_404(client, member):
    foreign = SessionFactory()  # default workspace: the member does not belong to it
    for session_id in (foreign.id, "no-such-session"):
        response = post(client, member, url(session_id))
        assert response.status_code == 404
        # Another workspace's session reads like a missing one: the id asked for, no more.
        detail = f"Session '{session_id}' not found."
        assert response.json() == {"detail": detail, "code": "not_found"}
    assert Session.objects.get(pk=foreign.id).project_id is None


def test_malformed_session_is_a_400_with_the_reason(client, member):
    conversation = ConversationFactory(workspace=member["workspace"])
    session = SessionFactory(workspace=member["workspace"], conversation=conversation)
    MessageFactory(conversation=conversation, tool_calls="oops")
    response = post(client, member, url(session.id))
    assert response.status_code == 400
    assert "tool_calls is a str" in response.json()["detail"]
    assert response.json()["code"] == "migration_refused"


def test_requires_authentication(client):
    session = SessionFactory()
    assert client.post(url(session.id)).status_code == 401


def test_openapi_lists_the_endpoint_with_its_dry_run_flag():
    from config.api import api

    schema = api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/sessions/{session_id}/migrate-to-project"]["post"]
    assert {p["name"] for p in operation["parameters"]} == {"session_id", "dry_run"}
