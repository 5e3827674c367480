"""The "Migrate to project" action: visibility, preview, confirm, background above the limit."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from migration_app.models import MigrationRun
from projects_app.models import Project
from sessions_app.models import Session
from tests.factories import (
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:sessions_app_session_changelist")


def action_post(client, ids, **extra):
    data = {"action": "migrate_to_project", "_selected_action": ids, **extra}
    return client.post(CHANGELIST, data)


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_action_is_listed_for_a_superuser(staff_client):
    SessionFactory()
    assert 'value="migrate_to_project"' in staff_client.get(CHANGELIST).content.decode()


@pytest.mark.parametrize(
    "codenames",
    [("view_session", "change_session"), ("view_session", "add_project")],
)
def test_action_hidden_and_refused_without_both_permissions(client, codenames):
    session = SessionFactory()
    client.force_login(staff_with(*codenames))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert 'value="migrate_to_project"' not in page.content.decode()
    response = action_post(client, [session.id], post="yes")
    # Django refuses an action the user may not run: the changelist again, nothing done.
    assert response.status_code in (200, 302)
    assert b"Migrate sessions to projects" not in response.content
    assert Session.objects.get(pk=session.id).project_id is None
    assert not MigrationRun.objects.exists()


def test_action_shown_with_both_permissions(client):
    SessionFactory()
    client.force_login(staff_with("view_session", "change_session", "add_project"))
    assert 'value="migrate_to_project"' in client.get(CHANGELIST).content.decode()


def test_preview_lists_projects_and_skips_and_changes_nothing(staff_client):
    conversation = ConversationFactory()
    good = SessionFactory(conversation=conversation, title="调研 competitors", status="failed")
    MessageFactory(conversation=conversation, content="Analyze competitor market share")
    MessageFactory(
        conversation=conversation,
        role="assistant",
        tool_calls=[{"name": "web_search", "status": "error", "error": "timeout"}],
    )
    done = SessionFactory(project=ProjectFactory())
    response = action_post(staff_client, [good.id, done.id])
    assert response.status_code == 200
    html = response.content.decode()
    assert "调研 competitors" in html
    row = html[html.index('class="plan-row"') :].split("</tr>")[0]
    for cell in (good.id, "research", "in_progress", "Analyze competitor market share"):
        assert f"<td>{cell}</td>" in row
    assert "<td>2</td><td>0</td><td>1</td>" in row  # messages, artifacts, failures
    assert "already migrated to project" in html
    assert 'name="post" value="yes"' in html
    assert Project.objects.count() == 1
    assert not MigrationRun.objects.exists()


def test_the_button_says_how_many_will_migrate(staff_client):
    sessions = SessionFactory.create_batch(2)
    done = SessionFactory(project=ProjectFactory())
    bad = SessionFactory(conversation=ConversationFactory())
    MessageFactory(conversation=bad.conversation, tool_calls={"not": "a list"})
    html = action_post(staff_client, [*(s.id for s in sessions), done.id, bad.id]).content
    html = html.decode()
    assert "<strong>2</strong> will become projects" in html
    assert "<strong>1</strong> will be skipped" in html and "<strong>1</strong> will fail" in html
    assert 'value="Migrate 2 sessions to projects"' in html


def test_a_selection_larger_than_the_sample_is_counted_whole(staff_client, monkeypatch):
    from migration_app.admin import migrate_to_project as admin_module

    monkeypatch.setattr(admin_module, "PREVIEW_MAX", 3)
    fresh = SessionFactory.create_batch(5)
    done = [SessionFactory(project=ProjectFactory()) for _ in range(2)]
    taken = SessionFactory(conversation=ConversationFactory(project=ProjectFactory()))
    ids = [s.id for s in [*fresh, *done, taken]]
    html = action_post(staff_client, ids, select_across="0").content.decode()
    assert "8 sessions selected" in html
    assert "<strong>5</strong> will become projects" in html
    assert "<strong>3</strong> will be skipped" in html
    assert "The first 3 of 8 are planned below" in html
    assert "2 already migrated, 1 whose conversation belongs to a project" in html
    assert html.count('class="plan-row"') + html.count('class="skip-row"') == 3


def test_select_all_carries_one_id_and_the_changelist_filters(staff_client):
    sessions = SessionFactory.create_batch(4)
    html = action_post(
        staff_client, [sessions[0].id], select_across="1", index="0"
    ).content.decode()
    assert "4 sessions selected" in html
    form = html[html.index('name="select_across" value="1"') :]
    assert form.count('name="_selected_action"') == 1


def test_confirm_runs_and_redirects_to_the_run_page(staff_client):
    sessions = SessionFactory.create_batch(3)
    response = action_post(staff_client, [s.id for s in sessions], post="yes")
    run = MigrationRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:migration_app_migrationrun_change", args=[run.pk])
    assert run.origin == "admin"
    assert run.actor == "staff"
    assert run.counts["migrated"] == 3
    assert Session.objects.filter(project__isnull=False).count() == 3
    page = staff_client.get(response.url)
    assert "3 migrated, 0 skipped, 0 failed." in page.content.decode()


def test_above_the_limit_the_run_is_enqueued_and_the_run_page_follows(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 2
    sessions = SessionFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = action_post(staff_client, [s.id for s in sessions], post="yes")
    run = MigrationRun.objects.get()
    assert response.url == reverse("admin:migration_app_migrationrun_change", args=[run.pk])
    # Before the task runs, the run page is live: planned, waiting for a worker.
    assert run.status == MigrationRun.Status.PLANNED
    assert run.progress_total == 3
    page = staff_client.get(response.url).content.decode()
    assert 'data-finished="0"' in page and "Waiting for a background worker" in page
    assert "in the background" in page
    assert len(callbacks) == 1
    callbacks[0]()  # the on-commit enqueue; the test backend runs the task at once
    run.refresh_from_db()
    assert run.status == MigrationRun.Status.SUCCEEDED
    assert run.progress_done == 3
    assert Session.objects.filter(project__isnull=False).count() == 3
    assert 'data-finished="1"' in staff_client.get(response.url).content.decode()


def test_preview_above_the_limit_says_background(staff_client, settings):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 1
    sessions = SessionFactory.create_batch(2)
    html = action_post(staff_client, [s.id for s in sessions]).content.decode()
    assert 'id="migrate-background"' in html


def test_select_all_of_a_large_list_is_previewed_whole_and_stored_compactly(
    staff_client, settings, django_capture_on_commit_callbacks
):
    """ "Select all 1,200": the preview counts every session, the run keeps its selection as
    rows (params hold a count), and the run page stays small."""
    from projects_app.models import Workspace
    from sessions_app.models import Session

    workspace = Workspace.objects.get(slug="default")
    Session.objects.bulk_create(
        [Session(id=f"bulk-{n:05d}", workspace=workspace, title=f"t{n}") for n in range(1200)]
    )
    first = "bulk-00000"
    preview = action_post(staff_client, [first], select_across="1", index="0").content.decode()
    assert (
        "1200 sessions selected" in preview
        and "<strong>1200</strong> will become projects" in preview
    )
    assert preview.count('name="_selected_action"') == 1
    assert len(preview) < 200_000
    with django_capture_on_commit_callbacks(execute=False):
        response = action_post(staff_client, [first], select_across="1", index="0", post="yes")
    run = MigrationRun.objects.get()
    assert run.params == {"workspace": None, "statuses": None, "batch_size": 500, "selected": 1200}
    assert run.selection.count() == 1200
    page = staff_client.get(response.url).content.decode()
    assert len(page) < 50_000 and "bulk-01199" not in page
