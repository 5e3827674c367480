"""The "Attach to workstream" admin action, and the workstream changelist's usage columns."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from migration_app.models import MigrationRun
from sessions_app import files
from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session
from tests.factories import UserFactory
from tests.migration_app.attach_helpers import named_workstream, scratch_session, tree_digest

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/sessions_app/session/"


def action_post(client, ids, **extra):
    data = {"action": "attach_to_workstream", "_selected_action": ids, **extra}
    return client.post(CHANGELIST, data)


@pytest.fixture
def two_sessions(data_dir):
    named_workstream("my-blog")
    scratch_session("s1", {"a.txt": b"12345", "d/b.txt": b"678"})
    scratch_session("s2", {"c.txt": b"9"})


def test_the_first_step_asks_for_the_workstream_and_changes_nothing(staff_client, two_sessions):
    response = action_post(staff_client, ["s1", "s2"])
    assert response.status_code == 200
    assert b'name="workstream"' in response.content and b"my-blog" in response.content
    assert b'value="scratch"' not in response.content  # scratch is not a target
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {SCRATCH_WORKSTREAM_ID}


def test_the_preview_shows_files_bytes_and_clashes_and_changes_nothing(
    staff_client, two_sessions, data_dir
):
    dest = files.attached_session_work_dir("my-blog", "s2")
    dest.mkdir(parents=True)
    (dest / "c.txt").write_bytes(b"taken")
    before = tree_digest(data_dir / "workstreams")
    response = action_post(staff_client, ["s1", "s2"], workstream="my-blog", preview="yes")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>1</strong> move their files from scratch" in page
    assert "<strong>1</strong> are refused" in page
    assert "2 files in 2 top-level entries, 8\xa0bytes; 1 refused" in page
    assert "workstreams/my-blog/work/s2/c.txt" in page
    assert 'value="Attach 1 session to my-blog and move the files of 1; 1 refused"' in page
    assert tree_digest(data_dir / "workstreams") == before
    assert not MigrationRun.objects.exists()


def test_the_preview_refuses_what_the_run_refuses_and_names_each_workspace(
    staff_client, two_sessions
):
    from tests.factories import WorkspaceFactory

    scratch_session("foreign", {"x": b"1"}, workspace=WorkspaceFactory(slug="elsewhere"))
    form = action_post(staff_client, ["s1", "foreign"]).content.decode()
    assert "my-blog (workspace default)" in form
    page = action_post(
        staff_client, ["s1", "foreign"], workstream="my-blog", preview="yes"
    ).content.decode()
    assert "<strong>1</strong> are refused" in page
    refused = page.split('class="attach-row action-refuse"')[1].split("</tr>")[0]
    assert "foreign" in refused and "belongs to another workspace" in refused
    run_response = action_post(staff_client, ["s1", "foreign"], workstream="my-blog", post="yes")
    run = MigrationRun.objects.get()
    assert run_response.status_code == 302
    assert run.items.get(subject_id="foreign").outcome == "failed"
    assert run.items.get(subject_id="s1", subject_type="session").outcome == "migrated"


def test_the_preview_counts_a_selection_larger_than_its_sample(
    staff_client, two_sessions, monkeypatch
):
    from tests.factories import WorkspaceFactory

    for n in range(5):
        scratch_session(f"more-{n}", {"f": b"1"})
    scratch_session("foreign", {"x": b"1"}, workspace=WorkspaceFactory(slug="elsewhere"))
    ids = ["s1", "s2", "foreign", *(f"more-{n}" for n in range(5))]
    from migration_app.admin import attach_workstream as admin_module

    monkeypatch.setattr(admin_module, "PREVIEW_ROWS", 3)
    page = action_post(staff_client, ids, workstream="my-blog", preview="yes").content.decode()
    assert "8 sessions selected" in page
    assert "<strong>7</strong> move their files from scratch" in page
    assert "<strong>1</strong> are refused" in page
    assert "The first 3 of 8 are planned below" in page
    assert page.count('class="attach-row') == 3


def test_confirming_runs_the_attach_and_shows_the_run_page(staff_client, two_sessions):
    response = action_post(staff_client, ["s1", "s2"], workstream="my-blog", post="yes")
    run = MigrationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:migration_app_migrationrun_change", args=[run.pk])
    assert run.origin == "admin" and run.actor == "staff" and run.status == "succeeded"
    assert run.counts["files"] == 3 and run.counts["sessions_attached"] == 2
    assert set(Session.objects.values_list("workstream_id", flat=True)) == {"my-blog"}
    page = staff_client.get(response["Location"]).content.decode()
    assert "Attached 2 sessions to my-blog (3 files, 9 bytes)" in page
    assert "s1/a.txt" in page  # the entry items are listed on the run page


def test_a_large_selection_runs_as_a_background_task(
    staff_client, two_sessions, settings, django_capture_on_commit_callbacks
):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = action_post(staff_client, ["s1", "s2"], workstream="my-blog", post="yes")
    assert len(callbacks) == 1
    run = MigrationRun.objects.get()
    assert response["Location"].endswith(f"/{run.pk}/change/")
    run.refresh_from_db()
    assert run.status == "succeeded" and run.counts["sessions_attached"] == 2


def test_without_change_permission_the_action_is_absent_and_a_crafted_post_does_nothing(
    client, two_sessions
):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_session", content_type__app_label="sessions_app")
    )
    client.force_login(viewer)
    page = client.get(CHANGELIST).content.decode()
    assert "attach_to_workstream" not in page
    action_post(client, ["s1"], workstream="my-blog", post="yes")
    assert Session.objects.get(id="s1").workstream_id == SCRATCH_WORKSTREAM_ID
    assert not MigrationRun.objects.exists()


def test_the_workstream_list_shows_sessions_files_and_bytes_without_a_query_per_row(
    staff_client, two_sessions
):
    staff_client.post(CHANGELIST, {"action": "attach_to_workstream", "_selected_action": ["s1"],
                                   "workstream": "my-blog", "post": "yes"})  # fmt: skip
    url = "/admin/sessions_app/workstream/"
    response = staff_client.get(url)
    rows = {
        tr.split("</th>")[0].rsplit(">", 2)[-2].split("<")[0]: tr
        for tr in response.content.decode().split("<tr")[2:]
    }
    assert any("my-blog" in key for key in rows)
    blog_row = next(tr for key, tr in rows.items() if "my-blog" in key)
    assert 'field-session_count">1<' in blog_row and 'field-file_count">2<' in blog_row
    assert "8\xa0bytes" in blog_row
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for i in range(5):
        named_workstream(f"more-{i}")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
