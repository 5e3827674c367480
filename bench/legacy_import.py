"""migrate_legacy --source ao against a floor, and parse-ahead on and off (A/B).

What each round times and prints: docs/legacy-import.md (Benchmark). Targets (issue 12):
first import ≤ 2x the floor, re-run ≤ 1x, RSS < 200 MB; parse-ahead keeps ≥ 90% of the
gain the hand-rolled helper had (≥ 0.60 s at 20,000 sessions).
"""

import contextlib
import glob
import json
import os
import threading
from pathlib import Path

from bench import harness
from bench.storage_floor import storage_floor_time


@contextlib.contextmanager
def workers_peak_rss():
    """Yields [the peak RSS (VmHWM, KiB) of the parse workers], sampled from /proc every
    0.25 s: VmHWM is a peak, so a worker that lives for the import is caught near its top.
    Sampling every 0.05 s, with a glob over every thread, cost the import about 0.1 s."""
    peak, stop = [0], threading.Event()
    # The pool starts its workers from the thread that submits: the main thread.
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")

    def sample():
        while not stop.wait(0.25):
            with contextlib.suppress(OSError):
                for pid in children.read_text().split():
                    # Spawned workers only: the storage floor's forked child is none.
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        peak[0] = max(peak[0], _hwm_kib(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def _hwm_kib(pid: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def floor_import(root: str, db_path: str) -> int:
    """json + sqlite3 executemany over the same session files, one transaction."""
    connection = harness.floor_sqlite(db_path)
    connection.execute("CREATE TABLE floor (id TEXT PRIMARY KEY, project TEXT, data TEXT)")
    files = sorted(glob.glob(os.path.join(root, "projects", "*", "sessions", "*.json")))

    def rows():
        for path in files:
            value = json.loads(Path(path).read_bytes())
            yield Path(path).stem, Path(path).parent.parent.name, json.dumps(value)

    connection.execute("BEGIN")
    connection.executemany("INSERT OR IGNORE INTO floor VALUES (?, ?, ?)", rows())
    connection.execute("COMMIT")
    connection.close()
    return len(files)


def main(argv=None) -> None:
    with harness.scratch_run(__doc__, argv, rounds=5, sessions=20_000, batch_size=500) as args:
        from migration_app.legacy.parse_ahead import usable_cores
        from migration_app.legacy.synthetic import ao_tree_generate
        from migration_app.services import migration_undo
        from projects_app.models import Project
        from sessions_app.models import Session

        tmp = args.data_dir
        root = str(tmp / "ao")
        tree = ao_tree_generate(root, sessions=args.sessions, with_v1=False, with_bad_files=False)
        harness.header(
            f"migrate_legacy --source ao: {tree.sessions} session files, batches of "
            f"{args.batch_size}, {usable_cores()} usable cores"
        )

        def import_(parse_ahead):
            return harness.legacy_import(
                "ao", root, claude_home=str(tmp / "claude"), include_terminated=True,
                batch_size=args.batch_size, parse_ahead=parse_ahead,
            )  # fmt: skip

        on, off = "first import, parse-ahead", "first import, parse-ahead off"
        figures = harness.Figures(reference="floor")
        statuses = set()
        with workers_peak_rss() as workers_kib:
            for round_ in range(args.rounds):
                n = tree.sessions
                figures.time("floor", lambda: floor_import(root, str(tmp / "floor.db")), items=n)
                first = figures.time(on, lambda: import_(None), items=n)
                rerun = figures.time("re-run (all skipped)", lambda: import_(None), items=n)
                statuses |= {first.status, rerun.counts["migrated"] == 0}
                migration_undo(run=first)
                alone = figures.time(off, lambda: import_(False), items=n)
                imported = Session.objects.count()
                if round_ + 1 < args.rounds:
                    migration_undo(run=alone)
            stored = [Project.objects.all(), Session.objects.all(), alone.items.all()]
            storage_floor_time(figures, stored, items=n)
        figures.print()
        gain = figures.median(off) - figures.median(on)
        rss = harness.peak_rss_mb()
        print(f"sessions imported per run: {imported}; statuses: {sorted(map(str, statuses))}")
        worker_rss = workers_kib[0] / 1024
        print(f"peak RSS: importer {rss:.0f} MB, largest parse worker {worker_rss:.0f} MB")
        print(f"parse-ahead gain: {gain:.2f} s (median off − median on)")
        harness.import_targets(figures, first=on)
        harness.target(f"importer RSS < 200 MB ({rss:.0f} MB)", met=rss < 200)


if __name__ == "__main__":
    main()
