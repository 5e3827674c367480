"""A staff user logs in, opens the session list, filters it and opens one session."""

from sessions_app.models import Session
from tests.factories import SessionFactory


def test_log_in_list_filter_and_open_a_session(admin_page):
    SessionFactory(id="running-abc", title="Refactor the parser", status=Session.Status.RUNNING)
    SessionFactory(id="pending-xyz", title="Write the docs", status=Session.Status.PENDING)
    page = admin_page

    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    assert page.locator("#result_list tbody tr").count() == 2

    page.click("#changelist-filter a[href*='status__exact=running']")
    page.wait_for_url("**status__exact=running**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "running-abc" in rows.first.inner_text()

    rows.first.locator("th a").click()
    page.wait_for_url("**/running-abc/change/**")
    assert page.locator("#id_title").input_value() == "Refactor the parser"
