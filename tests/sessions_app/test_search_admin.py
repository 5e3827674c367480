"""The admin search page: hits with escaped snippets and links, filters, the reason of a
malformed query shown, links from the index and the session list."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import MessageFactory, ProjectFactory, SessionFactory, transcript_session

pytestmark = pytest.mark.django_db
URL = "/admin/sessions_app/session/search/"


def hit_meta(html: str, kind: str) -> str:
    """The context line (session, project, source, time) of the page's one hit of `kind`,
    its whitespace collapsed."""
    (hit,) = re.findall(rf'<li class="hit hit-{kind}">(.*?)</li>', html, re.S)
    (meta,) = re.findall(r'<div class="meta">(.*?)</div>', hit, re.S)
    return " ".join(meta.split())


def test_hits_link_to_the_message_in_its_conversation(staff_client):
    message = MessageFactory(content="<script>x</script> narwhal")
    response = staff_client.get(URL, {"q": "narwhal"})
    assert response.status_code == 200
    html = response.content.decode()
    conversation_url = reverse("admin:projects_app_conversation_change",
                               args=[message.conversation_id])  # fmt: skip
    assert f'href="{conversation_url}#message-{message.pk}"' in html
    assert "&lt;script&gt;x&lt;/script&gt; <mark>narwhal</mark>" in html
    assert "<script>x</script>" not in html


def test_each_hit_shows_its_session_project_source_and_time(staff_client):
    project = ProjectFactory(title="Harbour", intent="moor the zibbet", source="minsky",
                             created_at=dt.datetime(2026, 2, 1, 8, 15, tzinfo=dt.UTC))  # fmt: skip
    session = transcript_session(messages=1, subagent_messages=0)
    session.project, session.source, session.title = project, "codex", "Sail the zibbet"
    session.created_at = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    session.save()
    session.conversation.messages.update(
        content="zibbet ahoy", created_at=dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)
    )
    html = staff_client.get(URL, {"q": "zibbet"}).content.decode()
    link = f'<a href="{reverse("admin:sessions_app_session_change", args=[session.pk])}">'
    project_url = reverse("admin:projects_app_project_change", args=[project.pk])
    harbour = f'project <a href="{project_url}">Harbour</a>'
    named = f"session {link}Sail the zibbet</a> · {harbour}"
    assert hit_meta(html, "message") == f"{named} · codex · 2026-03-04 23:30"
    assert hit_meta(html, "session") == f"{named} · codex · 2026-03-04 05:06"
    assert hit_meta(html, "project") == f"{harbour} · minsky · 2026-02-01 08:15"


@pytest.mark.parametrize("site_zone", ["UTC", "Asia/Tokyo"])
def test_the_date_range_is_of_utc_days_until_inclusive(staff_client, settings, site_zone):
    """docs/search.md: days are UTC whatever the site's time zone (as in the API)."""
    settings.TIME_ZONE = site_zone  # 23:30 UTC is 08:30 the next day in Tokyo
    MessageFactory(content="marmot", created_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC))

    def found(**dates) -> bool:
        page = staff_client.get(URL, {"q": "marmot", **dates}).content.decode()
        return page.count('class="hit hit-message"') == 1

    assert found(since="2026-03-01") and found(until="2026-03-01")
    assert found(since="2026-03-01", until="2026-03-01")
    assert not found(since="2026-03-02") and not found(until="2026-02-28")


def test_a_malformed_query_shows_the_reason(staff_client):
    response = staff_client.get(URL, {"q": 'say "hi'})
    assert response.status_code == 200
    assert "Unbalanced quote" in response.content.decode()


def test_filters_apply(staff_client):
    session = transcript_session(messages=2, subagent_messages=1)
    session.conversation.messages.update(content="puffin ok")
    session.conversation.__class__.objects.filter(
        extra_data__parent_session=session.pk
    ).first().messages.update(content="puffin broke")
    page = staff_client.get(URL, {"q": "puffin", "has_errors": "on"}).content.decode()
    assert page.count('class="hit hit-message"') == 1
    page = staff_client.get(URL, {"q": "puffin", "role": "user"}).content.decode()
    assert page.count('class="hit hit-message"') == 1


def test_the_index_and_the_session_list_lead_here(staff_client):
    SessionFactory()
    index = staff_client.get("/admin/").content.decode()
    assert f'action="{URL}"' in index
    changelist = staff_client.get("/admin/sessions_app/session/", {"q": "abc"}).content.decode()
    assert f'href="{URL}?q=abc"' in changelist


def test_non_staff_cannot_open_it(client):
    assert client.get(URL, {"q": "x"}).status_code == 302
