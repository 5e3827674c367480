"""The admin transcript viewer on a 50,000-line Claude Code session; target: each page < 200 ms.

Imports tests/sessions_app/transcript_corpus.py's session with `import_transcripts`, then
times the first page, a middle page and the jump to the first error next to the bare
`SELECT` of a page and the same admin page without a transcript (docs/transcripts.md).
"""

import sys
from functools import partial

from bench import harness

TARGET_SECONDS = 0.2


def main(argv=None) -> int:
    with harness.scratch_run(__doc__, argv, rounds=5, lines=50_000) as args:
        from django.core.management import call_command
        from django.db import connection
        from django.urls import reverse

        from projects_app.models import Message
        from sessions_app.models import Session
        from sessions_app.transcripts import transcript_cursor_encode
        from tests.sessions_app.transcript_corpus import SESSION_UUID, claude_transcript_write

        client = harness.admin_client()
        home = args.data_dir / "claude-home"
        corpus = claude_transcript_write(home, lines=args.lines)
        (args.data_dir / "no-codex").mkdir()
        _, imported = harness.timed(
            call_command, "import_transcripts", claude_home=str(home),
            codex_home=str(args.data_dir / "no-codex"), json=True,
            stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed at exit
        )  # fmt: skip
        session = Session.objects.get(agent_session_id=SESSION_UUID)
        messages = Message.objects.filter(conversation_id=session.conversation_id)
        total = messages.count()
        harness.header(
            f"transcript viewer: {corpus.lines:,} lines, {total:,} messages in the session's "
            f"conversation, imported in {imported:.1f} s"
        )
        middle = messages.order_by("created_at", "id").values_list("created_at", "id")[total // 2]
        middle_cursor = transcript_cursor_encode(created_at=middle[0], pk=middle[1])
        url = reverse("admin:sessions_app_session_change", args=[session.pk])
        field = Message._meta.get_field("conversation")
        floor = harness.sql_measure(
            f"SELECT id, role, content, tool_calls, tool_call_id, tokens_used, created_at "
            f"FROM {connection.ops.quote_name(Message._meta.db_table)} "
            f"WHERE conversation_id = %s AND created_at > %s ORDER BY created_at, id LIMIT 51",
            [field.get_db_prep_value(session.conversation_id, connection),
             connection.ops.adapt_datetimefield_value(middle[0])],
        )  # fmt: skip
        page = partial(harness.page_measure, client, url)
        # The same admin page for a session without a transcript: what the viewer adds.
        empty = Session.objects.get(pk=session.pk)
        empty.pk, empty.conversation_id, empty.agent_session_id = "bench-empty", None, ""
        empty.save(force_insert=True)
        empty_url = reverse("admin:sessions_app_session_change", args=[empty.pk])
        measures = {
            "floor: bare SELECT of a page (LIMIT 51)": floor,
            "reference: session page, no transcript": harness.page_measure(client, empty_url, {}),
            "session page, first page": page({}, "Step 0:"),
            "session page, middle page": page({"t_after": middle_cursor}, "Step "),
            "session page, jump to the first error": page({"t_error": "1"}, "toolu_error_first"),
        }
        figures = harness.measures_run(measures, rounds=args.rounds)
        harness.slowest_target(
            figures, list(measures)[2:], seconds=TARGET_SECONDS, what="each page"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
