"""project_list: the caller's workspaces only, its filters, newest first."""

import pytest
from django.contrib.auth.models import AnonymousUser

from projects_app.models import Project
from projects_app.selectors import project_list
from tests.factories import ProjectFactory, StaffFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    alpha, beta, gamma = (WorkspaceFactory(slug=slug) for slug in ("alpha", "beta", "gamma"))
    member = UserFactory()
    alpha.members.add(member)
    beta.members.add(member)
    for workspace, count in ((alpha, 3), (beta, 2), (gamma, 2)):
        for n in range(count):
            ProjectFactory(
                workspace=workspace,
                status=Project.Status.DRAFT if n % 2 else Project.Status.IN_PROGRESS,
            )
    return {"alpha": alpha, "beta": beta, "member": member, "staff": StaffFactory()}


def test_members_see_their_workspaces_only_and_staff_every_one(world):
    seen = {p.workspace_id for p in project_list(user=world["member"])}
    assert seen == {world["alpha"].pk, world["beta"].pk}
    assert project_list(user=world["staff"]).count() == Project.objects.count()


@pytest.mark.parametrize("who", ["member", "staff"])
def test_filters_and_order(world, who):
    projects = list(
        project_list(user=world[who], workspace_id=world["alpha"].pk, status="in_progress")
    )
    assert {(p.workspace_id, p.status) for p in projects} == {(world["alpha"].pk, "in_progress")}
    assert len(projects) == 2
    everything = list(project_list(user=world[who]))
    assert everything == sorted(everything, key=lambda p: (-p.created_at.timestamp(), p.pk))


def test_anonymous_and_inactive_users_see_nothing(world, django_assert_num_queries):
    inactive = world["member"]
    inactive.is_active = False
    with django_assert_num_queries(0):
        for user in (None, AnonymousUser(), inactive):
            assert list(project_list(user=user)) == []
