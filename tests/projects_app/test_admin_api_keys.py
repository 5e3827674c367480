"""API keys end to end: created in the admin, secret shown once, used, revoked."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from projects_app.models import ApiKey
from tests.api_support import ApiCaller
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def create_key_in_admin(staff_client, user) -> str:
    response = staff_client.post(
        reverse("admin:projects_app_apikey_add"), {"name": "ci", "user": user.pk}
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    # The full secret (43 url-safe characters after the marker), not the 12-character prefix.
    secrets = [m for text in texts for m in re.findall(r"shk_[A-Za-z0-9_-]{40,}", text)]
    assert len(secrets) == 1
    return secrets[0]


def test_key_created_in_admin_works_and_only_its_hash_is_stored(staff_client):
    user = UserFactory(username="erin")
    secret = create_key_in_admin(staff_client, user)
    key = ApiKey.objects.get(user=user)
    assert secret not in (key.key_hash, key.prefix) and key.prefix == secret[:12]
    assert ApiCaller(secret).get("/api/v1/projects").status_code == 200
    # Shown once: the page after the redirect shows the message, later pages never again.
    shown = staff_client.get(reverse("admin:projects_app_apikey_changelist"))
    assert secret.encode() in shown.content
    page = staff_client.get(reverse("admin:projects_app_apikey_change", args=[key.pk]))
    assert secret.encode() not in page.content
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_key_revoked_in_admin_stops_working(staff_client):
    user = UserFactory(username="frank")
    secret = create_key_in_admin(staff_client, user)
    caller = ApiCaller(secret)
    assert caller.get("/api/v1/projects").status_code == 200
    key = ApiKey.objects.get(user=user)
    response = staff_client.post(
        reverse("admin:projects_app_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [key.pk]},
    )
    assert response.status_code == 302
    assert caller.get("/api/v1/projects").status_code == 401
