"""Import an arawn data dir; targets: first import ≤ 2× a floor, re-run ≤ 0.2× the first.

    python -m bench.arawn_import [--workstreams 200] [--sessions 5000] [--messages 500000]
                                 [--files 20000] [--batch-size 500] [--rounds 1]
                                 [--database-url …]

The data dir is the synthetic one make_sample_store writes, at the issue's sizes, without
its edge cases. Each round times:

- floor: every log line parsed with `json.loads` and inserted with one sqlite3
  `executemany` into a bare table (in a file next to the data), plus the workstream
  files copied with `cp -a`;
- the first import, dispatched as `migrate_legacy --source arawn` does (journal, rows,
  messages, offsets, verified file copies after each batch commits);
- the re-run with nothing changed (stat and offsets only).

The import is undone between rounds (not timed).
"""

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness


def floor(data_dir: str, tree: str, scratch: Path) -> int:
    """Parse + insert every line, then `cp -a` every workstream's files; returns lines."""
    db = sqlite3.connect(scratch / "floor.sqlite3")
    db.execute(
        "CREATE TABLE m (id TEXT PRIMARY KEY, ws TEXT, session TEXT, role TEXT, content TEXT,"
        " ts TEXT, metadata TEXT)"
    )
    lines = 0
    for name in sorted(os.listdir(tree)):
        log = os.path.join(tree, name, "messages.jsonl")
        if not os.path.isfile(log):
            continue
        with open(log, "rb") as handle:
            rows = []
            for raw in handle:
                d = json.loads(raw)
                rows.append((d["id"], d["workstream_id"], d.get("session_id"), d["role"],
                             d["content"], d["timestamp"], d.get("metadata")))  # fmt: skip
            db.executemany("INSERT INTO m VALUES (?,?,?,?,?,?,?)", rows)
            lines += len(rows)
    db.commit()
    db.close()
    dest = scratch / "cp"
    dest.mkdir()
    sources = []
    for name in sorted(os.listdir(tree)):
        for part in ("production", "work", "sessions"):
            path = os.path.join(tree, name, part)
            if os.path.isdir(path):
                sources.append(path)
                (dest / name).mkdir(exist_ok=True)
                subprocess.run(["cp", "-a", path, str(dest / name)], check=True)
    return lines


def _messages_via_orm() -> None:
    """The ORM's writer in place of rows_insert, to measure what the raw SQL saves."""
    from migration_app.services.legacy_import.arawn_store import messages
    from projects_app.models import Message

    def bulk_create(new):
        Message.objects.bulk_create([Message(**m._asdict()) for m in new], batch_size=500)

    messages.messages_write = bulk_create


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=1)
    parser.add_argument("--workstreams", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--messages-via-orm",
        action="store_true",
        help="write messages with Message.objects.bulk_create instead of bulk.rows_insert",
    )
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as data_dir:
        from migration_app.dispatch import migration_run_dispatch
        from migration_app.legacy.arawn_sample import arawn_sample_write
        from migration_app.models import MigrationRun
        from migration_app.services import migration_undo

        if args.messages_via_orm:
            _messages_via_orm()
        source = Path(tempfile.mkdtemp(prefix="arawn-bench-"))
        try:
            sample = arawn_sample_write(
                str(source / "arawn"),
                workstreams=args.workstreams,
                sessions=args.sessions,
                messages=args.messages,
                files=args.files,
                edge_cases=False,
            )
            harness.header(
                f"arawn import: {args.workstreams:,} workstreams, {args.sessions:,} sessions, "
                f"{sample.messages:,} message lines, {sample.files:,} files; "
                f"batch {args.batch_size}; messages written with "
                f"{'bulk_create' if args.messages_via_orm else 'rows_insert'}"
            )
            request = {
                "kind": MigrationRun.Kind.LEGACY_IMPORT,
                "source": "arawn",
                "location": sample.data_dir,
                "batch_size": args.batch_size,
            }
            units = sample.messages + sample.files
            figures = harness.Figures(reference="floor: json + executemany, cp -a")
            first = None
            for _ in range(args.rounds):
                if first is not None:
                    migration_undo(run=first)  # the next round imports into an empty hub
                scratch = source / "floor"
                scratch.mkdir()
                figures.time(
                    figures.reference,
                    lambda s=scratch: floor(sample.data_dir, sample.tree, s),
                    items=units,
                )
                shutil.rmtree(scratch)
                first = figures.time(
                    "first import", lambda: migration_run_dispatch(**request), items=units
                )
                assert first.counts["messages_imported"] == sample.messages, first.counts
                assert first.counts["files_copied"] == sample.files, first.counts
                again = figures.time(
                    "re-run, nothing changed",
                    lambda: migration_run_dispatch(**request),
                    items=units,
                )
                assert again.counts.get("migrated", 0) == 0, again.counts
            figures.print()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"peak RSS of the benchmark process (sample writing included): {peak} MB")
            first_ratio = figures.median("first import") / figures.median(figures.reference)
            rerun_ratio = figures.median("re-run, nothing changed") / figures.median("first import")
            first_text = f"first import <= 2x the floor (here {first_ratio:.2f}x)"
            harness.target(first_text, met=first_ratio <= 2)
            rerun_text = f"re-run <= 0.2x the first import (here {rerun_ratio:.2f}x)"
            harness.target(rerun_text, met=rerun_ratio <= 0.2)
            print(f"data dir: {data_dir}")
        finally:
            shutil.rmtree(source, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
