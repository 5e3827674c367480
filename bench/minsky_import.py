"""migrate_legacy --source minsky from a sessions.db, against a floor measured in the same run.

    python -m bench.minsky_import [--records 100000] [--batch-size 500] [--rounds 1]
                                  [--database-url …]

Writes a sessions.db of `--records` realistic records (minsky's last SQLite schema:
camelCase columns, liveness columns in snake_case; task ids in every stored spelling,
statuses, pull request JSON, 50 repositories). Each round times, on that file: the floor
(read every row with `sqlite3`, `executemany` into a bare table of the same columns in a
fresh SQLite file, one transaction); the first import; the re-run (everything skipped).
The import is undone after each round. Targets (issue 16): first import ≤ 2x the floor,
re-run ≤ 1x.
"""

import sqlite3
import sys
from pathlib import Path

from bench import harness

_TASKS = ("{n}", "#{n}", "md#{n}", "mt#{n}", "Task#{n}", "task#{n}", "gh#{n}", "update-{n}")
_STATUSES = (None, "CREATED", "ACTIVE", "PR_OPEN", "PR_APPROVED", "MERGED", "CLOSED")


def records(n: int):
    """`n` sessions.db rows as dicts, deterministic."""
    for i in range(n):
        repo = i % 50
        record = {
            "sessionId": f"{i:08x}-5a1e-4c0d-9e8f-{i:012x}",
            "repoName": f"acme/repo-{repo}",
            "repoUrl": f"https://github.com/acme/repo-{repo}.git",
            "repoPath": f"/home/dev/.local/state/minsky/sessions/s{i}",
            "createdAt": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z",
            "taskId": _TASKS[i % len(_TASKS)].format(n=i),
            "status": _STATUSES[i % len(_STATUSES)],
            "backendType": "github",
            "lastActivityAt": f"2025-12-{1 + i % 28:02d}T10:00:00.000Z",
            "commitCount": i % 17,
            "lastCommitHash": f"{i:040x}",
            "agentId": f"agent-{i}",
        }
        if i % 3 == 0:
            record["prBranch"] = f"pr/s{i}"
            record["prApproved"] = i % 2 == 0
            record["pullRequest"] = {
                "number": i, "url": f"https://github.com/acme/repo-{repo}/pull/{i}",
                "state": "open", "headBranch": f"task/mt-{i}", "baseBranch": "main",
            }  # fmt: skip
        yield record


def store_write(path: Path, n: int) -> None:
    from migration_app.legacy.minsky_sample import (
        SQLITE_COLUMNS,
        minsky_sqlite_create,
        sqlite_row,
    )

    connection = minsky_sqlite_create(str(path))
    marks = ", ".join("?" * len(SQLITE_COLUMNS))
    with connection:
        connection.executemany(
            f"INSERT INTO sessions VALUES ({marks})", (sqlite_row(r) for r in records(n))
        )
    connection.close()


def floor_import(source: Path, target: Path) -> int:
    """sqlite3 read of every row, executemany into a bare table, one transaction."""
    target.unlink(missing_ok=True)
    read = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    write = sqlite3.connect(target, isolation_level=None)
    write.execute("PRAGMA journal_mode=WAL")
    columns = [row[1] for row in read.execute("PRAGMA table_info(sessions)")]
    names = ", ".join(f'"{c}"' for c in columns)
    write.execute(f"CREATE TABLE floor ({names})")
    write.execute("BEGIN")
    cursor = write.executemany(
        f"INSERT INTO floor VALUES ({', '.join('?' * len(columns))})",
        read.execute("SELECT * FROM sessions ORDER BY session"),
    )
    count = cursor.rowcount
    write.execute("COMMIT")
    read.close()
    write.close()
    return count


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=1)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as tmp:
        from migration_app.dispatch import migration_run_dispatch
        from migration_app.models import MigrationRun
        from migration_app.services import migration_undo

        source = tmp / "sessions.db"
        store_write(source, args.records)
        harness.header(
            f"migrate_legacy --source minsky: a sessions.db of {args.records} records, "
            f"batches of {args.batch_size}"
        )

        def import_():
            return migration_run_dispatch(
                kind=MigrationRun.Kind.LEGACY_IMPORT, source="minsky", location=str(source),
                batch_size=args.batch_size,
            )  # fmt: skip

        figures = harness.Figures(reference="floor")
        n = args.records
        for _ in range(args.rounds):
            floor_rows = figures.time(
                "floor", lambda: floor_import(source, tmp / "floor.db"), items=n
            )
            first = figures.time("first import", import_, items=n)
            rerun = figures.time("re-run (all skipped)", import_, items=n)
            migration_undo(run=first)
        figures.print()
        print(
            f"floor rows: {floor_rows}; first import: {first.status}, "
            f"{first.counts.get('session_migrated', 0)} sessions; re-run: "
            f"{rerun.counts.get('session_skipped', 0)} skipped"
        )
        floor = figures.median("floor")
        first_ratio = figures.median("first import") / floor
        rerun_ratio = figures.median("re-run (all skipped)") / floor
        harness.target(f"first import ≤ 2x the floor ({first_ratio:.2f}x)", met=first_ratio <= 2)
        harness.target(f"re-run ≤ 1x the floor ({rerun_ratio:.2f}x)", met=rerun_ratio <= 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
