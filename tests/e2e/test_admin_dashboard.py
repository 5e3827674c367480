"""A staff member lands on the dashboard and watches a run move."""

from django.core.cache import cache

from migration_app.models import MigrationRun
from tests.factories import MigrationRunFactory, SessionFactory


def test_the_dashboard_follows_a_run_in_progress_and_links_onwards(admin_page):
    SessionFactory(source="ao", status="running")
    run = MigrationRunFactory(status="running", progress_total=10, progress_done=2)
    page = admin_page
    cache.clear()  # the log-in visited the dashboard before these rows existed
    page.goto(f"{page.base_url}/admin/")
    row = page.locator("#dashboard-active tr.active-run")
    assert "2 / 10" in row.inner_text()

    MigrationRun.objects.filter(pk=run.pk).update(progress_done=7)
    page.wait_for_function(
        "document.querySelector('#dashboard-active .progress-text').textContent === '7 / 10'"
    )
    MigrationRun.objects.filter(pk=run.pk).update(status="succeeded", progress_done=10)
    from django.utils import timezone

    MigrationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    page.wait_for_function(
        "document.querySelector('#dashboard-active .run-state').textContent === 'Succeeded'"
    )

    page.click("#dashboard-sessions a:text-is('ao')")
    page.wait_for_url("**/sessions_app/session/?source__exact=ao")
    assert page.locator("#result_list tbody tr").count() == 1
