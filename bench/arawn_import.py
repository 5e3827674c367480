"""Import an arawn data dir; targets: first import ≤ 2× a floor, re-run ≤ 0.2× the first.

The data dir is make_sample_store's synthetic one, without its edge cases. Each round times
the floor (every log line `json.loads`-ed and inserted with sqlite3 `executemany` into a
bare table, plus `cp -a` of the workstream files), the first import and the re-run with
nothing changed; the import is undone between rounds (docs/legacy-import-arawn.md).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench import harness
from bench.storage_floor import storage_floor_time


def floor(tree: str, scratch: Path) -> int:
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
    for name in sorted(os.listdir(tree)):
        for part in ("production", "work", "sessions"):
            path = os.path.join(tree, name, part)
            if os.path.isdir(path):
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
    parser = harness.arguments(
        __doc__, rounds=1, workstreams=200, sessions=5000, messages=500_000, files=20_000,
        batch_size=500,
    )  # fmt: skip
    orm = "write messages with Message.objects.bulk_create instead of bulk.rows_insert"
    parser.add_argument("--messages-via-orm", action="store_true", help=orm)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as data_dir:
        from migration_app.legacy.arawn_sample import arawn_sample_write
        from migration_app.services import migration_undo
        from projects_app.models import Conversation, Message
        from sessions_app.models import SCRATCH_WORKSTREAM_ID, Session, Workstream

        if args.messages_via_orm:
            _messages_via_orm()
        source = data_dir / "arawn-bench"  # removed with the scratch data dir
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

        def import_():
            return harness.legacy_import("arawn", sample.data_dir, batch_size=args.batch_size)

        units = sample.messages + sample.files
        rerun = "re-run, nothing changed"
        figures = harness.Figures(reference="floor: json + executemany, cp -a")
        first, scratch = None, source / "floor"
        for _ in range(args.rounds):
            if first is not None:
                migration_undo(run=first)  # the next round imports into an empty hub
            scratch.mkdir()
            figures.time(figures.reference, lambda: floor(sample.tree, scratch), items=units)
            shutil.rmtree(scratch)
            first = figures.time("first import", import_, items=units)
            assert first.counts["messages_imported"] == sample.messages, first.counts
            assert first.counts["files_copied"] == sample.files, first.counts
            again = figures.time(rerun, import_, items=units)
            assert again.counts.get("migrated", 0) == 0, again.counts
        stored = [
            Workstream.objects.exclude(pk=SCRATCH_WORKSTREAM_ID), Session.objects.all(),
            Conversation.objects.all(), Message.objects.all(), first.items.all(),
        ]  # fmt: skip
        storage_floor_time(figures, stored, items=units)
        figures.print()
        peak = int(harness.peak_rss_mb())
        print(f"peak RSS of the benchmark process (sample writing included): {peak} MB")
        harness.storage_floor_print(figures)
        first_text = "first import <= 2x the floor (here {:.2f}x)"
        figures.ratio_target(first_text, "first import", figures.reference, at_most=2)
        rerun_text = "re-run <= 0.2x the first import (here {:.2f}x)"
        figures.ratio_target(rerun_text, rerun, "first import", at_most=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
