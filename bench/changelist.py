"""The admin session changelist at 1,000,000 sessions; target: fast (each indexed page < 200 ms).

Times logged-in requests (unfiltered, by status, `id:<prefix>`, a bare id prefix, a word
of 200 sessions and a word of every session's title, through the full-text index:
reported, not held to the target) next to the bare `SELECT … LIMIT 100` and the full
`COUNT(*)` the paginator avoids on PostgreSQL (docs/foundation.md).
"""

from datetime import UTC, datetime, timedelta
from functools import partial

from bench import harness

STATUSES = ["pending", "running", "completed", "failed", "cancelled", "archived"]
SOURCES = ["native", "ao", "ao-rs", "minsky", "arawn"]
TARGET_SECONDS = 0.2


def sessions(count: int):
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(count):
        created = adapt(base + timedelta(minutes=i))
        yield {
            "id": f"{(i * 2654435761) % 2**32:08x}-{i}",
            "num": i,
            "title": f"bench session {i}",
            "status": STATUSES[i % 6],
            "is_terminated": i % 6 >= 2,
            "source": SOURCES[i % 5],
            "issue_id": str(i % 5000),
            "task_id": f"mt#{i % 20000}",
            "branch": f"feat/{i}",
            "created_at": created,
            "updated_at": created,
        }


def main(argv=None) -> None:
    with harness.scratch_run(__doc__, argv, rounds=5, rows=1_000_000) as args:
        from django.urls import reverse

        from sessions_app.models import Session

        loaded = harness.sessions_load(sessions(args.rows))
        harness.header(f"session changelist: {args.rows:,} sessions, loaded in {loaded:.1f} s")
        client = harness.admin_client()
        url = reverse("admin:sessions_app_session_changelist")
        prefix = Session.objects.order_by("-created_at").values_list("id", flat=True)[0][:5]
        page = partial(harness.page_measure, client, url)
        pages = {
            "changelist, unfiltered": page({}),
            "changelist, ?status__exact=failed": page({"status__exact": "failed"}),
            f"changelist, ?q=id:{prefix}": page({"q": f"id:{prefix}"}),
        }
        measures = {
            "floor: SELECT … LIMIT 100": harness.sql_measure(
                "SELECT * FROM sessions_app_session ORDER BY created_at DESC LIMIT 100"
            ),
            "reference: full SELECT COUNT(*)": harness.sql_measure(
                "SELECT COUNT(*) FROM sessions_app_session"
            ),
            **pages,
            f"changelist, ?q={prefix} (id prefix)": page({"q": prefix}),
            "changelist, ?q=4242 (word of 1 in 5,000)": page({"q": "4242"}),
            "changelist, ?q=session (word of all)": page({"q": "session"}),
        }
        figures = harness.measures_run(measures, rounds=args.rounds)
        harness.slowest_target(figures, pages, seconds=TARGET_SECONDS, what="each indexed page")


if __name__ == "__main__":
    main()
