"""The "Legacy imports" admin list and the rejected files on each run page."""

import pytest
from django.urls import reverse

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.models import MigrationRun
from tests.factories import MigrationRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def legacy_run(tmp_path, data_dir):
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=12)
    return migration_run_dispatch(
        kind=MigrationRun.Kind.LEGACY_IMPORT,
        source="ao",
        location=tree.root,
        claude_home=str(tmp_path / "c"),
    )


def test_the_list_shows_legacy_import_runs_only(staff_client, legacy_run):
    other = MigrationRunFactory(kind=MigrationRun.Kind.REASSOCIATE_TASK)
    response = staff_client.get(reverse("admin:migration_app_legacyimport_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert str(legacy_run.id)[:8] in page
    assert str(other.id)[:8] not in page
    assert "Legacy imports" in page


def test_a_run_page_lists_rejected_files_with_their_reasons(staff_client, legacy_run):
    url = reverse("admin:migration_app_legacyimport_change", args=[legacy_run.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rejected files (4)" in page
    assert "bad-json-1.json" in page and "invalid JSON" in page
    assert "bad-type-1.json" in page and "branch must be a string" in page
    assert page.count('class="rejected-row"') == 4
    # The general run page filters the same items by outcome.
    general = reverse("admin:migration_app_migrationrun_change", args=[legacy_run.pk])
    failed = staff_client.get(general + "?outcome=failed").content.decode()
    assert failed.count("item-row outcome-failed") == 4 and "invalid JSON" in failed


def test_anonymous_users_are_sent_to_the_login(client, legacy_run):
    response = client.get(reverse("admin:migration_app_legacyimport_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_dry_runs_counts_read_as_planned_not_done(staff_client, tmp_path, data_dir):
    tree = ao_tree_generate(str(tmp_path / "dry"), sessions=12)
    dry = migration_run_dispatch(
        kind=MigrationRun.Kind.LEGACY_IMPORT, source="ao", location=tree.root, dry_run=True,
        claude_home=str(tmp_path / "c"),
    )  # fmt: skip
    planned = dry.counts["session_migrated"]
    response = staff_client.get(reverse("admin:migration_app_legacyimport_changelist"))
    page = response.content.decode()
    assert f"{planned} planned" in page
    assert f"{planned} migrated" not in page
    run_page = staff_client.get(reverse("admin:migration_app_legacyimport_change", args=[dry.pk]))
    assert "Planned counts (a dry run: nothing was written)" in run_page.content.decode()
