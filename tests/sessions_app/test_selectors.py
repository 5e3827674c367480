import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.urls import reverse

from sessions_app.models import Session
from sessions_app.selectors import session_get_by_prefix, session_search_qualified
from tests.factories import (
    BASE_TIME,
    SessionFactory,
    StaffFactory,
    UserFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "term, expected",
    [
        ("id:abc", {"abc-1", "abc-2"}),
        ("  ID: abc-1 ", {"abc-1"}),
        ("task:md#123", {"abc-1", "abc-2"}),  # plain and qualified stored forms
        ("task:123", {"abc-1", "abc-2"}),  # a bare number is the legacy md# task
        ("task:mt#123", {"abc-1"}),
        ("issue:42", {"xyz"}),
        ("id:ABC", set()),  # ids are case-sensitive, on SQLite too
    ],
)
def test_qualified_search_filters_one_field(term, expected):
    SessionFactory(id="abc-1", task_id="123")
    SessionFactory(id="abc-2", task_id="md#123")
    SessionFactory(id="xyz", issue_id="42", title="abc mentioned in the title")
    result = session_search_qualified(queryset=Session.objects.all(), term=term)
    assert set(result.values_list("id", flat=True)) == expected


@pytest.mark.parametrize("term", ["abc", "fix: login", "id:", "task: ", ""])
def test_other_terms_are_not_qualified(term):
    assert session_search_qualified(queryset=Session.objects.all(), term=term) is None


def test_changelist_qualified_and_plain_search(staff_client):
    SessionFactory(id="abc-1")
    SessionFactory(id="xyz", title="about abc")
    url = reverse("admin:sessions_app_session_changelist")
    qualified = staff_client.get(url, {"q": "id:abc"}).context["cl"]
    assert [s.id for s in qualified.result_list] == ["abc-1"]
    plain = staff_client.get(url, {"q": "abc"}).context["cl"]
    assert {s.id for s in plain.result_list} == {"abc-1", "xyz"}


def test_qualified_id_search_uses_the_primary_key_index():
    SessionFactory(id="abc-1")
    result = session_search_qualified(queryset=Session.objects.all(), term="id:ab")
    assert [s.id for s in result] == ["abc-1"]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL: test_paginators checks the plan on an analyzed large table")
    plan = result.explain()
    assert "USING INDEX sqlite_autoindex_sessions_app_session" in plan, plan


# --- session_get_by_prefix: the exact id comes from a compiled query ----------------------


@pytest.fixture
def scoped_sessions():
    alpha, beta = WorkspaceFactory(slug="alpha"), WorkspaceFactory(slug="beta")
    member = UserFactory()
    alpha.members.add(member)
    mine = SessionFactory(
        id="abc", workspace=alpha, metadata={"k": [1, "ü"]}, archived_at=BASE_TIME
    )
    SessionFactory(id="abcdef", workspace=alpha)
    theirs = SessionFactory(id="xyz", workspace=beta)
    return {"member": member, "staff": StaffFactory(), "mine": mine, "theirs": theirs}


def test_exact_id_gives_the_session_as_the_orm_loads_it(scoped_sessions):
    found = session_get_by_prefix(user=scoped_sessions["member"], id_or_prefix="abc")
    stored = Session.objects.get(pk="abc")
    names = [field.attname for field in Session._meta.concrete_fields]
    assert [getattr(found, name) for name in names] == [getattr(stored, name) for name in names]
    assert found.metadata == {"k": [1, "ü"]} and found.archived_at.tzinfo is not None
    assert found._state.adding is False and found._state.db == "default"


def test_exact_id_respects_the_workspace_scope(scoped_sessions):
    member, staff = scoped_sessions["member"], scoped_sessions["staff"]
    with pytest.raises(Session.DoesNotExist):
        session_get_by_prefix(user=member, id_or_prefix="xyz")
    assert session_get_by_prefix(user=staff, id_or_prefix="xyz").pk == "xyz"
    member.is_active = False
    with pytest.raises(Session.DoesNotExist):
        session_get_by_prefix(user=member, id_or_prefix="abc")
    with pytest.raises(Session.DoesNotExist):
        session_get_by_prefix(user=AnonymousUser(), id_or_prefix="abc")


def test_an_exact_hit_is_one_query(scoped_sessions, django_assert_num_queries):
    member = scoped_sessions["member"]
    session_get_by_prefix(user=member, id_or_prefix="abc")  # compiled on first use
    with django_assert_num_queries(1):
        assert session_get_by_prefix(user=member, id_or_prefix="abc").pk == "abc"
    # A prefix still follows the exact lookup (the ao-rs rule), unchanged.
    assert session_get_by_prefix(user=member, id_or_prefix="abcd").pk == "abcdef"
