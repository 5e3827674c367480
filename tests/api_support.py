"""Fixtures and helpers shared by the API tests (loaded from tests/conftest.py).

`api_world` builds two workspaces with one row of every kind in workspace "alpha" and
callers for each role of the isolation matrix: a member of alpha, a member of beta only
(non-member), staff, a revoked key of the member, and no key at all.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from migration_app.models import MigrationRun
from projects_app.models import ApiKey, Message
from projects_app.services import api_key_revoke
from tests.factories import (
    ArtifactFactory,
    ConversationFactory,
    MessageFactory,
    MigrationItemFactory,
    MigrationRunFactory,
    ProjectFactory,
    SessionFactory,
    StaffFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
    WorkstreamFactory,
    api_key_for,
)


class ApiCaller:
    """A Django test client (full middleware stack) that sends one bearer key, or none."""

    def __init__(self, secret: str | None = None, client: Client | None = None):
        self.secret = secret
        self.client = client or Client()

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        all_headers = dict(headers or {})
        if self.secret is not None:
            all_headers["Authorization"] = f"Bearer {self.secret}"
        kwargs = {"headers": all_headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body if body is not None else {}, **kw)


def project_url(world, suffix=""):
    return f"/api/v1/projects/{world.ids['project_id']}{suffix}"


def project_reply_url(world):
    return project_url(world, f"/conversations/{world.ids['conversation_id']}/messages")


def item_ids(response) -> set[str]:
    return {str(item["id"]) for item in response.json()["items"]}


ARTIFACT_TEXT = "Market share: Acme 40%, Globex 25%."


@dataclass
class ApiWorld:
    ids: dict[str, str] = field(default_factory=dict)
    callers: dict[str, ApiCaller] = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["callers"][name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def api_world(db, monkeypatch, data_dir) -> ApiWorld:
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    root = StaffFactory(username="root")
    alpha = WorkspaceFactory(slug="alpha", name="Alpha")
    beta = WorkspaceFactory(slug="beta", name="Beta")
    alpha.members.add(alice)
    beta.members.add(bob)

    project = ProjectFactory(workspace=alpha, intent="Analyze competitor market share")
    conversation = ConversationFactory(workspace=alpha, project=project)
    message = MessageFactory(conversation=conversation, content="hello")
    artifact = ArtifactFactory(project=project, content=ARTIFACT_TEXT)
    session_conversation = ConversationFactory(workspace=alpha)
    MessageFactory(conversation=session_conversation, role=Message.Role.ASSISTANT)
    session = SessionFactory(
        id="alpha-session-1",
        workspace=alpha,
        issue_id="ISSUE-7",
        task_id="md#7",
        conversation=session_conversation,
    )
    UsageRecordFactory(session=session)
    workstream = WorkstreamFactory(id="alpha-stream", workspace=alpha)
    run = MigrationRunFactory(
        kind=MigrationRun.Kind.LEGACY_IMPORT,
        status=MigrationRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
    )
    MigrationItemFactory(run=run)

    # The matrix needs an undo that succeeds whatever the run holds.
    from migration_app.services.journal import UndoResult
    from tests.factories import undo_replaced

    undo_replaced(monkeypatch, MigrationRun.Kind.LEGACY_IMPORT, lambda run: UndoResult())

    revoked_secret = api_key_for(alice, name="old key")
    api_key_revoke(key=ApiKey.objects.get(name="old key"))
    return ApiWorld(
        ids={
            "workspace_id": str(alpha.pk),
            "other_workspace_id": str(beta.pk),
            "project_id": project.pk,
            "conversation_id": str(conversation.pk),
            "message_id": str(message.pk),
            "artifact_id": str(artifact.pk),
            "session_id": session.pk,
            "issue_id": session.issue_id,
            "workstream_id": workstream.pk,
            "run_id": str(run.pk),
        },
        callers={
            "member": ApiCaller(api_key_for(alice)),
            "nonmember": ApiCaller(api_key_for(bob)),
            "staff": ApiCaller(api_key_for(root)),
            "revoked": ApiCaller(revoked_secret),
            "anonymous": ApiCaller(None),
        },
        objects={
            "alice": alice,
            "bob": bob,
            "root": root,
            "alpha": alpha,
            "beta": beta,
            "project": project,
            "conversation": conversation,
            "artifact": artifact,
            "session": session,
            "workstream": workstream,
            "run": run,
        },
    )


def list_query_counts(caller: ApiCaller, path: str, sizes=(2, 30)) -> list[int]:
    """Queries of one list request per page size (after a warm-up request, so the key's
    first-use write of last_used_at is not counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sep = "&" if "?" in path else "?"
    assert caller.get(path).status_code == 200
    counts = []
    for size in sizes:
        with CaptureQueriesContext(connection) as captured:
            response = caller.get(f"{path}{sep}limit={size}")
        assert response.status_code == 200
        assert len(response.json()["items"]) == min(size, response.json()["count"])
        counts.append(len(captured))
    return counts
