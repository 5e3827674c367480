"""/execution/<session_id>/ — TokenDance's old route redirects to the project page."""

import pytest
from django.urls import reverse

from migration_app.dispatch import migration_run_dispatch
from migration_app.services.session_to_project import KIND
from tests.factories import SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_redirects_a_migrated_session_to_its_project_page(staff_client):
    session = SessionFactory()
    migration_run_dispatch(kind=KIND, session_ids=[session.id])
    session.refresh_from_db()
    response = staff_client.get(f"/execution/{session.id}/")
    assert response.status_code == 302
    assert response.url == reverse("admin:projects_app_project_change", args=[session.project_id])
    assert staff_client.get(response.url).status_code == 200


def test_not_migrated_or_unknown_is_404(staff_client):
    session = SessionFactory()
    assert staff_client.get(f"/execution/{session.id}/").status_code == 404
    assert staff_client.get("/execution/nope/").status_code == 404


def test_anonymous_and_non_staff_users_go_to_the_login_page(client):
    session = SessionFactory()
    migration_run_dispatch(kind=KIND, session_ids=[session.id])
    response = client.get(f"/execution/{session.id}/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    client.force_login(UserFactory(is_staff=False))
    assert client.get(f"/execution/{session.id}/").url.startswith(reverse("admin:login"))
