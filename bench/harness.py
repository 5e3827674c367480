"""What the benchmarks share: a scratch database, timed rounds, figures next to a floor.

Every benchmark takes `--database-url postgres://…/NAME` (a scratch database: it is
dropped if it exists, created, migrated, and dropped at the end) or, without it, uses a
fresh SQLite file in a temporary directory, which is also the data directory. Settings
are production's (DEBUG off: nothing is logged per query). Each measure runs `--rounds`
times; the median is printed next to the floor (or baseline) measured in the same run,
per item, with the load average: the machine may be shared, and a ratio within one run
says more than a time.
"""

import argparse
import cProfile
import itertools
import json
import os
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migration_app.legacy.sqlite_files import sqlite_readonly_connect


def arguments(doc: str, *, rounds: int = 3, **defaults: Any) -> argparse.ArgumentParser:
    """The common options, then `--<name>` of each of `defaults` ({name: default}, typed as
    its default)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (recreated)")
    parser.add_argument("--rounds", type=int, default=rounds, help="timed rounds (median)")
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return parser


@contextmanager
def scratch_run(doc: str, argv, *, rounds: int = 3, **defaults: Any) -> Iterator[Any]:
    """The options parsed (`arguments`), then a scratch database: yields the options, with
    its data directory as `data_dir`."""
    args = arguments(doc, rounds=rounds, **defaults).parse_args(argv)
    with scratch_database(args.database_url) as args.data_dir:
        yield args


@contextmanager
def scratch_database(database_url: str | None) -> Iterator[Path]:
    """Django set up on a fresh, migrated scratch database; yields the data directory."""
    tmp = Path(tempfile.mkdtemp(prefix="sessionhub-bench-"))
    os.environ.update(SESSIONHUB_DATA_DIR=str(tmp), DEBUG="")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + uuid.uuid4().hex)  # signs nothing
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield tmp
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def header(title: str) -> None:
    from django.db import connection

    print(title)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); {load_average()}")


class Figures:
    """Seconds of each measure over the rounds, printed as medians next to the reference's."""

    def __init__(self, *, reference: str) -> None:
        self.reference = reference  # the floor (or baseline) the others are compared with
        self.seconds: dict[str, list[float]] = {}
        self.items: dict[str, int] = {}
        self.queries: dict[str, int] = {}

    def time(self, label: str, work: Callable[[], Any], *, items: int = 1) -> Any:
        """Run `work` once, timed; `items` is what it handled (figures compare per item)."""
        with queries_counted() as queries:
            result, elapsed = timed(work)
        self.record(label, elapsed, items=items, queries=len(queries))
        return result

    def record(self, label: str, seconds: float, *, items: int, queries: int) -> None:
        self.seconds.setdefault(label, []).append(seconds)
        self.items[label], self.queries[label] = items, queries

    def median(self, label: str) -> float:
        return statistics.median(self.seconds[label])

    def ratio(self, label: str, other: str) -> float:
        return self.median(label) / self.median(other)

    def ratio_target(self, text: str, label: str, other: str, *, at_most=None, at_least=None):
        """The target on `label`'s median over `other`'s; `text` formats the ratio."""
        ratio = self.ratio(label, other)
        met = ratio <= at_most if at_most is not None else ratio >= at_least
        target(text.format(ratio), met=met)

    def per_item(self, label: str) -> float:
        return self.median(label) / max(self.items[label], 1)

    def print(self) -> None:
        reference = self.per_item(self.reference)
        print(f"{'':44} {'items':>8} {'median':>10} {'best':>10} {'queries':>8} {'x ref':>8}")
        for label, seconds in self.seconds.items():
            print(
                f"{label:44} {self.items[label]:>8} {_duration(self.median(label))} "
                f"{_duration(min(seconds))} {self.queries[label]:>8} "
                f"{self.per_item(label) / reference:>7.2f}x"
            )
        rounds = max(len(seconds) for seconds in self.seconds.values())
        print(
            f"(median of {rounds} round(s); queries: statements through Django's cursor, last "
            f"round; x ref: time per item against '{self.reference}')"
        )
        print(f"after: {load_average()}")


def measures_run(measures: dict[str, Callable[[], Any]], *, rounds: int):
    """Each measure warmed up once, then timed `rounds` times in turn; printed (against the
    first); returned."""
    for measure in measures.values():
        measure()
    figures = Figures(reference=next(iter(measures)))
    for _ in range(rounds):
        for label, measure in measures.items():
            figures.time(label, measure)
    figures.print()
    return figures


def slowest_target(figures: Figures, labels, *, seconds: float, what: str) -> None:
    """The target "each of `labels` < `seconds`", met or missed by the slowest median."""
    slowest = max(figures.median(label) for label in labels)
    target(
        f"{what} < {seconds * 1000:.0f} ms (slowest {slowest * 1000:.0f} ms)",
        met=slowest < seconds,
    )


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms" if seconds < 1 else f"{seconds:7.2f} s "


def target(text: str, *, met: bool) -> None:
    print(f"target: {text}: {'met' if met else 'MISSED'}")


@contextmanager
def queries_counted() -> Iterator[list]:
    """Yields a list that gains an entry for each statement through Django's cursor."""
    from django.db import connection

    queries: list[None] = []

    def count(execute, *args):
        queries.append(None)
        return execute(*args)

    with connection.execute_wrapper(count):
        yield queries


def timed(work: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """`work(*args, **kwargs)`'s result and the seconds it took."""
    started = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def default_workspace():
    from projects_app.models import Workspace

    return Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)


def admin_client():
    """A test client logged in as a new superuser, `bench`."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", password="-"))
    return client


def per_batch(write: Callable[[Any], Any], items: list, size: int) -> Callable[[], None]:
    """A measure: `write(batch)` of each `size` of `items` in turn, one transaction per batch
    as a run commits."""
    from django.db import transaction

    def measure():
        for start in range(0, len(items), size):
            with transaction.atomic():
                write(items[start : start + size])

    return measure


def sql_measure(statement: str, params=None) -> Callable[[], list]:
    """A measure: `statement` through Django's cursor, every row fetched."""
    from django.db import connection

    def query():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    return query


def page_measure(client, url: str, params: dict, expect: str = "") -> Callable[[], None]:
    """A measure: GET `url` with `params`, which answers 200 (with `expect` in the page)."""

    def get():
        response = client.get(url, params)
        assert response.status_code == 200
        assert not expect or expect in response.content.decode()

    return get


def legacy_import(source: str, location: str, *, batch_size: int, **options):
    """`migrate_legacy --source <source>` as the command dispatches it; returns the run."""
    from migration_app.dispatch import migration_run_dispatch
    from migration_app.models import MigrationRun

    return migration_run_dispatch(
        kind=MigrationRun.Kind.LEGACY_IMPORT, source=source, location=location,
        batch_size=batch_size, **options,
    )  # fmt: skip


def transcripts_import(claude_home, codex_home):
    """`import_transcripts` as the command dispatches it, in this process; returns the run."""
    from migration_app.dispatch import migration_run_dispatch
    from migration_app.models import MigrationRun

    return migration_run_dispatch(
        kind=MigrationRun.Kind.IMPORT_TRANSCRIPTS, claude_home=claude_home, codex_home=codex_home
    )


def forked(work, profile: str | None = None) -> dict:
    """Run `work()` in a forked child (its own connection and peak RSS); returns its JSON
    result with `seconds`, `queries` and `rss_mb`."""
    from django.db import connections

    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        code = 0
        try:
            with queries_counted() as queries:
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    result, seconds = timed(profiler.runcall, work)
                else:
                    result, seconds = timed(work)
            if profiler:
                profiler.dump_stats(profile)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            result.update(seconds=seconds, queries=len(queries), rss_mb=usage.ru_maxrss / 1024,
                          cpu=usage.ru_utime + usage.ru_stime)  # fmt: skip
            os.write(write, json.dumps(result).encode())
        except BaseException as exc:  # reported by the parent
            os.write(write, json.dumps({"error": repr(exc)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    result = json.loads(data or b'{"error": "the child died"}')
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


STORAGE_FLOOR = "storage floor (same rows, bulk writer)"


def import_round(figures: Figures, *, floor: Callable[[], Any], run: Callable[[], Any], items):
    """One round of a legacy import's benchmark: "floor", "first import", "re-run (all
    skipped)"; returns the floor's result and the two runs. The caller undoes the first,
    or, after the last round, measures the storage floor of its rows (storage_floor_time)."""
    floor_result = figures.time("floor", floor, items=items)
    first = figures.time("first import", run, items=items)
    return floor_result, first, figures.time("re-run (all skipped)", run, items=items)


def import_targets(figures: Figures, *, first: str = "first import") -> None:
    """The legacy imports' targets: first import ≤ 2x the floor, re-run ≤ 1x."""
    storage_floor_print(figures, first=first)
    figures.ratio_target("first import ≤ 2x the floor ({:.2f}x)", first, "floor", at_most=2)
    rerun = "re-run (all skipped)"
    figures.ratio_target("re-run ≤ 1x the floor ({:.2f}x)", rerun, "floor", at_most=1)


def storage_floor_print(figures: Figures, *, first: str = "first import") -> None:
    if STORAGE_FLOOR in figures.seconds:
        per_item = figures.per_item(STORAGE_FLOOR)
        print(
            f"first import / storage floor: {figures.per_item(first) / per_item:.2f}x; "
            f"storage floor / floor: {per_item / figures.per_item(figures.reference):.2f}x "
            "(per item)"
        )
        unindexed = "storage floor without the search index"
        print(
            f"storage floor with / without the search index: "
            f"{per_item / figures.per_item(unindexed):.2f}x; without it / floor: "
            f"{figures.per_item(unindexed) / figures.per_item(figures.reference):.2f}x"
        )


def floor_sqlite(path) -> sqlite3.Connection:
    """A fresh SQLite file for a floor: autocommit (the floor says BEGIN), WAL."""
    Path(path).unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def sqlite_copy(source, dest, selects: dict[str, str]) -> int:
    """The floor of an import from SQLite: each `selects` {table: SELECT} of `source` read
    with sqlite3 and inserted with executemany into a bare table of `dest` (recreated), in
    one transaction; returns the rows."""
    reader = sqlite_readonly_connect(source)
    writer = floor_sqlite(dest)
    rows = 0
    writer.execute("BEGIN")
    for table, select in selects.items():
        cursor = reader.execute(select)
        names = [f'"{d[0]}"' for d in cursor.description]
        writer.execute(f"CREATE TABLE {table} ({', '.join(names)})")
        marks = ", ".join("?" * len(names))
        rows += writer.executemany(f"INSERT INTO {table} VALUES ({marks})", cursor).rowcount
    writer.execute("COMMIT")
    reader.close()
    writer.close()
    return rows


def sessions_load(rows: Iterable[dict[str, Any]]) -> float:
    """`rows_load` of sessions in the default workspace."""
    from sessions_app.models import Session

    return rows_load(Session, rows, workspace=default_workspace().pk)


def rows_load(model, rows: Iterable[dict[str, Any]], *, batch: int = 10_000, **fixed) -> float:
    """Insert rows with projects_app/bulk.py's writer (COPY on PostgreSQL), then ANALYZE; returns
    seconds. A row is every field's default, then `fixed` ({field: value}, for every row),
    then its own dict ({field: database value})."""
    from django.db import connection, transaction

    from projects_app.bulk import rows_insert

    values = {field.name: field.get_default() for field in model._meta.concrete_fields}
    base = {
        name: model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in {**values, **fixed}.items()
    }
    rows = iter(rows)
    started = time.perf_counter()
    with transaction.atomic():
        while chunk := [[*{**base, **row}.values()] for row in itertools.islice(rows, batch)]:
            rows_insert(model, list(base), chunk)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return time.perf_counter() - started
