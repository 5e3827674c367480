"""A staff user re-associates a migrated task from the session list, in Chromium."""

from migration_app.models import MigrationRun
from sessions_app.models import Session
from tests.factories import SessionFactory


def test_reassociate_a_task_through_form_preview_and_confirm(admin_page):
    SessionFactory(id="plain-one", title="Plain", task_id="123")
    SessionFactory(id="qualified-one", title="Qualified", task_id="md#123")
    SessionFactory(id="bystander", title="Other task", task_id="mt#7")
    page = admin_page

    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    page.check("#result_list input.action-select[value='plain-one']")
    page.check("#result_list input.action-select[value='qualified-one']")
    page.select_option("select[name=action]", "reassociate_task")
    page.click("button[name=index]")

    page.wait_for_selector("#task-map")
    assert "They all point at task md#123" in page.inner_text("#content")
    page.fill("#id_new_0", "MT#123")  # refused: upper-case backend
    page.click("input[name=preview]")
    assert "Invalid task ID format" in page.inner_text(".errorlist")

    page.fill("#id_new_0", "mt#123")
    page.click("input[name=preview]")
    page.wait_for_selector(".reassociate-preview")
    preview = page.inner_text(".reassociate-preview")
    assert "md#123 → mt#123" in preview
    assert "found 2: 1 stored plain, 1 stored qualified" in preview
    assert page.locator(".preview-row").count() == 2
    assert Session.objects.get(pk="plain-one").task_id == "123"  # the preview wrote nothing

    assert page.locator("#reassociate-confirm").get_attribute("value") == "Re-associate 2 sessions"
    page.click("input[name=confirm]")
    page.wait_for_url("**/admin/migration_app/migrationrun/*/change/**")
    run = MigrationRun.objects.get()
    assert str(run.pk) in page.url
    assert "Re-associated 2 of 2 sessions" in page.inner_text("ul.messagelist")
    counts = page.inner_text("#run-counts")
    assert "sessions_updated\t2" in counts
    assert page.locator("#run-items .item-row.outcome-migrated").count() == 2
    assert dict(Session.objects.values_list("id", "task_id")) == {
        "plain-one": "mt#123", "qualified-one": "mt#123", "bystander": "mt#7",
    }  # fmt: skip
