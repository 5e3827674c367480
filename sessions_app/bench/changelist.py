"""How fast is the admin session changelist with N sessions?

    python -m sessions_app.bench.changelist --rows 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sessionhub \\
        python -m sessions_app.bench.changelist

It works in a throw-away database (SQLite: a temporary file; PostgreSQL: `<name>_bench`,
dropped at the end), fills the Session table with one INSERT … SELECT over a generated
series, then times logged-in requests to the changelist (unfiltered, filtered by status,
searched by id prefix both as `id:<prefix>` and as a plain term) and counts their queries.
Next to them, measured in the same run: the bare `SELECT … LIMIT 100` the page needs at
least, and the full `COUNT(*)` the paginator avoids on PostgreSQL.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

STATUSES = ["pending", "running", "completed", "failed", "cancelled", "archived"]
SOURCES = ["native", "ao", "ao-rs", "minsky", "arawn"]

# Every NOT NULL column of sessions_app_session, as SQL over the series value `g`.
_COLUMNS = {
    "num": "g",
    "workspace_id": "%(workspace)s",
    "workstream_id": "'scratch'",
    "title": "'bench session ' || g",
    "display_name": "''",
    "prompt": "''",
    "status": "CASE g %% 6 {status_cases} END",
    "legacy_status": "''",
    "activity_state": "'idle'",
    "kind": "'worker'",
    "harness": "'claude-code'",
    "agent_session_id": "''",
    "issue_id": "CAST(g %% 5000 AS TEXT)",
    "issue_url": "''",
    "task_id": "'mt#' || (g %% 20000)",
    "branch": "'feat/' || g",
    "workspace_path": "''",
    "runtime_handle_id": "''",
    "skill_id": "''",
    "is_terminated": "(g %% 6 >= 2)",
    "source": "CASE g %% 5 {source_cases} END",
    "source_path": "''",
    "metadata": "'{{}}'",
}


def _fill_sql(vendor: str, rows: int) -> str:
    status_cases = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATUSES))
    source_cases = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(SOURCES))
    columns = {
        name: sql.format(
            status_cases=status_cases,
            source_cases=source_cases,
        )
        for name, sql in _COLUMNS.items()
    }
    if vendor == "postgresql":
        # A hex prefix like a uuid's, so that id-prefix searches are selective.
        columns["id"] = "substr(md5(g::text), 1, 8) || '-' || g"
        columns["created_at"] = "TIMESTAMPTZ '2024-01-01' + g * INTERVAL '1 minute'"
        series = f"generate_series(1, {rows}) AS s(g)"
        prefix = ""
    else:
        columns["id"] = "printf('%%08x', (g * 2654435761) %% 4294967296) || '-' || g"
        columns["created_at"] = (
            "strftime('%%Y-%%m-%%d %%H:%%M:%%S', 1704067200 + g * 60, 'unixepoch')"
        )
        series = "seq"
        prefix = (
            f"WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < {rows}) "
        )
    columns["updated_at"] = columns["created_at"]
    names = ", ".join(columns)
    values = ", ".join(columns.values())
    if vendor == "postgresql":
        return f"INSERT INTO sessions_app_session ({names}) SELECT {values} FROM {series}"
    # SQLite wants the CTE inside the INSERT's SELECT.
    return f"INSERT INTO sessions_app_session ({names}) {prefix}SELECT {values} FROM {series}"


def _timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time in ms over `repeat` runs (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def run(*, rows: int, repeat: int) -> list[tuple[str, float, str]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from projects_app.models import Workspace
    from sessions_app import paginators

    vendor = connection.vendor
    workspace = Workspace.objects.get(slug="default")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        workspace_value = workspace.id if vendor == "postgresql" else workspace.id.hex
        cursor.execute(_fill_sql(vendor, rows), {"workspace": workspace_value})
        cursor.execute("ANALYZE sessions_app_session" if vendor == "postgresql" else "ANALYZE")
    fill_ms = (time.perf_counter() - start) * 1000
    print(f"{vendor}: inserted {rows:,} sessions in {fill_ms / 1000:.1f} s (one INSERT … SELECT)")

    user = get_user_model().objects.create_superuser("bench", password="bench-pass-123")
    client = Client()
    client.force_login(user)
    url = reverse("admin:sessions_app_session_changelist")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM sessions_app_session ORDER BY created_at DESC LIMIT 1")
        prefix = cursor.fetchone()[0][:5]

    def raw(sql: str):
        def go():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

        return go

    figures = []
    baseline_ms, _ = _timed(
        raw("SELECT * FROM sessions_app_session ORDER BY created_at DESC LIMIT 100"), repeat
    )
    figures.append(
        ("baseline: bare SELECT * … ORDER BY created_at DESC LIMIT 100", baseline_ms, "1")
    )
    count_ms, _ = _timed(raw("SELECT COUNT(*) FROM sessions_app_session"), repeat)
    figures.append(("reference: full SELECT COUNT(*)", count_ms, "1"))

    for label, params in [
        ("changelist, unfiltered", {}),
        ("changelist, ?status__exact=failed", {"status__exact": "failed"}),
        (f"changelist, ?q=id:{prefix} (indexed id prefix)", {"q": f"id:{prefix}"}),
        (f"changelist, ?q={prefix} (plain: every search field)", {"q": prefix}),
    ]:

        def request(params=params):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            return queries

        ms, queries = _timed(request, repeat)
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        full_count = any(
            "WHERE" not in sql.upper() and "sessions_app_session" in sql for sql in counts
        )
        by_time = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
        note = f"{len(queries)} queries; full COUNT(*): {'yes' if full_count else 'no'}"
        figures.append((label, ms, note))
        # Where the time goes: the three slowest queries of the last timed request.
        for q in by_time[:3]:
            figures.append((f"    {q['sql'][:58]}", float(q["time"]) * 1000, ""))
    figures.append(
        ("(paginator exact-count threshold)", 0.0, f"{paginators.EXACT_COUNT_BELOW:,} rows")
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    tmp = Path(tempfile.mkdtemp(prefix="sessionhub-bench-"))
    os.environ.setdefault("SESSIONHUB_DATA_DIR", str(tmp))

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        db["TEST"]["NAME"] = str(tmp / "bench.sqlite3")
    else:
        # Never the pytest database (test_<name>): another process may be using it.
        db["TEST"]["NAME"] = f"{db['NAME']}_bench"
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        figures = run(rows=args.rows, repeat=args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"\n{'what':<62} {'median ms':>10}  notes")
    for label, ms, note in figures:
        print(f"{label:<62} {ms:>10.1f}  {note}")


if __name__ == "__main__":
    main()
