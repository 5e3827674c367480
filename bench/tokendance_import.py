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
import resource
import sqlite3
import sys
import uuid
from pathlib import Path

from bench import harness

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

    with connection:
        connection.executemany(
            "INSERT INTO sessions (id, workspace_id, title, status, skill_id, total_tokens_used,"
            " extra_data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            session_rows(),
        )
        connection.executemany(
            "INSERT INTO messages (id, session_id, role, content, tool_calls, tokens_used,"
            " extra_data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            message_rows(),
        )
        connection.executemany(
            "INSERT INTO artifacts (id, session_id, name, artifact_type, file_path, file_size,"
            " version, parent_version_id, is_latest, content_preview, extra_data, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            artifact_rows(),
        )
    connection.close()


def floor_import(source: str, dest: str) -> int:
    """The same rows read with sqlite3 and inserted with executemany into bare tables."""
    Path(dest).unlink(missing_ok=True)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(dest, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    rows = 0
    writer.execute("BEGIN")
    for table in TABLES:
        cursor = reader.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cursor.description]
        writer.execute(f"CREATE TABLE {table} ({', '.join(names)})")
        marks = ", ".join("?" * len(names))
        while chunk := cursor.fetchmany(5_000):
            writer.executemany(f"INSERT INTO {table} VALUES ({marks})", chunk)
            rows += len(chunk)
    writer.execute("COMMIT")
    reader.close()
    writer.close()
    return rows


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=1)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--artifacts", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as tmp:
        from migration_app.dispatch import migration_run_dispatch
        from migration_app.models import MigrationRun
        from migration_app.services import migration_undo
        from projects_app.models import Message

        source = str(tmp / "tokendance.sqlite3")
        source_write(source, sessions=args.sessions, messages=args.messages,
                     artifacts=args.artifacts)  # fmt: skip
        n = args.sessions
        harness.header(
            f"migrate_legacy --source tokendance: {n} sessions × {args.messages} messages × "
            f"{args.artifacts} artifacts from SQLite, batches of {args.batch_size}"
        )

        def import_():
            return migration_run_dispatch(
                kind=MigrationRun.Kind.LEGACY_IMPORT, source="tokendance", location=source,
                batch_size=args.batch_size,
            )  # fmt: skip

        figures = harness.Figures(reference="floor")
        statuses = set()
        for _ in range(args.rounds):
            figures.time("floor", lambda: floor_import(source, str(tmp / "floor.db")), items=n)
            first = figures.time("first import", import_, items=n)
            rerun = figures.time("re-run (all skipped)", import_, items=n)
            statuses |= {first.status, rerun.counts["migrated"] == 0}
            messages = Message.objects.count()
            migration_undo(run=first)
        figures.print()
        floor = figures.median("floor")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"messages imported per run: {messages}; statuses: {sorted(map(str, statuses))}")
        print(f"peak RSS: {rss:.0f} MB")
        first_ratio = figures.median("first import") / floor
        rerun_ratio = figures.median("re-run (all skipped)") / floor
        harness.target(f"first import ≤ 2x the floor ({first_ratio:.2f}x)", met=first_ratio <= 2)
        harness.target(f"re-run ≤ 1x the floor ({rerun_ratio:.2f}x)", met=rerun_ratio <= 1)
        harness.target(f"peak RSS < 250 MB ({rss:.0f} MB)", met=rss < 250)
    return 0


if __name__ == "__main__":
    sys.exit(main())
