"""A staff member searches from the admin index, narrows with every filter, pages on and
opens a hit in its conversation."""

import datetime as dt

from projects_app.models import Message
from tests.factories import (
    BASE_TIME,
    ConversationFactory,
    MessageFactory,
    ProjectFactory,
    SessionFactory,
    WorkspaceFactory,
    transcript_session,
)


def hits(page):
    return page.locator("#search-hits li.hit")


def test_search_filter_page_and_open_a_hit(admin_page):
    page = admin_page
    other = WorkspaceFactory(name="Other place")
    project = ProjectFactory(title="Harbour")
    session = transcript_session(messages=2, subagent_messages=1)
    session.source = "codex"
    session.save()
    Message.objects.filter(conversation=session.conversation).update(content="albatross ok")
    Message.objects.filter(conversation__extra_data__parent_session=session.pk).update(
        content="albatross failed"
    )
    MessageFactory(content="albatross in harbour",
                   conversation=ConversationFactory(project=project))  # fmt: skip
    MessageFactory(content="albatross far away",
                   conversation=ConversationFactory(workspace=other))  # fmt: skip
    for n in range(25):
        MessageFactory(content=f"albatross old {n}",
                       created_at=BASE_TIME - dt.timedelta(days=30, minutes=n))  # fmt: skip

    page.goto(f"{page.base_url}/admin/")
    page.fill("#index-search input[name=q]", "albatross")
    page.click("#index-search input[type=submit]")
    assert hits(page).count() == 20
    assert "<mark>albatross</mark>" in hits(page).first.locator(".snippet").inner_html()

    page.click("#search-next")
    assert hits(page).count() == 10  # 30 in all
    page.click("#search-first")
    assert hits(page).count() == 20

    page.select_option("#id_workspace", str(other.pk))
    page.click("#search-submit")
    assert "far away" in hits(page).first.inner_text() and hits(page).count() == 1
    page.select_option("#id_workspace", index=0)

    page.fill("#id_project", project.pk)
    page.click("#search-submit")
    assert hits(page).count() == 1 and "harbour" in hits(page).first.inner_text()
    hits(page).first.locator(".meta a", has_text="Harbour").click()  # its project, by title
    page.wait_for_url(f"**/projects_app/project/{project.pk}/change/")
    page.go_back()
    page.fill("#id_project", "")

    page.select_option("#id_source", "codex")
    page.click("#search-submit")
    assert hits(page).count() == 3
    page.select_option("#id_role", "tool")
    page.click("#search-submit")
    assert hits(page).count() == 1
    page.select_option("#id_role", "")
    page.check("#id_has_errors")
    page.click("#search-submit")
    assert hits(page).count() == 1 and "failed" in hits(page).first.inner_text()
    page.uncheck("#id_has_errors")
    page.select_option("#id_source", "")

    page.fill("#id_until", (BASE_TIME - dt.timedelta(days=20)).date().isoformat())
    page.click("#search-submit")
    assert hits(page).count() == 20 and "old" in hits(page).first.inner_text()
    page.fill("#id_since", (BASE_TIME - dt.timedelta(days=20)).date().isoformat())
    page.click("#search-submit")
    assert page.locator("#search-empty").is_visible()
    page.fill("#id_since", "")
    page.fill("#id_until", "")

    page.fill("#id_q", 'albatross "unclosed')
    page.click("#search-submit")
    assert "Unbalanced quote" in page.locator("#search-error").inner_text()

    page.fill("#id_q", "albatross failed")
    page.click("#search-submit")
    target = Message.objects.get(content="albatross failed")
    page.locator("#search-hits a.hit-link").first.click()
    page.wait_for_url(f"**/conversation/{target.conversation_id}/change/#message-{target.pk}")
    assert "albatross failed" in page.locator(f"#message-{target.pk}").text_content()


def test_the_session_list_search_box_ranks_sessions_and_leads_to_search(admin_page):
    page = admin_page
    session = transcript_session(messages=1, subagent_messages=0)
    Message.objects.update(content="condor")
    session.prompt = "watch the condor"
    session.save()
    SessionFactory(title="condor condor", prompt="condor")
    SessionFactory(title="pelican")
    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    page.fill("#searchbar", "condor")
    with page.expect_navigation():
        page.click("#changelist-search input[type=submit]")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2  # found by their own text, the denser first
    assert "condor condor" in rows.nth(0).inner_text()
    assert session.pk[:8] in rows.nth(1).inner_text()
    page.click("#full-text-search a")
    assert page.locator("#id_q").input_value() == "condor"
    assert hits(page).count() == 3  # the two sessions and the message
