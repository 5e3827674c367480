"""The transcript on the admin session page, over HTTP: the viewer's controls, its
queries per page, and the Download buttons (export service; 403 without the view
permission)."""

import base64
import json

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app.models import Session
from tests.factories import ConversationFactory, MessageFactory, SessionFactory, StaffFactory
from tests.migration_app.transcript_helpers import homes, transcripts_run
from tests.sessions_app.transcript_corpus import (
    ERROR_CALL,
    SESSION_UUID,
    claude_transcript_write,
)

pytestmark = pytest.mark.django_db


def imported(tmp_path, lines: int, uuid: str = SESSION_UUID, **kwargs):
    claude, _ = homes(tmp_path)
    corpus = claude_transcript_write(claude, lines=lines, uuid=uuid, **kwargs)
    transcripts_run(tmp_path)
    return corpus, Session.objects.get(agent_session_id=uuid)


def change_url(session) -> str:
    return reverse("admin:sessions_app_session_change", args=[session.pk])


def download_url(session, fmt: str) -> str:
    name = "admin:sessions_app_session_transcript_download"
    return reverse(name, args=[session.pk, fmt])


def test_a_turn_shows_how_many_of_its_cache_writes_were_1_hour_ones(staff_client):
    conversation = ConversationFactory()
    session = SessionFactory(conversation=conversation, workspace=conversation.workspace)
    split = {"input": 3, "output": 4, "cache_write": 1000, "cache_write_1h": 600}
    MessageFactory(conversation=conversation, role="assistant", content="split",
                   extra_data={"usage": split})  # fmt: skip
    MessageFactory(conversation=conversation, role="assistant", content="total only",
                   extra_data={"usage": {"input": 3, "output": 4, "cache_write": 900}})  # fmt: skip
    html = staff_client.get(change_url(session)).content.decode()
    assert "3 in / 4 out / 1000 cache write (600 of them 1-hour)" in html
    assert "3 in / 4 out / 900 cache write</span>" in html


def test_the_session_page_shows_its_conversation_with_its_controls(
    tmp_path, data_dir, staff_client
):
    _, session = imported(tmp_path, 700, subagent_turns=3)
    html = staff_client.get(change_url(session)).content.decode()
    assert 'id="transcript"' in html
    assert "Step 0: run the checks of module 0." in html
    assert "Module 0 first." in html  # thinking, folded
    assert "1200 in / 60 out / 9000 cache read / 300 cache write" in html
    assert "claude-sonnet-4-5" in html
    assert "ok: module_0 passed" in html  # the result beneath its call
    assert "bash_progress" not in html and "hidden record" not in html
    for control in ("transcript-newer", "transcript-error", "transcript-hidden",
                    "transcript-unfold", "transcript-fold"):  # fmt: skip
        assert control in html
    assert html.count('class="button transcript-download"') == 3
    assert "transcript-older" not in html


def test_newer_older_jump_and_hidden_links_lead_where_they_say(tmp_path, data_dir, staff_client):
    _, session = imported(tmp_path, 700, subagents=0)
    url = change_url(session)
    first = staff_client.get(url).context["transcript"]
    second = staff_client.get(url + first["newer_url"].split("#")[0]).context["transcript"]
    assert second["page"].turns[0].message.created_at >= first["page"].turns[-1].message.created_at
    back = staff_client.get(url + second["older_url"].split("#")[0]).context["transcript"]
    assert [t.message.pk for t in back["page"].turns] == [t.message.pk for t in first["page"].turns]
    jump = staff_client.get(url, {"t_error": "1"})
    html = jump.content.decode()
    assert ERROR_CALL in html and "exit 1: module_" in html
    assert 'transcript-result failed" id="m-' in html and " open>" in html
    shown = staff_client.get(url, {"t_hidden": "1"}).content.decode()
    assert "hidden record <code>progress</code>" in shown
    assert "Hide records of unknown types" in shown


def test_a_result_whose_call_ends_a_page_is_shown_once(tmp_path, data_dir, staff_client):
    _, session = imported(tmp_path, 700, subagents=0)
    url = change_url(session)
    first = staff_client.get(url)
    # 50 messages a page, 3 shown a cycle: the first page ends with the call of cycle 16.
    assert first.context["transcript"]["page"].turns[-1].calls[0]["id"] == "toolu_16"
    second = staff_client.get(url + first.context["transcript"]["newer_url"].split("#")[0])
    result = "ok: module_16 passed (16 tests)"
    pages = [first.content.decode(), second.content.decode()]
    assert [html.count(result) for html in pages] == [1, 0]
    # Back from the page after: the first page again, with the result beneath its call.
    back = staff_client.get(url + second.context["transcript"]["older_url"].split("#")[0])
    assert back.content.decode().count(result) == 1


def test_the_hidden_records_toggle_keeps_the_jump_to_the_first_error(
    tmp_path, data_dir, staff_client
):
    corpus, session = imported(tmp_path, 700, subagents=0)
    url = change_url(session)
    failed = f"exit 1: module_{corpus.error_turn} failed"
    jump = staff_client.get(url, {"t_error": "1"}).context["transcript"]
    assert "t_error=1" in jump["hidden_url"]
    shown = staff_client.get(url + jump["hidden_url"].split("#")[0])
    html = shown.content.decode()
    assert "hidden record <code>progress</code>" in html
    assert failed in html and 'transcript-result failed" id="m-' in html and " open>" in html
    page = shown.context["transcript"]["page"]
    assert page.error_id is not None and page.show_hidden
    hidden = staff_client.get(url + shown.context["transcript"]["hidden_url"].split("#")[0])
    html = hidden.content.decode()
    assert "hidden record" not in html and failed in html
    # Hidden again: the jump's page as it was.
    again = hidden.context["transcript"]["page"].turns
    assert [t.message.pk for t in again] == [t.message.pk for t in jump["page"].turns]


def test_a_made_up_cursor_shows_the_first_page_with_a_note(tmp_path, data_dir, staff_client):
    _, session = imported(tmp_path, 70, subagents=0)
    response = staff_client.get(change_url(session), {"t_after": "nonsense"})
    assert response.status_code == 200
    assert "Not a cursor of this transcript" in response.content.decode()
    assert "Step 0:" in response.content.decode()


@pytest.mark.parametrize("params", [{}, {"t_error": "1"}, {"t_hidden": "1"}])
def test_queries_per_page_do_not_grow_with_the_transcript(tmp_path, data_dir, staff_client, params):
    def count(lines, n, subagents):
        uuid = f"0b5e3c1a-0000-4000-8000-{n:012d}"
        _, session = imported(tmp_path, lines, uuid, subagents=subagents)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(change_url(session), params).status_code == 200
        return len(queries)

    plain = count(350, 1, 0)
    assert plain == count(3500, 2, 0)
    # Subagents that start within the page cost one query more, for all of them.
    assert plain <= count(350, 3, 2) <= plain + 1
    assert plain <= count(3500, 4, 2) <= plain + 1


def test_download_jsonl_gives_the_original_bytes(tmp_path, data_dir, staff_client):
    corpus, session = imported(tmp_path, 140, subagents=0)
    response = staff_client.get(download_url(session, "jsonl"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert f'filename="session-{session.pk}.jsonl"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == corpus.path.read_bytes()


@pytest.mark.parametrize("fmt, kind", [("markdown", "text/markdown"), ("html", "text/html")])
def test_download_readable_renderings(tmp_path, data_dir, staff_client, fmt, kind):
    _, session = imported(tmp_path, 140, subagents=0)
    response = staff_client.get(download_url(session, fmt))
    assert response.status_code == 200 and response["Content-Type"].startswith(kind)
    text = b"".join(response.streaming_content).decode()
    assert "Step 0: run the checks of module 0." in text and "claude-sonnet-4-5" in text


def test_download_without_the_view_permission_is_403(tmp_path, data_dir, client):
    _, session = imported(tmp_path, 70, subagents=0)
    client.force_login(StaffFactory(username="no-perms", is_superuser=False))
    for fmt in ("jsonl", "markdown", "html"):
        assert client.get(download_url(session, fmt)).status_code == 403


def test_download_with_only_the_view_permission(tmp_path, data_dir, client):
    _, session = imported(tmp_path, 70, subagents=0)
    viewer = StaffFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_session", content_type__app_label="sessions_app")
    )
    client.force_login(viewer)
    assert client.get(download_url(session, "html")).status_code == 200
    assert client.get(change_url(session)).status_code == 200


def test_download_of_an_unknown_format_or_session_is_404(tmp_path, data_dir, staff_client):
    _, session = imported(tmp_path, 70, subagents=0)
    assert staff_client.get(download_url(session, "pdf")).status_code == 404
    missing = reverse("admin:sessions_app_session_transcript_download", args=["nope", "jsonl"])
    assert staff_client.get(missing).status_code == 404


def test_jsonl_of_a_session_never_imported_is_refused_with_a_message(staff_client):
    session = SessionFactory()
    response = staff_client.get(download_url(session, "jsonl"), follow=True)
    assert response.redirect_chain[-1][0] == change_url(session)
    assert "has no archived transcript to export" in response.content.decode()


@pytest.mark.parametrize(
    "stamp, shown",
    [("2026-03-01T09:00:00+23:59", "Step 0:"), ("0001-01-01T00:00:00+01:00", "Not a cursor")],
)
def test_a_cursor_with_an_unusual_offset_is_never_a_500(tmp_path, data_dir, staff_client,
                                                        stamp, shown):  # fmt: skip
    """Python reads offsets of up to ±23:59 that PostgreSQL refuses: the viewer compares the
    cursor's time in UTC, and one that leaves the datetime range in UTC is not a cursor."""
    _, session = imported(tmp_path, 70, subagents=0)
    pair = json.dumps([stamp, "00000000-0000-4000-8000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(pair).decode().rstrip("=")
    response = staff_client.get(change_url(session), {"t_after": cursor})
    assert response.status_code == 200
    assert shown in response.content.decode()
