"""GET /api/v1/projects from Django's cache (projects_app/list_cache.py): a page is read
from the database once per version, and every writer of projects, workspaces and
memberships renews the version, in this process and in others."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects_app.list_cache import VERSION_KEY
from projects_app.models import Project
from tests.api_support import ApiCaller
from tests.factories import (
    ConversationFactory,
    ProjectFactory,
    SessionFactory,
    UserFactory,
    WorkspaceFactory,
    api_key_for,
)
from tests.processes import manage_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory(username="carol")
    workspace = WorkspaceFactory(slug="gamma")
    workspace.members.add(user)
    return ApiCaller(api_key_for(user)), workspace


def _titles(caller, **params) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = caller.get(f"/api/v1/projects?{query}")
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["items"])


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A block whose on-commit callbacks run at its end, as at a real commit (the test's
    own transaction is rolled back, never committed)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_page_is_read_from_the_database_once_per_version(file_cache, member, committed):
    caller, workspace = member
    with committed():
        ProjectFactory(workspace=workspace, title="One")
    first = caller.get("/api/v1/projects").json()
    with CaptureQueriesContext(connection) as queries:
        again = caller.get("/api/v1/projects").json()
    assert again == first and [i["title"] for i in again["items"]] == ["One"]
    # The key check only: no page, no count.
    assert not [q for q in queries.captured_queries if "projects_app_project" in q["sql"]]
    assert len(queries.captured_queries) == 1


def test_each_page_and_filter_is_its_own_entry(file_cache, member, committed):
    caller, workspace = member
    with committed():
        for n in range(3):
            ProjectFactory(workspace=workspace, title=f"P{n}", status="active")
        ProjectFactory(workspace=workspace, title="Old", status="archived")
    assert _titles(caller) == ["Old", "P0", "P1", "P2"]
    assert _titles(caller, status="archived") == ["Old"]
    assert len(_titles(caller, limit=2)) == 2
    assert len(_titles(caller, limit=2, offset=2)) == 2


def test_every_writer_renews_the_version(file_cache, member, committed):
    caller, workspace = member
    assert _titles(caller) == []
    # The API's own service.
    body = {"workspace_id": str(workspace.pk), "intent": "Ship it", "title": "Created"}
    with committed():
        assert caller.post("/api/v1/projects", body).status_code == 201
    assert _titles(caller) == ["Created"]
    # A save of one row (the admin, any service).
    project = Project.objects.get(title="Created")
    with committed():
        project.title = "Renamed"
        project.save()
    assert _titles(caller) == ["Renamed"]
    # A queryset's delete.
    with committed():
        Project.objects.filter(pk=project.pk).delete()
    assert _titles(caller) == []
    # Membership: another workspace's projects come and go with it.
    other = WorkspaceFactory(slug="delta")
    with committed():
        ProjectFactory(workspace=other, title="Theirs")
    assert _titles(caller) == []
    user = workspace.members.get()
    with committed():
        other.members.add(user)
    assert _titles(caller) == ["Theirs"]
    with committed():
        other.members.remove(user)
    assert _titles(caller) == []


def test_the_version_is_renewed_when_the_transaction_commits(file_cache, member):
    _, workspace = member
    file_cache.set(VERSION_KEY, "before", None)
    with transaction.atomic():
        ProjectFactory(workspace=workspace)
        assert file_cache.get(VERSION_KEY) == "before"  # not yet: a reader still sees the old rows


def test_staff_and_members_have_their_own_pages(file_cache, member, committed):
    caller, workspace = member
    with committed():
        ProjectFactory(workspace=workspace, title="Ours")
        ProjectFactory(workspace=WorkspaceFactory(slug="epsilon"), title="Elsewhere")
    assert _titles(caller) == ["Ours"]
    user = workspace.members.get()
    user.is_staff = True
    user.save()
    assert _titles(caller) == ["Elsewhere", "Ours"]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_writer_in_another_process_renews_the_version(file_cache, data_dir):
    user = UserFactory(username="dave")
    workspace = WorkspaceFactory(slug="zeta")
    workspace.members.add(user)
    caller = ApiCaller(api_key_for(user))
    SessionFactory(workspace=workspace, conversation=ConversationFactory(workspace=workspace),
                   title="From a session")  # fmt: skip
    assert _titles(caller) == []
    # migrate_sessions_to_projects writes its projects with bulk_create, in its own process.
    done = manage_run("migrate_sessions_to_projects", data_dir=data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(_titles(caller)) == 1
