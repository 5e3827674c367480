import pytest
from django.db import connection
from django.urls import reverse

from sessions_app.models import Session
from sessions_app.selectors import session_search_qualified
from tests.factories import SessionFactory

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
