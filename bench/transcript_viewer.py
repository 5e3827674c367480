"""The admin transcript viewer on a 50,000-line Claude Code session; target: each page < 200 ms.

    python -m bench.transcript_viewer [--lines 50000] [--rounds 5] [--database-url …]

Writes a Claude Code transcript of `--lines` lines (tests/sessions_app/transcript_corpus.py:
prompts, streamed assistant messages with thinking and tool calls, results, one error 60%
of the way in, hidden record types, two subagents), imports it with the real
`import_transcripts` command, then times logged-in requests to the session page: the first
page, a middle page (a keyset cursor half-way) and the jump to the first error. Next to
them, in the same run: the floor, the bare `SELECT … LIMIT 51` of the middle page's rows
from the same index, which the page needs at least, and the same admin page for a session
without a transcript (what the viewer adds is the difference). Every measure is warmed up
once.
"""

import sys

from bench import harness

TARGET_SECONDS = 0.2


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=5)
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as tmp:
        import time

        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from projects_app.models import Message
        from sessions_app.models import Session
        from sessions_app.transcripts import transcript_cursor_encode
        from tests.sessions_app.transcript_corpus import SESSION_UUID, claude_transcript_write

        setup_test_environment()  # the test client's host name is allowed
        home = tmp / "claude-home"
        corpus = claude_transcript_write(home, lines=args.lines)
        (tmp / "no-codex").mkdir()
        started = time.perf_counter()
        call_command(
            "import_transcripts", claude_home=str(home), codex_home=str(tmp / "no-codex"),
            json=True, stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed at exit
        )  # fmt: skip
        imported = time.perf_counter() - started
        session = Session.objects.get(agent_session_id=SESSION_UUID)
        messages = Message.objects.filter(conversation_id=session.conversation_id)
        total = messages.count()
        harness.header(
            f"transcript viewer: {corpus.lines:,} lines, {total:,} messages in the session's "
            f"conversation, imported in {imported:.1f} s"
        )
        middle = messages.order_by("created_at", "id").values_list("created_at", "id")[total // 2]
        middle_cursor = transcript_cursor_encode(created_at=middle[0], pk=middle[1])
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", password="-"))
        url = reverse("admin:sessions_app_session_change", args=[session.pk])
        table = connection.ops.quote_name(Message._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        field = Message._meta.get_field("conversation")
        conversation = field.get_db_prep_value(session.conversation_id, connection)

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, role, content, tool_calls, tool_call_id, tokens_used, created_at "
                    f"FROM {table} WHERE conversation_id = %s AND created_at > %s "
                    f"ORDER BY created_at, id LIMIT 51",
                    [conversation, adapt(middle[0])],
                )  # fmt: skip
                return cursor.fetchall()

        def page(params, expect):
            def get():
                response = client.get(url, params)
                assert response.status_code == 200 and expect in response.content.decode()

            return get

        # The same admin page for a session without a transcript: what the viewer adds.
        empty = Session.objects.get(pk=session.pk)
        empty.pk, empty.conversation_id, empty.agent_session_id = "bench-empty", None, ""
        empty.save(force_insert=True)
        empty_url = reverse("admin:sessions_app_session_change", args=[empty.pk])

        def without_transcript():
            assert client.get(empty_url).status_code == 200

        error = "toolu_error_first"
        measures = {
            "floor: bare SELECT of a page (LIMIT 51)": floor,
            "reference: session page, no transcript": without_transcript,
            "session page, first page": page({}, "Step 0:"),
            "session page, middle page": page({"t_after": middle_cursor}, "Step "),
            "session page, jump to the first error": page({"t_error": "1"}, error),
        }
        figures = harness.measures_run(
            measures, reference="floor: bare SELECT of a page (LIMIT 51)", rounds=args.rounds
        )
        harness.slowest_target(
            figures, list(measures)[2:], seconds=TARGET_SECONDS, what="each page"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
