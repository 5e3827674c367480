"""/api/docs renders the operations with no network beyond the server itself (no CDN)."""

from urllib.parse import urlsplit


def test_the_api_docs_render_offline(admin_page):
    page = admin_page
    own = urlsplit(page.base_url).netloc
    elsewhere = []

    def only_our_server(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto(f"{page.base_url}/api/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/projects" in [path.strip() for path in paths]
    assert any("/api/v1/sessions/{session_id}" in path for path in paths)
    assert page.locator("button.authorize").count() == 1  # the API key can be entered
    assert elsewhere == []
