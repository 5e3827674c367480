"""project_list_rows: project_list's rows, scope and filters, from compiled SQL."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from projects_app.models import Project
from projects_app.selectors import (
    PROJECT_LIST_FIELDS,
    project_list,
    project_list_rows,
    project_list_token,
)
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
    return {
        "alpha": alpha,
        "beta": beta,
        "empty": WorkspaceFactory(slug="empty"),
        "member": member,
        "staff": StaffFactory(),
    }


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


# --- The project list's change token: renewed by every kind of write (SQLite triggers) ---

sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="the change-token triggers exist on SQLite only"
)


def _renews_token(write) -> bool:
    before = project_list_token()
    write()
    after = project_list_token()
    assert after is not None
    return after != before


@sqlite_only
@pytest.mark.parametrize(
    "write",
    [
        lambda w: ProjectFactory(workspace=w["alpha"]),
        lambda w: Project.objects.bulk_create([Project(workspace=w["alpha"], intent="bulk")]),
        lambda w: Project.objects.bulk_create(
            [Project(workspace=w["alpha"], intent="bulk")], ignore_conflicts=True
        ),
        lambda w: Project.objects.filter(workspace=w["alpha"]).update(title="renamed"),
        lambda w: Project.objects.filter(workspace=w["beta"]).delete(),
        lambda w: _project_saved(Project.objects.first()),
        lambda w: w["alpha"].members.add(UserFactory()),
        lambda w: w["alpha"].members.remove(w["member"]),
        lambda w: WorkspaceFactory(slug="delta"),
        lambda w: w["empty"].delete(),
        lambda w: _raw_sql("UPDATE projects_app_project SET intent = 'raw'"),
    ],
    ids=[
        "create", "bulk-create", "bulk-create-or-ignore", "update", "delete", "save",
        "member-added", "member-removed", "workspace-created", "workspace-deleted", "raw-sql",
    ],
)  # fmt: skip
def test_every_write_to_the_rows_the_list_reads_renews_the_token(world, write):
    assert _renews_token(lambda: write(world))


@sqlite_only
def test_writes_elsewhere_leave_the_token(world):
    from tests.factories import SessionFactory

    assert not _renews_token(lambda: SessionFactory(workspace=world["alpha"]))
    assert not _renews_token(lambda: UserFactory())


@sqlite_only
def test_a_rolled_back_write_restores_the_token_with_the_rows(world):
    before = project_list_token()
    with pytest.raises(RuntimeError), transaction.atomic():
        ProjectFactory(workspace=world["alpha"])
        assert project_list_token() != before
        raise RuntimeError("roll back")
    assert project_list_token() == before


def test_the_token_costs_one_query_on_sqlite_and_none_elsewhere(world, django_assert_num_queries):
    on_sqlite = connection.vendor == "sqlite"
    with django_assert_num_queries(1 if on_sqlite else 0):
        token = project_list_token()
    assert (token is not None) == on_sqlite


def _project_saved(project):
    project.title = "saved"
    project.save()


def _raw_sql(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
