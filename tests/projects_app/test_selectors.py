"""project_list_rows: project_list's rows, scope and filters, from compiled SQL."""

import pytest
from django.contrib.auth.models import AnonymousUser

from projects_app.models import Project
from projects_app.selectors import PROJECT_LIST_FIELDS, project_list, project_list_rows
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
                context={"tags": [workspace.slug, n]},
                config={"n": n} if n else None,
            )
    return {"alpha": alpha, "beta": beta, "member": member, "staff": StaffFactory()}


def expected(**kwargs):
    return list(project_list(**kwargs).values(*PROJECT_LIST_FIELDS))


@pytest.mark.parametrize("who", ["member", "staff"])
@pytest.mark.parametrize("workspace", [None, "alpha", "beta"])
@pytest.mark.parametrize("status", [None, "", "draft", "in_progress"])
def test_rows_and_count_equal_project_list(world, who, workspace, status):
    user = world[who]
    workspace_id = world[workspace].pk if workspace else None
    rows = project_list_rows(user=user, workspace_id=workspace_id, status=status)
    want = expected(user=user, workspace_id=workspace_id, status=status)
    assert rows[0:500] == want
    assert rows[1:3] == want[1:3]
    assert rows.count() == len(want)
    assert [list(row) for row in rows[0:500]] == [list(PROJECT_LIST_FIELDS)] * len(want)


def test_members_see_their_workspaces_only(world):
    seen = {row["workspace_id"] for row in project_list_rows(user=world["member"])[0:100]}
    assert seen == {world["alpha"].pk, world["beta"].pk}
    assert project_list_rows(user=world["staff"]).count() == Project.objects.count()


def test_anonymous_and_inactive_users_see_nothing(world, django_assert_num_queries):
    inactive = world["member"]
    inactive.is_active = False
    with django_assert_num_queries(0):
        for user in (None, AnonymousUser(), inactive):
            rows = project_list_rows(user=user)
            assert rows[0:50] == [] and rows.count() == 0


def test_a_page_and_its_count_are_two_queries(world, django_assert_num_queries):
    project_list_rows(user=world["member"])[0:50]  # compiled on first use
    with django_assert_num_queries(2):
        rows = project_list_rows(user=world["member"])
        rows[0:50]
        rows.count()


def test_the_fields_are_the_list_schemas_in_its_order():
    # The API renders these dicts as ProjectOut would (config/pagination.py).
    from projects_app.schemas import ProjectOut

    assert tuple(ProjectOut.model_fields) == PROJECT_LIST_FIELDS
