"""Benchmark: re-associate a task whose sessions are 10,000 of 1,000,000.

    python -m migration_app.bench.reassociate_task                      # SQLite (temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sessionhub_bench \\
        python -m migration_app.bench.reassociate_task                  # PostgreSQL

The database must be a scratch one: the script migrates it, deletes every session in it,
loads the rows (executemany on SQLite, COPY on PostgreSQL) and times, on the same rows:

- baseline: one raw `UPDATE ... WHERE task_id IN (...)` of the matching rows, rolled back;
- the service's dry run, real run (batches, compare-and-set, journal) and undo.

Each round leaves the rows as it found them, so `--repeat N` times N rounds on one load and
prints the median and the best of each measure.

Half the matching sessions store the plain id (`123`), half the qualified one (`md#123`).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--matching", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds on the same rows")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the rows of an earlier run of this script"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def setup_django() -> str:
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="bench-reassociate-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        os.environ.setdefault("SESSIONHUB_DATA_DIR", str(path.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"].split("@")[-1]  # no credentials in the output


def session_rows(n_sessions: int, n_matching: int):
    """Rows in the table's column order; the first n_matching sessions point at md#123."""
    from django.db import connection
    from django.utils import timezone

    from projects_app.models import Workspace
    from sessions_app.models import Session

    workspace_id = Workspace.objects.get(slug=Workspace.DEFAULT_SLUG).pk
    fields = Session._meta.concrete_fields
    now = timezone.now()
    template = {}
    for field in fields:
        value = field.get_default()
        if field.column in ("created_at", "updated_at"):
            value = now
        template[field.column] = field.get_db_prep_save(value, connection)
    template["workspace_id"] = field_prep(Session, "workspace", workspace_id)
    template["metadata"] = "{}"
    columns = [field.column for field in fields]
    id_at = columns.index("id")
    task_at = columns.index("task_id")
    num_at = columns.index("num")
    base = [template[column] for column in columns]
    # Spread the matching rows over the id range so batches interleave with other rows.
    step = max(1, n_sessions // max(1, n_matching))

    def rows():
        matched = 0
        for i in range(n_sessions):
            row = list(base)
            row[id_at] = f"bench-{i:08d}"
            row[num_at] = i
            if i % step == 0 and matched < n_matching:
                row[task_at] = "123" if matched % 2 else "md#123"
                matched += 1
            else:
                row[task_at] = f"mt#{1000 + i}"
            yield row

    return columns, rows()


def field_prep(model, name, value):
    from django.db import connection

    return model._meta.get_field(name).get_db_prep_save(value, connection)


def load(n_sessions: int, n_matching: int) -> float:
    from django.db import connection, transaction

    from migration_app.models import MigrationRun
    from sessions_app.models import Session

    MigrationRun.objects.all().delete()
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    columns, rows = session_rows(n_sessions, n_matching)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            column_list = ", ".join(columns)
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(columns))
            cursor.cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def reusable(args) -> bool:
    """True when the database holds exactly the rows this script would load."""
    from sessions_app.models import Session
    from sessions_app.selectors import find_sessions_by_task_id

    return (
        Session.objects.count() == args.sessions
        and Session.objects.filter(pk__startswith="bench-").count() == args.sessions
        and find_sessions_by_task_id(task_id="md#123").count() == args.matching
    )


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def baseline_update() -> tuple[float, int]:
    """One raw UPDATE of the matching rows (no journal, no checks), rolled back."""
    from django.db import connection, transaction

    from sessions_app.models import Session
    from sessions_app.task_ids import stored_forms

    forms = stored_forms("md#123")
    marks = ", ".join(["%s"] * len(forms))
    sql = f"UPDATE {Session._meta.db_table} SET task_id = %s WHERE task_id IN ({marks})"
    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, ["mt#123", *forms])
            elapsed = time.perf_counter() - started
            count = cursor.rowcount
        transaction.set_rollback(True)
    return elapsed, count


MEASURES = [
    ("find_count", "find_sessions_by_task_id().count()"),
    ("baseline", "baseline: one raw UPDATE"),
    ("dry_run", "reassociate_task dry run"),
    ("reassociate", "reassociate_task (real run)"),
    ("undo", "undo"),
]


def measure_once(args) -> dict[str, float]:
    """One round on the loaded rows; it leaves them as it found them (undo, rollback)."""
    from migration_app.services import migration_undo
    from migration_app.services.task_reassociation import reassociate_task
    from sessions_app.models import Session
    from sessions_app.selectors import find_sessions_by_task_id

    options = {"old_task_id": "md#123", "new_task_id": "mt#123", "batch_size": args.batch_size}
    seconds = {}
    seconds["find_count"], found = timed(lambda: find_sessions_by_task_id(task_id="md#123").count())
    seconds["baseline"], baseline_rows = baseline_update()
    seconds["dry_run"], dry = timed(lambda: reassociate_task(dry_run=True, **options))
    seconds["reassociate"], run = timed(lambda: reassociate_task(**options))
    seconds["undo"], _ = timed(lambda: migration_undo(run=run))

    # The figures only count if the work was done.
    assert baseline_rows == found == args.matching, (baseline_rows, found)
    assert dry.counts["sessions_would_update"] == args.matching
    assert run.counts["sessions_updated"] == args.matching, run.counts
    assert Session.objects.filter(task_id="mt#123").count() == 0  # undone
    assert find_sessions_by_task_id(task_id="md#123").count() == args.matching
    return seconds


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    where = setup_django()
    from django.db import connection

    reuse = args.reuse and reusable(args)
    load_seconds = 0.0 if reuse else load(args.sessions, args.matching)
    rounds = []
    for _ in range(args.repeat):
        # The machine may be shared: the load average puts the seconds in context.
        load_average = os.getloadavg()[0]
        rounds.append({**measure_once(args), "load_average_1min": load_average})
    figures = {
        "database": f"{connection.vendor} ({where})",
        "sessions": args.sessions,
        "matching": args.matching,
        "batch_size": args.batch_size,
        "load_seconds": load_seconds,
        "rounds": rounds,
        "median": {key: statistics.median(r[key] for r in rounds) for key, _ in MEASURES},
        "best": {key: min(r[key] for r in rounds) for key, _ in MEASURES},
    }

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"database: {figures['database']}")
    print(
        f"sessions: {args.sessions:,}, matching md#123: {args.matching:,}"
        " (half stored plain, half qualified)"
    )
    print(f"load (executemany/COPY): {load_seconds:.1f} s")
    loads = ", ".join(f"{r['load_average_1min']:.1f}" for r in rounds)
    print(f"{len(rounds)} round(s); 1-min load average before each: {loads}")
    print(f"{'seconds':38} {'median':>8} {'best':>8}   every round")
    for key, label in MEASURES:
        every = " ".join(f"{r[key]:.3f}" for r in rounds)
        print(f"{label:38} {figures['median'][key]:8.3f} {figures['best'][key]:8.3f}   {every}")
    ratio = figures["median"]["reassociate"] / max(figures["median"]["baseline"], 1e-9)
    print(f"re-associate / baseline (medians): {ratio:.1f}x; target: re-associate < 2 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
