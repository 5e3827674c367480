"""A staff member reads a 50,000-line Claude Code session on its admin page: pages through
it, jumps to its first error, shows the hidden records (there too, staying at the error),
folds and unfolds, opens a subagent's conversation, and downloads it in each format."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from sessions_app.models import Session
from tests.factories import BASE_TIME, ConversationFactory, MessageFactory, SessionFactory
from tests.sessions_app.transcript_corpus import (
    ERROR_CALL,
    SESSION_UUID,
    claude_transcript_write,
)

LINES = 50_000


@pytest.fixture
def big_session(tmp_path, data_dir, transactional_db):
    """The transcript imported by the real command, as an operator would."""
    claude, codex = tmp_path / "claude", tmp_path / "codex"
    codex.mkdir()
    corpus = claude_transcript_write(claude, lines=LINES)
    call_command(
        "import_transcripts", claude_home=str(claude), codex_home=str(codex), json=True,
        stdout=open(tmp_path / "import.json", "w"),  # noqa: SIM115 - a test's scratch file
    )  # fmt: skip
    return corpus, Session.objects.get(agent_session_id=SESSION_UUID)


def turns_text(page) -> list[str]:
    return page.locator(
        ".transcript-conversation > .transcript-turn > .transcript-text"
    ).all_inner_texts()


def test_read_page_jump_fold_and_download_a_50000_line_session(admin_page, big_session, tmp_path):
    corpus, session = big_session
    page = admin_page
    url = f"{page.base_url}/admin/sessions_app/session/{session.pk}/change/"
    page.goto(url)
    viewer = page.locator("#transcript")
    assert turns_text(page)[:2] == [
        "Step 0: run the checks of module 0.", "Running the checks of module 0.",
    ]  # fmt: skip
    assert "claude-sonnet-4-5" in viewer.locator(".transcript-model").first.inner_text()
    assert "1200 in / 60 out" in viewer.locator(".transcript-tokens").first.inner_text()
    assert viewer.locator(".transcript-older").count() == 0
    assert "bash_progress" not in viewer.inner_text()

    # Fold and unfold: a result beneath its call and a thinking block start folded.
    result = viewer.locator(".transcript-turn details.transcript-result").first
    thinking = viewer.locator("details.transcript-thinking pre").first
    assert not result.locator("pre").is_visible() and not thinking.is_visible()
    result.locator("summary").click()
    assert result.locator("pre").inner_text() == "ok: module_0 passed (0 tests)"
    result.locator("summary").click()
    assert not result.locator("pre").is_visible()
    viewer.locator("button.transcript-unfold").click()
    assert thinking.inner_text() == "Module 0 first." and result.locator("pre").is_visible()
    viewer.locator("button.transcript-fold").click()
    assert not thinking.is_visible() and not result.locator("pre").is_visible()

    # Newer, then older: back to the same first page.
    first_page = turns_text(page)
    viewer.locator("a.transcript-newer").click()
    page.wait_for_url("**t_after=**")
    second_page = turns_text(page)
    # 50 rows a page, 3 shown a cycle: the first ends with the call of cycle 16, whose
    # result is folded beneath it there; it opens the second page but is not shown again.
    assert first_page[-1] == "Running the checks of module 16."
    assert second_page[0] == "Step 17: run the checks of module 17."
    page.locator("#transcript a.transcript-older").click()
    page.wait_for_url("**t_before=**")
    assert turns_text(page) == first_page
    page.locator("#transcript a.transcript-newer").click()
    page.wait_for_url("**t_after=**")
    page.locator("#transcript a.transcript-first").click()
    page.wait_for_url(lambda u: "t_after" not in u)
    assert turns_text(page) == first_page

    # The first error: its result unfolded, marked, beneath its call.
    page.locator("#transcript a.transcript-error").click()
    page.wait_for_url("**t_error=1**")
    failed = page.locator("#transcript details.transcript-result.failed")
    assert failed.count() == 1
    assert failed.get_attribute("open") is not None
    assert ERROR_CALL in failed.locator("summary").inner_text()
    assert failed.locator("pre").inner_text() == f"exit 1: module_{corpus.error_turn} failed"
    assert "error" in failed.locator(".transcript-error-mark").inner_text()
    # The hidden-records toggle keeps the jump (not the first page): the error stays in view.
    error_turns = turns_text(page)
    page.locator("#transcript a.transcript-hidden").click()
    page.wait_for_url("**t_hidden=1**")
    assert "t_error=1" in page.url
    assert page.locator("#transcript .transcript-hidden-record").count() > 0
    assert failed.count() == 1 and failed.get_attribute("open") is not None
    assert failed.locator("pre").inner_text() == f"exit 1: module_{corpus.error_turn} failed"
    page.locator("#transcript a.transcript-hidden").click()
    page.wait_for_url(lambda u: "t_hidden" not in u)
    assert "t_error=1" in page.url and failed.count() == 1
    assert turns_text(page) == error_turns

    # Hidden records: shown on demand, hidden again.
    page.goto(url)
    page.locator("#transcript a.transcript-hidden").click()
    page.wait_for_url("**t_hidden=1**")
    hidden = page.locator("#transcript .transcript-hidden-record")
    assert hidden.count() > 0
    kinds = set(hidden.locator(".transcript-meta code").all_inner_texts())
    assert kinds == {"progress", "file-history-snapshot"}
    page.locator("#transcript a.transcript-hidden").click()
    page.wait_for_url(lambda u: "t_hidden" not in u)
    assert page.locator("#transcript .transcript-hidden-record").count() == 0

    # A subagent, nested in the page where it starts; unfolded, then opened on its own.
    page.goto(url)
    for _ in range((corpus.subagent_turns[0] * 3 + 2) // 50):
        page.locator("#transcript a.transcript-newer").click()
        page.wait_for_load_state()
    nested = page.locator("#transcript details.transcript-subagent")
    assert nested.count() == 1
    assert corpus.subagents[0] in nested.locator("> summary").inner_text()
    nested.locator("> summary").click()
    inner = nested.locator(".transcript-nested .transcript-text").all_inner_texts()
    assert inner[0] == "Step 0: run the checks of module 0."
    nested.locator("a.transcript-open-subagent").click()
    page.wait_for_url("**t_conv=**")
    assert f"subagent {corpus.subagents[0]}" in page.locator("#transcript h2").inner_text()
    page.locator("#transcript a.transcript-session").click()
    page.wait_for_url(lambda u: "t_conv" not in u)
    assert turns_text(page) == first_page

    # Each Download button. The original bytes: the session's file, then its subagents'.
    subagent_files = sorted((corpus.path.parent / SESSION_UUID / "subagents").iterdir())
    original = b"".join(p.read_bytes() for p in [corpus.path, *subagent_files])
    for fmt, expected in (
        ("jsonl", original),
        ("markdown", "Step 0: run the checks of module 0."),
        ("html", "Step 0: run the checks of module 0."),
    ):
        with page.expect_download() as info:
            page.locator(f'#transcript a.transcript-download[data-format="{fmt}"]').click()
        saved = Path(info.value.path())
        if fmt == "jsonl":
            assert saved.read_bytes() == expected
        else:
            assert expected in saved.read_text()


def test_a_result_60_messages_after_its_call_is_shown_once_beneath_it(admin_page):
    """The call ends up on the first page and its result on the third (50 a page): the
    result is read folded beneath the call, and the third page does not show it again."""
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, workspace=conversation.workspace)
    times = (BASE_TIME + dt.timedelta(seconds=n) for n in range(200))
    for n in range(45):
        MessageFactory(conversation=conversation, role="user", content=f"prompt {n}",
                       created_at=next(times))  # fmt: skip
    MessageFactory(conversation=conversation, role="assistant", content="Calling the far tool.",
                   tool_calls=[{"id": "toolu_far", "name": "Bash", "input": {"command": "make"}}],
                   created_at=next(times))  # fmt: skip
    for n in range(45, 105):  # 60 messages between the call and its result
        MessageFactory(conversation=conversation, role="user", content=f"prompt {n}",
                       created_at=next(times))  # fmt: skip
    far = MessageFactory(conversation=conversation, role="tool", content="the far tool's output",
                         tool_call_id="toolu_far", created_at=next(times))  # fmt: skip
    for n in range(105, 130):
        MessageFactory(conversation=conversation, role="user", content=f"prompt {n}",
                       created_at=next(times))  # fmt: skip

    page = admin_page
    page.goto(f"{page.base_url}/admin/sessions_app/session/{session.pk}/change/")
    seen = []  # (page number, the text of the turn it is shown in) of every showing
    for number in range(1, 4):
        # The result's element (#m-<its id>), beneath its call or as a turn of its own;
        # its text is in a folded <details>, so look for the element, not for the text.
        shown = page.locator(f"#transcript #m-{far.pk}")
        for i in range(shown.count()):
            result = shown.nth(i)
            turn = result.locator("xpath=ancestor::div[contains(@class, 'transcript-turn')][1]")
            seen.append((number, turn.locator("> .transcript-text").all_inner_texts()))
            if result.get_attribute("class") == "transcript-result":
                result.locator("summary").click()
                assert result.locator("pre").inner_text() == "the far tool's output"
                assert "toolu_far" in result.locator("summary").inner_text()
        if number < 3:
            page.locator("#transcript a.transcript-newer").click()
            page.wait_for_url("**t_after=**")
            page.wait_for_load_state()
    assert seen == [(1, ["Calling the far tool."])]
    # The third page is the one that holds the result: its neighbours are there, not it.
    assert "prompt 104" in turns_text(page) and "prompt 105" in turns_text(page)
    assert "the far tool's output" not in page.locator("#transcript").text_content()
