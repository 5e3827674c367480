"""GET /api/v1/projects/{id}/sessions?archived=: a project's sessions newest first (the ao-rs
store's list_for_project / list_archived)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api_support import item_ids, list_query_counts
from tests.factories import ProjectFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_sessions(api_world):
    project = api_world.objects["project"]
    now = timezone.now()
    made = {}
    for name, age, archived in [("old", 3, False), ("mid", 2, True), ("new", 1, False)]:
        made[name] = SessionFactory(
            id=f"ps-{name}",
            workspace=project.workspace,
            project=project,
            created_at=now - timedelta(days=age),
            archived_at=now if archived else None,
            status="archived" if archived else "running",
        )
    SessionFactory(id="ps-elsewhere", workspace=project.workspace, project=ProjectFactory(
        workspace=project.workspace))  # fmt: skip
    return project


def ids_in_order(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_a_projects_sessions_newest_first(api_world, project_sessions):
    response = api_world.member.get(f"/api/v1/projects/{project_sessions.pk}/sessions")
    assert ids_in_order(response) == ["ps-new", "ps-mid", "ps-old"]
    assert response.json()["count"] == 3


@pytest.mark.parametrize(
    "archived,expected", [("true", ["ps-mid"]), ("false", ["ps-new", "ps-old"])]
)
def test_the_archived_filter(api_world, project_sessions, archived, expected):
    path = f"/api/v1/projects/{project_sessions.pk}/sessions?archived={archived}"
    assert ids_in_order(api_world.member.get(path)) == expected


def test_another_workspaces_project_is_404(api_world, project_sessions):
    response = api_world.nonmember.get(f"/api/v1/projects/{project_sessions.pk}/sessions")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Project '{project_sessions.pk}' not found."
    assert "ps-new" not in item_ids(api_world.staff.get(
        f"/api/v1/projects/{ProjectFactory().pk}/sessions"))  # fmt: skip


def test_a_constant_number_of_queries_per_page(api_world, project_sessions):
    counts = list_query_counts(api_world.member, f"/api/v1/projects/{project_sessions.pk}/sessions")
    assert counts[0] == counts[1]
