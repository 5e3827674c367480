"""CompiledQuery runs the ORM's SQL with new values and gives the ORM's Python values."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections

from config.compiled_query import CompiledQuery, CompiledRows
from projects_app.models import Project
from tests.factories import (
    BASE_TIME,
    ProjectFactory,
    UserFactory,
    WorkspaceFactory,
    default_workspace,
)

pytestmark = pytest.mark.django_db

FIELDS = ("id", "workspace_id", "title", "context", "config", "registered_at", "created_at")


def projects_of(*, workspace_id):
    return Project.objects.filter(workspace_id=workspace_id).order_by("-created_at", "id")


def counting(build):
    """The builder, counting how often it is called (once per compiled shape)."""
    calls = []

    def counted(**kwargs):
        calls.append(kwargs)
        return build(**kwargs)

    return counted, calls


@pytest.fixture
def rows_world():
    alpha, beta = WorkspaceFactory(slug="alpha"), WorkspaceFactory(slug="beta")
    for n in range(5):
        ProjectFactory(
            workspace=alpha,
            title=f"alpha {n}",
            context={"tags": [n], "nested": {"ü": None}},
            config=None if n % 2 else {"n": n},
            registered_at=None if n % 2 else BASE_TIME + dt.timedelta(hours=n),
        )
    ProjectFactory(workspace=beta, title="beta 0")
    return alpha, beta


def orm_rows(workspace):
    return list(projects_of(workspace_id=workspace.pk).values_list(*FIELDS))


def test_rows_equal_the_orm_values_with_their_python_types(rows_world):
    alpha, _ = rows_world
    query = CompiledQuery(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list(*FIELDS),
        params={"workspace_id": uuid.UUID},
    )
    rows = query.rows(workspace_id=alpha.pk)
    assert rows == orm_rows(alpha)
    first = rows[0]
    assert isinstance(first[1], uuid.UUID)  # SQLite stores hex text: converted back
    assert isinstance(first[3], dict)  # JSON decoded
    assert first[6].tzinfo is not None  # aware datetimes
    assert [row[5] for row in rows] == [row[5] for row in orm_rows(alpha)]


def test_new_values_reuse_the_statement_compiled_once(rows_world, django_assert_num_queries):
    alpha, beta = rows_world
    build, calls = counting(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list(*FIELDS)
    )
    query = CompiledQuery(build, params={"workspace_id": uuid.UUID})
    expected_alpha, expected_beta = orm_rows(alpha), orm_rows(beta)
    with django_assert_num_queries(3):
        assert query.rows(workspace_id=alpha.pk) == expected_alpha
        assert query.rows(workspace_id=beta.pk) == expected_beta
        assert query.rows(workspace_id=str(uuid.uuid4())) == []  # text is converted too
    assert len(calls) == 2  # one shape: built twice on first use (the stand-in check)


def test_each_shape_is_compiled_once(rows_world):
    alpha, _ = rows_world

    def titled(*, workspace_id, newest_first):
        ordering = ("-created_at", "id") if newest_first else ("created_at", "id")
        return Project.objects.filter(workspace_id=workspace_id).order_by(*ordering)

    build, calls = counting(titled)
    query = CompiledQuery(
        lambda **kw: build(**kw).values_list("title"), params={"workspace_id": uuid.UUID}
    )
    newest = query.rows(workspace_id=alpha.pk, newest_first=True)
    oldest = query.rows(workspace_id=alpha.pk, newest_first=False)
    query.rows(workspace_id=alpha.pk, newest_first=True)
    assert newest == oldest[::-1]
    assert len(calls) == 4  # two shapes, each built twice on first use


def test_str_and_int_parameters(rows_world):
    alpha, _ = rows_world
    member = UserFactory()
    alpha.members.add(member)
    project = Project.objects.filter(workspace=alpha).first()
    query = CompiledQuery(
        lambda *, pk, user_id: (
            Project.objects.filter(pk=pk, workspace__members=user_id)
            .order_by()
            .values_list("title")
        ),
        params={"pk": str, "user_id": int},
    )
    assert query.rows(pk=project.pk, user_id=member.pk) == [(project.title,)]
    assert query.rows(pk=project.pk, user_id=member.pk + 1) == []
    assert query.rows(pk="no such id", user_id=member.pk) == []


def test_limit_offset_page_like_slicing_and_count_counts(rows_world):
    alpha, _ = rows_world
    query = CompiledQuery(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list(*FIELDS),
        params={"workspace_id": uuid.UUID},
    )
    everything = orm_rows(alpha)
    assert query.rows(workspace_id=alpha.pk, limit=2) == everything[:2]
    assert query.rows(workspace_id=alpha.pk, limit=2, offset=2) == everything[2:4]
    assert query.rows(workspace_id=alpha.pk, limit=10, offset=4) == everything[4:]
    assert query.count(workspace_id=alpha.pk) == 5
    assert query.count(workspace_id=uuid.uuid4()) == 0


def test_a_sliced_queryset_keeps_its_slice_and_refuses_another(rows_world):
    alpha, _ = rows_world
    query = CompiledQuery(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list("id")[:1],
        params={"workspace_id": uuid.UUID},
    )
    assert query.rows(workspace_id=alpha.pk) == [orm_rows(alpha)[0][:1]]
    with pytest.raises(ValueError, match="sliced"):
        query.rows(workspace_id=alpha.pk, limit=1)
    with pytest.raises(ValueError, match="unsliced"):
        query.count(workspace_id=alpha.pk)


@pytest.mark.parametrize(
    "build, params",
    [
        # startswith sends 'x%' (escaped): swapping would search for the stand-in.
        (lambda *, prefix: Project.objects.filter(pk__startswith=prefix), {"prefix": str}),
        # icontains wraps it in '%…%' (and on PostgreSQL in UPPER()).
        (lambda *, part: Project.objects.filter(title__icontains=part), {"part": str}),
        # a slice is written into the SQL text.
        (lambda *, n: Project.objects.all()[:n], {"n": int}),
    ],
)
def test_a_value_django_rewrites_is_refused_when_compiling(build, params):
    query = CompiledQuery(lambda **kw: build(**kw).values_list("id"), params=params)
    with pytest.raises(ValueError, match="did not reach the SQL unchanged"):
        query.rows(**{name: kind() if kind is str else 3 for name, kind in params.items()})


def test_a_parameter_the_shape_leaves_out_is_fine(rows_world):
    alpha, _ = rows_world
    query = CompiledQuery(
        lambda *, everyone, workspace_id: (
            (Project.objects.all() if everyone else Project.objects.filter(workspace=workspace_id))
            .order_by("pk")
            .values_list("pk")
        ),
        params={"workspace_id": uuid.UUID},
    )
    assert query.count(everyone=True, workspace_id=alpha.pk) == Project.objects.count()
    assert query.count(everyone=False, workspace_id=alpha.pk) == 5


def test_a_shape_that_matches_nothing_runs_no_query(django_assert_num_queries):
    query = CompiledQuery(
        lambda *, pk: Project.objects.none().filter(pk=pk).values_list("id"),
        params={"pk": str},
    )
    with django_assert_num_queries(0):
        assert query.rows(pk="x") == []
        assert query.count(pk="x") == 0


def test_missing_parameters_and_unsupported_types_are_errors():
    with pytest.raises(TypeError, match="unsupported type"):
        CompiledQuery(
            lambda *, when: Project.objects.filter(created_at=when), params={"when": dt.datetime}
        )
    query = CompiledQuery(lambda *, pk: Project.objects.filter(pk=pk), params={"pk": str})
    with pytest.raises(TypeError, match="Missing parameters"):
        query.rows()


def test_another_thread_compiles_its_own_statement(rows_world):
    alpha, _ = rows_world
    build, calls = counting(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list("title")
    )
    query = CompiledQuery(build, params={"workspace_id": uuid.UUID})
    expected = query.rows(workspace_id=alpha.pk)
    seen = []

    def other_thread():
        # Compiling needs no database; the other thread's connection is its own.
        statement = query._statement((), None, counting=False)
        seen.append(statement.connection is not connection)
        connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [True]
    assert len(calls) == 4  # built (twice) in each thread
    assert query.rows(workspace_id=alpha.pk) == expected


def test_compiled_rows_page_like_a_queryset_for_the_paginator(rows_world):
    alpha, _ = rows_world
    query = CompiledQuery(
        lambda *, workspace_id: projects_of(workspace_id=workspace_id).values_list(*FIELDS),
        params={"workspace_id": uuid.UUID},
    )
    rows = CompiledRows(query, FIELDS, workspace_id=alpha.pk)
    expected = list(projects_of(workspace_id=alpha.pk).values(*FIELDS))
    assert rows[0:2] == expected[:2]
    assert rows[3:50] == expected[3:]
    assert rows[2:2] == []
    assert list(rows) == expected
    assert rows.all().count() == 5
    assert CompiledRows.empty()[0:10] == [] and CompiledRows.empty().count() == 0
    with pytest.raises(TypeError):
        rows[0]


def test_the_default_workspace_has_a_real_uuid_key():
    # The UUID parameter above is compared with a real UUID primary key on both databases.
    assert isinstance(default_workspace().pk, uuid.UUID)
