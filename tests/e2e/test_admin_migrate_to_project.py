"""A staff user selects sessions, runs "Migrate to project", reads the preview, confirms."""

from projects_app.models import Project
from sessions_app.models import Session
from tests.factories import ConversationFactory, MessageFactory, ProjectFactory, SessionFactory


def test_select_preview_confirm_and_land_on_the_run_page(admin_page):
    conversation = ConversationFactory()
    SessionFactory(id="td-research", title="竞品调研", conversation=conversation, status="running")
    MessageFactory(conversation=conversation, content="Compare the three vendors")
    SessionFactory(id="td-plain", title="Buy milk", status="completed")
    SessionFactory(id="td-done", title="Already there", project=ProjectFactory(title="P"))
    SessionFactory(id="td-untouched", title="Not selected")
    page = admin_page

    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    for session_id in ("td-research", "td-plain", "td-done"):
        page.locator(f"input.action-select[value='{session_id}']").check()
    page.select_option("select[name=action]", "migrate_to_project")
    page.click("button[name=index]")

    page.wait_for_selector("#migrate-plan")
    assert "3 sessions selected" in page.inner_text("#migrate-summary")
    rows = page.locator("#migrate-plan tr.plan-row")
    assert rows.count() == 2
    research = rows.filter(has_text="td-research").inner_text()
    assert "research" in research and "in_progress" in research
    assert "Compare the three vendors" in research
    skipped = page.inner_text("#migrate-skipped")
    assert "td-done" in skipped and "already migrated" in skipped
    assert Project.objects.count() == 1  # the preview changed nothing

    page.click("#migrate-confirm")
    page.wait_for_url("**/admin/migration_app/migrationrun/**/change/**")
    assert "2 migrated, 1 skipped, 0 failed." in page.inner_text(".messagelist")
    assert "Succeeded" in page.inner_text("#run-status")
    assert "2 / 3" not in page.inner_text("#run-progress-text")
    assert page.locator("#run-items tr.outcome-migrated").count() == 2
    page.click("#run-items .outcome-filter a:text('skipped')")
    page.wait_for_url("**outcome=skipped**")
    assert page.locator("#run-items tr.item-row").count() == 1

    migrated = Session.objects.get(pk="td-research")
    assert migrated.project.title == "竞品调研"
    assert migrated.project.project_type == "research"
    assert Session.objects.get(pk="td-untouched").project_id is None

    # The old TokenDance route now leads to the project page.
    page.goto(f"{page.base_url}/execution/td-research/")
    page.wait_for_url(f"**/admin/projects_app/project/{migrated.project_id}/change/**")
    assert page.locator("#id_title").input_value() == "竞品调研"


def test_above_the_limit_the_run_goes_to_the_background(admin_page, settings):
    settings.SESSIONHUB_SYNC_ACTION_LIMIT = 2
    for n in range(3):
        SessionFactory(id=f"bg-{n}", title=f"Background {n}")
    page = admin_page

    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "migrate_to_project")
    page.click("button[name=index]")
    page.wait_for_selector("#migrate-background")
    page.click("#migrate-confirm")

    page.wait_for_url("**/admin/migration_app/migrationrun/**/change/**")
    assert "in the background" in page.inner_text(".messagelist")
    # The test task backend runs the task as soon as the request commits.
    page.reload()
    assert "3 / 3" in page.inner_text("#run-progress-text")
    assert Session.objects.filter(id__startswith="bg-", project__isnull=False).count() == 3
