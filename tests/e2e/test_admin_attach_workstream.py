"""A staff user attaches two scratch sessions to a workstream in Chromium: choose, preview, run."""

from sessions_app import files
from sessions_app.models import Session
from tests.migration_app.attach_helpers import named_workstream, scratch_session


def test_attach_two_sessions_with_preview_and_a_clash(admin_page, data_dir):
    named_workstream("my-blog")
    scratch_session("e2e-ok", {"notes.md": b"# notes", "src/main.py": b"print(1)\n"})
    scratch_session("e2e-clash", {"taken.txt": b"mine"})
    dest = files.attached_session_work_dir("my-blog", "e2e-clash")
    dest.mkdir(parents=True)
    (dest / "taken.txt").write_bytes(b"already there")
    page = admin_page

    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    page.check("input.action-select[value='e2e-ok']")
    page.check("input.action-select[value='e2e-clash']")
    page.select_option("select[name=action]", "attach_to_workstream")
    page.click("button[name=index]")

    page.wait_for_selector("#attach-form")
    page.select_option("#id_workstream", "my-blog")
    page.click("#attach-preview")

    summary = page.locator("#attach-summary").inner_text()
    assert "1 move their files from scratch" in summary and "1 are refused" in summary
    assert "2 files in 2 top-level entries, 16\xa0bytes" in page.inner_text(
        "#attach-sample-summary"
    )
    button = page.locator("#attach-confirm-button")
    assert (
        button.get_attribute("value")
        == "Attach 1 session to my-blog and move the files of 1; 1 refused"
    )
    clash_row = page.locator("tr.action-refuse")
    assert "workstreams/my-blog/work/e2e-clash/taken.txt" in clash_row.inner_text()
    assert Session.objects.get(id="e2e-ok").workstream_id == "scratch"  # preview changed nothing

    page.click("#attach-confirm-button")
    page.wait_for_url("**/migration_app/migrationrun/**/change/")
    assert "Partial" in page.inner_text("#run-status")
    assert (
        "Attached 1 sessions to my-blog (2 files, 16 bytes)"
        in page.locator(".messagelist").inner_text()
    )
    page.click("#run-items a[href='?outcome=failed']")
    page.wait_for_url("**?outcome=failed")
    failed = page.locator("#run-items tr.item-row")
    assert failed.count() == 1 and "e2e-clash" in failed.first.inner_text()

    assert (files.attached_session_work_dir("my-blog", "e2e-ok") / "src" / "main.py").exists()
    assert (dest / "taken.txt").read_bytes() == b"already there"
    assert Session.objects.get(id="e2e-ok").workstream_id == "my-blog"
    assert Session.objects.get(id="e2e-clash").workstream_id == "scratch"
