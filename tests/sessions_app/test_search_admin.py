"""The admin search page: hits with escaped snippets and links, filters, the reason of a
malformed query shown, links from the index and the session list."""

import pytest
from django.urls import reverse

from tests.factories import MessageFactory, SessionFactory, transcript_session

pytestmark = pytest.mark.django_db
URL = "/admin/sessions_app/session/search/"


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
