"""Browser tests: Playwright for Python driving Debian's Chromium against a live server."""

import os
import re
from pathlib import Path

import pytest

from tests.factories import StaffFactory

CHROMIUM = Path("/usr/bin/chromium")
# A failing browser test leaves a screenshot of its page here (kept out of git).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
E2E_PASSWORD = "e2e-password-123"

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `apt-get install -y chromium` (.ci/run does it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def e2e_staff(transactional_db):
    return StaffFactory(username="e2e-staff", password=E2E_PASSWORD)


@pytest.fixture
def admin_page(page, live_server, e2e_staff):
    """A browser page logged in to the admin as a staff user."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", e2e_staff.username)
    page.fill("#id_password", E2E_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.base_url = live_server.url
    return page
