"""The admin index is the staff dashboard: runs, sessions, projects, and where to start."""

import re

import pytest
from django.core.cache import cache

from migration_app.models import MigrationRun
from migration_app.services.journal import ItemRecord, migration_items_record, migration_run_finish
from tests.factories import MigrationRunFactory, ProjectFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_totals():
    cache.clear()


def dashboard(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_runs_in_progress_and_the_latest_runs_with_their_counts(staff_client):
    waiting = MigrationRunFactory(status="planned", progress_total=900)
    running = MigrationRunFactory(status="running", progress_total=10, progress_done=4)
    done = MigrationRunFactory(kind=MigrationRun.Kind.SESSION_TO_PROJECT)
    migration_items_record(
        run=done, items=[ItemRecord("session", f"s{n}", "migrated") for n in range(3)]
    )
    migration_run_finish(run=done)
    page = dashboard(staff_client)
    active = page.split('id="dashboard-active"')[1].split('id="dashboard-recent"')[0]
    assert str(waiting.pk)[:8] in active and "waiting for a background worker" in active
    assert str(running.pk)[:8] in active and "4 / 10" in active
    recent = page.split('id="dashboard-recent"')[1].split('id="dashboard-sessions"')[0]
    assert str(done.pk)[:8] in recent
    assert re.search(r'<td class="num">3</td><td class="num">0</td><td class="num">0</td>', recent)


def test_sessions_by_source_and_status_and_projects_by_status(staff_client):
    SessionFactory.create_batch(2, source="ao", status="running")
    SessionFactory(source="ao", status="completed")
    SessionFactory(source="minsky", status="pending")
    ProjectFactory.create_batch(2, status="draft")
    page = dashboard(staff_client)
    sessions = page.split('id="dashboard-sessions"')[1].split('id="dashboard-projects"')[0]
    ao_row = sessions.split(">ao</a>")[1].split("</tr>")[0]
    # pending, running, completed, failed, cancelled, archived, all
    assert re.findall(r'<td class="num">(\d+)</td>', ao_row) == ["0", "2", "1", "0", "0", "0", "3"]
    projects = page.split('id="dashboard-projects"')[1].split('id="dashboard-commands"')[0]
    assert '>draft</a></td><td class="num">2</td>' in projects


def test_every_link_of_the_dashboard_opens(staff_client):
    SessionFactory(source="ao")
    page = dashboard(staff_client)
    block = page.split('id="dashboard"')[1].split("</div>\n<script")[0]
    links = set(re.findall(r'href="([^"]+)"', block))
    assert len(links) >= 6
    for link in links:
        assert staff_client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_totals_are_counted_once_per_interval_not_per_visit(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SessionFactory()
    with CaptureQueriesContext(connection) as cold:
        dashboard(staff_client)
    with CaptureQueriesContext(connection) as warm:
        dashboard(staff_client)

    def grouped(queries):
        return [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]

    assert len(grouped(cold)) == 2  # sessions by source and status, projects by status
    assert grouped(warm) == []
