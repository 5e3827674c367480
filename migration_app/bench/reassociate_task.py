"""Benchmark: re-associate a task whose sessions are 10,000 of 1,000,000.

    python -m migration_app.bench.reassociate_task                      # SQLite (temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sessionhub_bench \\
        python -m migration_app.bench.reassociate_task                  # PostgreSQL

The database must be a scratch one: the script migrates it, deletes every session in it,
loads the rows (executemany on SQLite, COPY on PostgreSQL) and times, on the same rows:

- baseline: one raw `UPDATE ... WHERE task_id IN (...)` of the matching rows, rolled back;
- the service's dry run, real run (batches, compare-and-set, journal) and undo.

Half the matching sessions store the plain id (`123`), half the qualified one (`md#123`).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--matching", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
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


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    where = setup_django()
    from django.db import connection

    from migration_app.services import migration_undo
    from migration_app.services.task_reassociation import reassociate_task
    from sessions_app.models import Session
    from sessions_app.selectors import find_sessions_by_task_id

    load_seconds = load(args.sessions, args.matching)
    options = {"old_task_id": "md#123", "new_task_id": "mt#123", "batch_size": args.batch_size}
    figures = {"database": f"{connection.vendor} ({where})", "sessions": args.sessions}
    # The machine may be shared: the load puts the seconds in context.
    figures["load_average_1min"] = os.getloadavg()[0]
    figures["load_seconds"] = load_seconds
    figures["find_count_seconds"], found = timed(
        lambda: find_sessions_by_task_id(task_id="md#123").count()
    )
    figures["matching"] = found
    figures["baseline_raw_update_seconds"], baseline_rows = baseline_update()
    figures["dry_run_seconds"], dry = timed(lambda: reassociate_task(dry_run=True, **options))
    figures["reassociate_seconds"], run = timed(lambda: reassociate_task(**options))
    figures["undo_seconds"], _ = timed(lambda: migration_undo(run=run))
    figures["ratio_to_baseline"] = figures["reassociate_seconds"] / max(
        figures["baseline_raw_update_seconds"], 1e-9
    )

    # The figures only count if the work was done.
    assert baseline_rows == found == args.matching, (baseline_rows, found)
    assert dry.counts["sessions_would_update"] == args.matching
    assert run.counts["sessions_updated"] == args.matching, run.counts
    assert Session.objects.filter(task_id="mt#123").count() == 0  # undone
    assert find_sessions_by_task_id(task_id="md#123").count() == args.matching

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"database: {figures['database']}")
        print(f"load average (1 min) at start: {figures['load_average_1min']:.2f}")
        print(
            f"sessions: {args.sessions:,}, matching md#123: {found:,} (half plain, half qualified)"
        )
        print(f"load (executemany/COPY):            {load_seconds:8.2f} s")
        print(f"find_sessions_by_task_id().count(): {figures['find_count_seconds']:8.3f} s")
        print(
            f"baseline: one raw UPDATE:           {figures['baseline_raw_update_seconds']:8.3f} s"
        )
        print(f"reassociate_task dry run:           {figures['dry_run_seconds']:8.3f} s")
        print(
            f"reassociate_task (real run):          {figures['reassociate_seconds']:8.3f} s"
            f"   ({figures['ratio_to_baseline']:.1f}x baseline; target < 2 s)"
        )
        print(f"undo:                               {figures['undo_seconds']:8.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
