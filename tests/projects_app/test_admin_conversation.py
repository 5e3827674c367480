"""A conversation's admin page reads like a chat: roles, times, tokens, tool calls folded."""

import pytest
from django.urls import reverse

from projects_app.admin import CHAT_MESSAGES
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def page_of(client, conversation) -> str:
    response = client.get(reverse("admin:projects_app_conversation_change", args=[conversation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_messages_show_as_a_chat_with_tool_calls_folded(staff_client):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, role="user", content="Fix the flaky test")
    MessageFactory(
        conversation=conversation, role="assistant", content="Running it.", tokens_used=321,
        tool_calls=[{"name": "bash", "status": "error", "error": "exit status 1"}],
    )  # fmt: skip
    MessageFactory(conversation=conversation, role="tool", content="2 failed", tool_call_id="c1")
    page = page_of(staff_client, conversation)
    chat = page.split('id="conversation-chat"')[1].split("<!-- end of chat -->")[0]
    assert chat.index("Fix the flaky test") < chat.index("Running it.") < chat.index("2 failed")
    assert "role-user" in chat and "role-assistant" in chat and "321 tokens" in chat
    failed = chat.split('class="chat-tool-call failed"')[1].split("</details>")[0]
    assert "<code>bash</code> — error: exit status 1" in failed and "&quot;status&quot;" in failed
    assert '<details class="chat-tool-result"><summary>tool result (8 characters)' in chat
    assert "<textarea" not in chat  # read, not edited


def test_a_long_conversation_shows_its_first_messages_and_links_the_rest(staff_client, monkeypatch):
    from projects_app import admin as projects_admin

    monkeypatch.setattr(projects_admin, "CHAT_MESSAGES", 3)
    conversation = ConversationFactory()
    for n in range(5):
        MessageFactory(conversation=conversation, content=f"message {n}")
    page = page_of(staff_client, conversation)
    assert page.count('class="chat-message') == 3
    assert "The first 3 of 5 messages" in page
    link = page.split('The first 3 of 5 messages; <a href="')[1].split('"')[0]
    link = link.replace("&amp;", "&")
    listing = staff_client.get(link)
    assert listing.status_code == 200 and listing.content.decode().count('class="field-role') == 5
    assert CHAT_MESSAGES == 500
