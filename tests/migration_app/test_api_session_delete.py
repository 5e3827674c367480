"""DELETE /api/v1/sessions/{id}: staff delete a session through the journal; the answer is
the run, and undoing the run brings the session back."""

import pytest

from migration_app.models import MigrationRun
from sessions_app.models import Session

pytestmark = pytest.mark.django_db


def test_staff_delete_is_a_journaled_run_that_undo_reverts(api_world):
    session_id = api_world.ids["session_id"]
    before = Session.objects.filter(pk=session_id).values().get()
    response = api_world.staff.request("DELETE", f"/api/v1/sessions/{session_id}")
    assert response.status_code == 200, response.content
    run = response.json()
    assert (run["kind"], run["status"], run["origin"]) == ("session_delete", "succeeded", "api")
    assert run["counts"]["migrated"] == 1 and run["actor"] == "root"
    assert api_world.staff.get(f"/api/v1/sessions/{session_id}").status_code == 404

    undo = api_world.staff.post(f"/api/v1/migrations/{run['id']}/undo")
    assert undo.status_code == 200 and undo.json()["status"] == "undone"
    assert Session.objects.filter(pk=session_id).values().get() == before
    assert api_world.member.get(f"/api/v1/sessions/{session_id}").status_code == 200


def test_a_dry_run_deletes_nothing(api_world):
    session_id = api_world.ids["session_id"]
    response = api_world.staff.request("DELETE", f"/api/v1/sessions/{session_id}?dry_run=true")
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert response.json()["counts"]["migrated"] == 1
    assert Session.objects.filter(pk=session_id).exists()


def test_a_member_may_not_delete_and_a_non_member_is_not_told_it_exists(api_world):
    path = f"/api/v1/sessions/{api_world.ids['session_id']}"
    member = api_world.member.request("DELETE", path)
    assert member.status_code == 403
    assert member.json() == {"detail": "Only staff may delete sessions.", "code": "forbidden"}
    nonmember = api_world.nonmember.request("DELETE", path)
    assert nonmember.status_code == 404
    assert Session.objects.filter(pk=api_world.ids["session_id"]).exists()
    assert not MigrationRun.objects.filter(kind=MigrationRun.Kind.SESSION_DELETE).exists()


def test_deleting_a_missing_session_is_404_naming_it(api_world):
    response = api_world.staff.request("DELETE", "/api/v1/sessions/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "Session 'nope' not found."
