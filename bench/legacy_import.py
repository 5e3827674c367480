"""Benchmark of migrate_legacy against a floor measured in the same run.

    python -m migration_app.bench.legacy_import --sessions 20000

Generates a synthetic ao tree with the project's own generator, imports it with the real
service (first import, then a re-run), and times a floor over the same files: `json.loads`
of every session file and one `sqlite3` `executemany` into a bare table in one
transaction. Prints sessions per second, the ratios to the floor and the peak RSS.

By default everything happens in a fresh temporary directory with its own SQLite
database; set DATABASE_URL to benchmark another database (it must be migrated, or empty
for `migrate` to run). Not a test: nothing here asserts a time.
"""

import argparse
import contextlib
import glob
import json
import os
import resource
import sqlite3
import sys
import tempfile
import threading
import time


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ChildPeakRss:
    """Peak RSS (VmHWM) of this process's child processes (the parse helper), sampled
    from /proc every 50 ms; 0 where /proc does not list children. (ru_maxrss of children
    would report the parent's size at the fork, before the helper's exec.)"""

    def __enter__(self):
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.05):
            for children in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
                with contextlib.suppress(OSError), open(children) as listing:
                    for pid in listing.read().split():
                        self.peak_kib = max(self.peak_kib, self._hwm_kib(pid))

    @staticmethod
    def _hwm_kib(pid: str) -> int:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        return False


def floor_import(root: str, db_path: str) -> tuple[float, int]:
    """json + sqlite3 executemany over the same session files, one transaction."""
    start = time.perf_counter()
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE floor (id TEXT PRIMARY KEY, project TEXT, data TEXT)")
    projects_dir = os.path.join(root, "projects")
    count = 0

    def rows():
        nonlocal count
        for project in sorted(os.listdir(projects_dir)):
            sessions = os.path.join(projects_dir, project, "sessions")
            for name in sorted(os.listdir(sessions)):
                if not name.endswith(".json"):
                    continue
                with open(os.path.join(sessions, name), "rb") as handle:
                    data = handle.read()
                if not data:
                    continue
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                if not isinstance(value, dict):
                    continue
                count += 1
                yield (name[:-5], project, json.dumps(value))

    connection.execute("BEGIN")
    connection.executemany("INSERT OR IGNORE INTO floor VALUES (?, ?, ?)", rows())
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - start, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--no-parse-ahead", action="store_true", help="parse in the importing process only"
    )
    args = parser.parse_args(argv)

    work = tempfile.mkdtemp(prefix="legacy-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["SESSIONHUB_DATA_DIR"] = os.path.join(work, "data")
    os.environ.setdefault("LOG_LEVEL", "ERROR")

    import django

    django.setup()
    from django.conf import settings

    # As in production: DEBUG on would keep the text of every query in memory.
    settings.DEBUG = False
    from django.core.management import call_command
    from django.db import connection

    from migration_app.legacy.synthetic import ao_tree_generate
    from migration_app.services.legacy_import import legacy_import_run
    from migration_app.services.parse_ahead import usable_cores
    from sessions_app.models import Session

    call_command("migrate", verbosity=0)
    root = os.path.join(work, "ao")
    started = time.perf_counter()
    # JSON sessions only (no V1 key=value files), so that the floor parses every file.
    tree = ao_tree_generate(root, sessions=args.sessions, with_v1=False, with_bad_files=False)
    generated = time.perf_counter() - started
    rss_after_generate = peak_rss_mb()
    claude_home = os.path.join(work, "claude")
    # Every file is imported, as the floor does.
    include = {"include_terminated": True, "parse_ahead": False if args.no_parse_ahead else None}

    started, cpu_started = time.perf_counter(), time.process_time()
    with ChildPeakRss() as helper:
        first = legacy_import_run(
            source="ao", path=root, claude_home=claude_home, batch_size=args.batch_size, **include
        )
    first_seconds = time.perf_counter() - started
    first_cpu_seconds = time.process_time() - cpu_started
    rss_after_first = peak_rss_mb()
    imported = Session.objects.count()

    started = time.perf_counter()
    second = legacy_import_run(
        source="ao", path=root, claude_home=claude_home, batch_size=args.batch_size, **include
    )
    rerun_seconds = time.perf_counter() - started
    rss_after_rerun = peak_rss_mb()

    floor_seconds, floor_count = floor_import(root, os.path.join(work, "floor.sqlite3"))

    def rate(seconds):
        return imported / seconds if seconds else float("inf")

    report = {
        "sessions_generated": tree.sessions,
        "sessions_imported": imported,
        "database": connection.vendor,
        "batch_size": args.batch_size,
        "generate_seconds": round(generated, 2),
        "parse_ahead": "off" if args.no_parse_ahead else f"auto ({usable_cores()} usable cores)",
        "first_import_seconds": round(first_seconds, 2),
        "first_import_cpu_seconds_this_process": round(first_cpu_seconds, 2),
        "first_import_sessions_per_second": round(rate(first_seconds)),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_sessions_per_second": round(rate(rerun_seconds)),
        "floor_sessions": floor_count,
        "floor_seconds": round(floor_seconds, 2),
        "floor_sessions_per_second": round(floor_count / floor_seconds),
        "first_import_vs_floor": round(first_seconds / floor_seconds, 2),
        "rerun_vs_floor": round(rerun_seconds / floor_seconds, 2),
        "peak_rss_mb_after_generate": round(rss_after_generate, 1),
        "peak_rss_mb_after_first_import": round(rss_after_first, 1),
        "peak_rss_mb_after_rerun": round(rss_after_rerun, 1),
        "peak_rss_mb_parse_helper": round(helper.peak_kib / 1024, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "first_status": first.status,
        "rerun_migrated": second.counts.get("migrated"),
        "python": sys.version.split()[0],
    }
    for key, value in report.items():
        print(f"{key:36} {value}")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"{'kept':36} {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
