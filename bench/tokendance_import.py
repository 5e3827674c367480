"""migrate_legacy --source tokendance from a SQLite source, against a floor (issue 15).

    python -m bench.tokendance_import [--sessions 10000] [--messages 20] [--artifacts 2]
                                      [--batch-size 500] [--rounds 1] [--database-url …]

Writes a TokenDance SQLite database with TokenDance's table shapes (sessions × messages ×
artifacts, streamed: nothing held in memory). Each round times, on the same database:
the floor (the same rows read with `sqlite3` and inserted with `executemany` into bare
tables, one transaction); the first import; the re-run (everything skipped). The import
is undone after each round. Targets: first import ≤ 2x the floor, re-run ≤ 1x, peak RSS
< 250 MB (and flat from 10,000 to 50,000 sessions: run it twice with --sessions).
"""

import datetime as dt
import sqlite3
import sys
import uuid

from bench import harness
from bench.storage_floor import storage_floor_time

T0 = dt.datetime(2026, 1, 20, 9, 0, 0)
TABLES = ("workspaces", "sessions", "messages", "artifacts")


def _id(kind: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{kind}:{n}"))


def source_write(path: str, *, sessions: int, messages: int, artifacts: int) -> None:
    from migration_app.legacy.tokendance_schema import schema_create

    connection = sqlite3.connect(path)
    schema_create(connection, "sqlite")
    workspace = _id("ws", 0)
    connection.execute(
        "INSERT INTO workspaces (id, name, slug, settings, stats, created_at, updated_at) "
        "VALUES (?, 'Bench', 'bench', '{}', '{}', ?, ?)",
        (workspace, str(T0), str(T0)),
    )
    statuses = ("pending", "RUNNING", "completed", "FAILED", "active", "CANCELLED")

    def session_rows():
        for s in range(sessions):
            at = str(T0 + dt.timedelta(seconds=s))
            yield (_id("s", s), workspace, f"Session {s}", statuses[s % 6], "deep_research",
                   s * 10, '{"client": "web"}', at, at)  # fmt: skip

    def message_rows():
        for s in range(sessions):
            for m in range(messages):
                at = str(T0 + dt.timedelta(seconds=s, milliseconds=m))
                calls = (
                    '[{"name": "web_search", "status": "error", "error": "x"}]' if m == 3 else None
                )
                yield (_id("m", s * messages + m), _id("s", s), ("USER", "assistant")[m % 2],
                       f"message {m} of session {s} " * 4, calls, m, "{}", at)  # fmt: skip

    def artifact_rows():
        for s in range(sessions):
            for a in range(artifacts):
                n = s * artifacts + a
                parent = _id("a", n - 1) if a else None
                yield (_id("a", n), _id("s", s), "report.md", "DOCUMENT", "minio/report.md",
                       2048, a + 1, parent, a == artifacts - 1, "preview " * 10, "{}",
                       str(T0), str(T0))  # fmt: skip

    inserts = {
        "sessions": ("id workspace_id title status skill_id total_tokens_used extra_data "
                     "created_at updated_at", session_rows()),
        "messages": ("id session_id role content tool_calls tokens_used extra_data created_at",
                     message_rows()),
        "artifacts": ("id session_id name artifact_type file_path file_size version "
                      "parent_version_id is_latest content_preview extra_data created_at "
                      "updated_at", artifact_rows()),
    }  # fmt: skip
    with connection:
        for table, (columns, rows) in inserts.items():
            names = columns.split()
            marks = ", ".join("?" * len(names))
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows
            )
    connection.close()


def main(argv=None) -> int:
    with harness.scratch_run(
        __doc__, argv, rounds=1, sessions=10_000, messages=20, artifacts=2, batch_size=500
    ) as args:
        from migration_app.services import migration_undo
        from projects_app import models as hub
        from sessions_app.models import Session, UsageRecord

        source = str(args.data_dir / "tokendance.sqlite3")
        source_write(source, sessions=args.sessions, messages=args.messages,
                     artifacts=args.artifacts)  # fmt: skip
        n = args.sessions
        harness.header(
            f"migrate_legacy --source tokendance: {n} sessions × {args.messages} messages × "
            f"{args.artifacts} artifacts from SQLite, batches of {args.batch_size}"
        )
        figures = harness.Figures(reference="floor")
        statuses = set()
        for round_ in range(args.rounds):
            _, first, rerun = harness.import_round(
                figures,
                floor=lambda: harness.sqlite_copy(
                    source, args.data_dir / "floor.db", {t: f"SELECT * FROM {t}" for t in TABLES}
                ),
                run=lambda: harness.legacy_import("tokendance", source, batch_size=args.batch_size),
                items=n,
            )
            statuses |= {first.status, rerun.counts["migrated"] == 0}
            messages = hub.Message.objects.count()
            if round_ + 1 < args.rounds:
                migration_undo(run=first)
        written = [hub.Project, hub.ProjectVersion, Session, hub.Conversation, hub.Message,
                   hub.Artifact, UsageRecord]  # fmt: skip
        stored = [
            hub.Workspace.objects.exclude(slug=hub.Workspace.DEFAULT_SLUG),
            *(model.objects.all() for model in written),
            first.items.all(),
        ]
        storage_floor_time(figures, stored, items=n)
        figures.print()
        rss = harness.peak_rss_mb()
        print(f"messages imported per run: {messages}; statuses: {sorted(map(str, statuses))}")
        print(f"peak RSS: {rss:.0f} MB")
        harness.import_targets(figures)
        harness.target(f"peak RSS < 250 MB ({rss:.0f} MB)", met=rss < 250)
    return 0


if __name__ == "__main__":
    sys.exit(main())
