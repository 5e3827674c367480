"""The admin session changelist at 1,000,000 sessions; target: fast (each indexed page < 200 ms).

    python -m bench.changelist [--rows 1000000] [--rounds 5] [--database-url …]

Loads the sessions (statuses, origins, a hex id prefix like a uuid's, one minute apart),
then times logged-in requests to the changelist: unfiltered, filtered by status, searched
by id prefix as `id:<prefix>` (one indexed field) and as a plain term (every search
field: reported, not held to the target). Next to them, in the same run: the floor, the
bare `SELECT … ORDER BY created_at DESC LIMIT 100` the page needs at least, and the full
`COUNT(*)` the paginator avoids on PostgreSQL. Every measure is warmed up once.
"""

import sys
from datetime import UTC, datetime, timedelta

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


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url):
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from projects_app.models import Workspace
        from sessions_app.models import Session

        setup_test_environment()  # the test client's host name is allowed
        workspace = Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)
        loaded = harness.rows_load(Session, sessions(args.rows), workspace=workspace.pk)
        harness.header(f"session changelist: {args.rows:,} sessions, loaded in {loaded:.1f} s")
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", password="-"))
        url = reverse("admin:sessions_app_session_changelist")
        prefix = Session.objects.order_by("-created_at").values_list("id", flat=True)[0][:5]

        def sql(statement):
            def query():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
                    return cursor.fetchall()

            return query

        def page(params):
            def get():
                assert client.get(url, params).status_code == 200

            return get

        pages = {
            "changelist, unfiltered": page({}),
            "changelist, ?status__exact=failed": page({"status__exact": "failed"}),
            f"changelist, ?q=id:{prefix}": page({"q": f"id:{prefix}"}),
        }
        measures = {
            "floor: SELECT … LIMIT 100": sql(
                "SELECT * FROM sessions_app_session ORDER BY created_at DESC LIMIT 100"
            ),
            "reference: full SELECT COUNT(*)": sql("SELECT COUNT(*) FROM sessions_app_session"),
            **pages,
            f"changelist, ?q={prefix} (plain term)": page({"q": prefix}),
        }
        figures = harness.measures_run(
            measures, reference="floor: SELECT … LIMIT 100", rounds=args.rounds
        )
        harness.slowest_target(figures, pages, seconds=TARGET_SECONDS, what="each indexed page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
