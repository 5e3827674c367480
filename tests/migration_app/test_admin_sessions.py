"""The session changelist as migration_app extends it: the word the origin showed, and a
filter by it (issue 13: an idle ao session whose PR merged shows `merged`)."""

import pytest
from django.urls import reverse

from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_origins_word_and_filters_by_it(staff_client):
    SessionFactory(id="merged-1", status="running", activity_state="idle", legacy_status="merged")
    SessionFactory(id="plain-1", status="running", activity_state="active", legacy_status="running")
    url = reverse("admin:sessions_app_session_changelist")

    page = staff_client.get(url).content.decode()
    assert "running · idle (merged)" in page
    assert "running · active (running)" not in page  # the same word is not repeated
    assert "?legacy_status=ci_failed" in page  # a fixed list of the origins' words

    filtered = staff_client.get(url, {"legacy_status": "merged"}).content.decode()
    assert "merged-1" in filtered and "plain-1" not in filtered
