"""migrate_legacy --source minsky from a sessions.db, against a floor measured in the same run.

The records and the floor: docs/legacy-import-minsky.md (Benchmark). Each round times the
floor, the first import and the re-run (everything skipped), then undoes the import.
Targets (issue 16): first import ≤ 2x the floor, re-run ≤ 1x.
"""

import sys

from bench import harness
from bench.storage_floor import storage_floor_time

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


def main(argv=None) -> int:
    with harness.scratch_run(__doc__, argv, rounds=1, records=100_000, batch_size=500) as args:
        from migration_app.legacy.minsky_sample import minsky_sqlite_write
        from migration_app.services import migration_undo
        from projects_app.models import Project
        from sessions_app.models import Session

        tmp = args.data_dir
        source = tmp / "sessions.db"
        minsky_sqlite_write(str(source), list(records(args.records)))
        harness.header(
            f"migrate_legacy --source minsky: a sessions.db of {args.records} records, "
            f"batches of {args.batch_size}"
        )
        figures = harness.Figures(reference="floor")
        for round_ in range(args.rounds):
            floor_rows, first, rerun = harness.import_round(
                figures,
                floor=lambda: harness.sqlite_copy(
                    source, tmp / "floor.db", {"floor": "SELECT * FROM sessions ORDER BY session"}
                ),
                run=lambda: harness.legacy_import(
                    "minsky", str(source), batch_size=args.batch_size
                ),
                items=args.records,
            )
            if round_ + 1 < args.rounds:
                migration_undo(run=first)
        stored = [Project.objects.all(), Session.objects.all(), first.items.all()]
        storage_floor_time(figures, stored, items=args.records)
        figures.print()
        print(
            f"floor rows: {floor_rows}; first import: {first.status}, "
            f"{first.counts.get('session_migrated', 0)} sessions; re-run: "
            f"{rerun.counts.get('session_skipped', 0)} skipped"
        )
        harness.import_targets(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
