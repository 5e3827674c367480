"""session_export: the original bytes for jsonl, readable Markdown and escaped HTML."""

import pytest

from migration_app.models import TranscriptFile
from migration_app.session_export import ExportRefused, session_export
from projects_app.models import Message
from sessions_app.models import Session
from tests.factories import SessionFactory
from tests.migration_app import transcript_helpers as th

pytestmark = pytest.mark.django_db


def export(session_id, fmt):
    return b"".join(session_export(session_id=session_id, fmt=fmt))


@pytest.fixture
def claude(tmp_path, data_dir):
    """One imported Claude Code session with a subagent; (main file, subagent file)."""
    home, _ = th.homes(tmp_path)
    main = th.claude_session(home)
    sub = main.parent / th.CLAUDE_UUID / "subagents" / "agent-x.jsonl"
    line = th.claude_user("s1", "look <script>alert(1)</script>", session=th.CLAUDE_UUID)
    th.lines_write(sub, [line])
    th.transcripts_run(tmp_path)
    return main, sub


def test_jsonl_of_one_file_is_the_original_bytes(tmp_path, data_dir):
    _, codex = th.homes(tmp_path)
    original = th.codex_session(codex)
    th.transcripts_run(tmp_path)
    session = Session.objects.get()
    assert export(session.pk, "jsonl") == original.read_bytes()


def test_jsonl_concatenates_the_session_first_then_its_subagents(claude):
    main, sub = claude
    assert export(th.CLAUDE_UUID, "jsonl") == main.read_bytes() + sub.read_bytes()


def test_jsonl_stops_at_the_imported_offset(claude):
    """Bytes appended to the original but not imported yet are not exported."""
    main, sub = claude
    imported = main.read_bytes() + sub.read_bytes()
    th.lines_write(main, [th.claude_user("u9", "later")], append=True)
    assert export(th.CLAUDE_UUID, "jsonl") == imported


def test_jsonl_refuses_an_archive_copy_that_changed(claude):
    copy = TranscriptFile.objects.get(path=str(claude[0])).archive_path
    with open(copy, "r+b") as handle:
        handle.write(b"X")
    with pytest.raises(ExportRefused, match="does not hold the"):
        export(th.CLAUDE_UUID, "jsonl")


def test_jsonl_refuses_a_missing_archive_copy(claude, tmp_path):
    TranscriptFile.objects.filter(path=str(claude[1])).update(archive_path=str(tmp_path / "gone"))
    with pytest.raises(ExportRefused, match="cannot be read"):
        export(th.CLAUDE_UUID, "jsonl")


def test_jsonl_of_a_session_without_transcript_is_refused():
    session = SessionFactory()
    with pytest.raises(ExportRefused, match="no archived transcript"):
        export(session.pk, "jsonl")


def test_unknown_session_is_named():
    with pytest.raises(Session.DoesNotExist, match="Session 'nope' not found."):
        export("nope", "markdown")


def test_markdown_lists_every_message_in_order(claude):
    text = export(th.CLAUDE_UUID, "markdown").decode()
    assert text.startswith("# fix the bug\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    order = Message.objects.order_by("created_at", "id").values_list("role", flat=True)
    assert [h.split(" · ")[0] for h in headings] == [
        f"## {n}. {role}" for n, role in enumerate(order, 1)
    ]
    assert len(headings) == 5
    by_role = {h.split(" · ")[0].split(". ")[1]: h for h in headings}
    assert "· 2026-01-02T10:00:01+00:00 · claude-sonnet-4-5 · 40 tokens" in by_role["assistant"]
    assert by_role["tool"].endswith("· result of toolu_1 · error")
    assert any("subagent agent-x" in h for h in headings)
    assert "Reading it." in text and "no such file" in text
    assert '```json\n[\n  {\n    "id": "toolu_1"' in text


def test_html_escapes_message_text(claude):
    page = export(th.CLAUDE_UUID, "html").decode()
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert "<script>" not in page
    assert "look &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<section ") == 5
    assert '<pre class="tool-calls">' in page


def test_unknown_format_is_refused(claude):
    with pytest.raises(ExportRefused, match="Unknown format"):
        export(th.CLAUDE_UUID, "pdf")
