"""A staff user opens "Legacy imports", then a run, and reads why files were rejected."""

from migration_app.dispatch import migration_run_dispatch
from migration_app.legacy.synthetic import ao_tree_generate
from migration_app.models import MigrationRun


def test_open_a_legacy_import_and_read_its_rejected_files(admin_page, tmp_path, settings):
    settings.SESSIONHUB_DATA_DIR = tmp_path / "data"
    tree = ao_tree_generate(str(tmp_path / "ao"), sessions=15)
    run = migration_run_dispatch(
        kind=MigrationRun.Kind.LEGACY_IMPORT,
        source="ao",
        location=tree.root,
        claude_home=str(tmp_path / "claude"),
    )
    page = admin_page

    page.goto(f"{page.base_url}/admin/")
    page.click("a[href='/admin/migration_app/legacyimport/']")
    page.wait_for_url("**/admin/migration_app/legacyimport/")
    rows = page.locator("#result_list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Partial" in rows.first.inner_text()

    rows.first.locator("th a").click()
    page.wait_for_url(f"**/{run.pk}/change/**")
    rejected = page.locator("#rejected-files tr.rejected-row")
    assert rejected.count() == 4
    text = page.locator("#rejected-files").inner_text()
    assert "bad-json-1.json" in text and "invalid JSON" in text
    assert "lifecycle must be an object" in text
