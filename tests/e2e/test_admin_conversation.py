"""A staff member reads a conversation and unfolds a failed tool call."""

from tests.factories import ConversationFactory, MessageFactory


def test_read_a_conversation_and_unfold_a_tool_call(admin_page):
    conversation = ConversationFactory(title="Flaky login test")
    MessageFactory(conversation=conversation, role="user", content="Why does login fail?")
    MessageFactory(
        conversation=conversation, role="assistant", content="Let me run the suite.",
        tool_calls=[{"name": "run_tests", "status": "error", "error": "timed out after 600s"}],
    )  # fmt: skip
    page = admin_page
    page.goto(f"{page.base_url}/admin/projects_app/conversation/{conversation.pk}/change/")
    messages = page.locator("#conversation-chat .chat-message")
    assert messages.count() == 2
    assert "Why does login fail?" in messages.nth(0).inner_text()
    call = page.locator("#conversation-chat details.chat-tool-call.failed")
    assert "run_tests — error: timed out after 600s" in call.locator("summary").inner_text()
    assert not call.locator("pre").is_visible()  # folded
    call.locator("summary").click()
    assert '"status": "error"' in call.locator("pre").inner_text()
