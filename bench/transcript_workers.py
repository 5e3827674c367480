"""import_transcripts --background on PostgreSQL: 1 db_worker against 2 on the same tree.

Each round times the floor, the import in this terminal and `--background` carried out by
1, then 2, real `manage.py db_worker` processes (docs/transcripts.md). The imported rows,
the archive and the journal are cleared between measures (not timed).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from bench import harness

ROOT = Path(__file__).resolve().parents[1]


def tree_write(home: Path, *, files: int, turns: int) -> int:
    """Claude Code transcripts in the documented shape; returns the number of lines."""
    lines = 0
    for f in range(files):
        session = f"7e57{f:04d}-0000-4000-8000-{f:012d}"
        folder = home / "projects" / f"-work-bench-p{f % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{session}.jsonl", "w") as out:
            for t in range(turns):
                stamp = f"2026-01-02T10:{t // 60 % 60:02d}:{t % 60:02d}.000Z"
                base = {"sessionId": session, "cwd": f"/work/bench/p{f % 4}", "version": "2.0.0",
                        "timestamp": stamp}  # fmt: skip
                usage = {"input_tokens": 120, "output_tokens": 40, "cache_read_input_tokens": 9}
                records = [
                    {**base, "type": "user", "uuid": f"u{t}", "message": {
                        "role": "user", "content": f"step {t}: run the tests " + "x" * 80}},
                    {**base, "type": "assistant", "uuid": f"a{t}", "requestId": f"r{t}",
                     "message": {"id": f"m{t}", "role": "assistant", "model": "claude-sonnet-4-5",
                                 "content": [{"type": "text", "text": "Running them." * 8}],
                                 "usage": usage}},
                    {**base, "type": "assistant", "uuid": f"b{t}", "requestId": f"r{t}",
                     "message": {"id": f"m{t}", "role": "assistant", "model": "claude-sonnet-4-5",
                                 "content": [{"type": "tool_use", "id": f"t{t}", "name": "Bash",
                                              "input": {"command": "pytest -q"}}],
                                 "usage": usage}},
                    {**base, "type": "user", "uuid": f"v{t}", "message": {"role": "user",
                     "content": [{"type": "tool_result", "tool_use_id": f"t{t}",
                                  "content": "12 passed " * 10}]}},
                ]  # fmt: skip
                for record in records:
                    out.write(json.dumps(record) + "\n")
                lines += len(records)
    return lines


def floor(home: Path) -> int:
    """Parse every line and insert it, bare, with executemany; returns the lines."""
    from django.db import connection

    lines = 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE TABLE bench_floor (session text, type text, record text)")
        for path in sorted(home.rglob("*.jsonl")):
            rows = []
            with open(path, "rb") as handle:
                for raw in handle:
                    d = json.loads(raw)
                    rows.append((d.get("sessionId"), d.get("type"), raw.decode()))
            cursor.executemany("INSERT INTO bench_floor VALUES (%s, %s, %s)", rows)
            lines += len(rows)
        cursor.execute("DROP TABLE bench_floor")
    return lines


def clear(data_dir: Path) -> None:
    """The imported rows, the journal, the task queue and the archive (not timed)."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from migration_app.models import MigrationItem, MigrationRun, TranscriptBatch, TranscriptFile
    from projects_app.models import Conversation, Message
    from sessions_app.models import Session

    models = (Message, Conversation, Session, TranscriptFile, MigrationItem, TranscriptBatch,
              MigrationRun, DBTaskResult)  # fmt: skip
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    shutil.rmtree(data_dir / "transcripts", ignore_errors=True)


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


@contextmanager
def workers(n: int, env: dict):
    """`n` real db_worker processes, started and polling before the run is queued (their
    start-up is not the import's time), stopped afterwards."""
    argv = manage("db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.05")
    processes = [
        subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(n)
    ]
    try:
        time.sleep(4)
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)


def queued_and_carried_out(home: Path, env: dict) -> int:
    """import_transcripts --background, then wait for its run to close; returns its files."""
    from migration_app.models import MigrationRun

    argv = manage("import_transcripts", "--claude-home", str(home), "--background", "--json")
    queued = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    run_id = json.loads(queued.stdout)["run_id"]
    while not MigrationRun.objects.get(pk=run_id).is_finished:
        time.sleep(0.02)
    run = MigrationRun.objects.get(pk=run_id)
    assert run.status == MigrationRun.Status.SUCCEEDED, run.error
    return run.progress_done


def main(argv=None) -> int:
    parser = harness.arguments(__doc__, rounds=1, files=64, turns=300, batch_files=8)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url postgres://… is required: --background needs PostgreSQL")

    with harness.scratch_database(args.database_url) as data_dir:
        home = data_dir / "claude"
        lines = tree_write(home, files=args.files, turns=args.turns)
        size = sum(p.stat().st_size for p in home.rglob("*.jsonl"))
        env = {**os.environ, "SESSIONHUB_DATA_DIR": str(data_dir),
               "DATABASE_URL": args.database_url, "CODEX_HOME": str(data_dir / "no-codex"),
               "SESSIONHUB_TRANSCRIPT_BATCH_FILES": str(args.batch_files)}  # fmt: skip
        harness.header(
            f"import_transcripts: {args.files} files, {lines:,} lines, {size / 2**20:.1f} MiB; "
            f"--background in batches of {args.batch_files} files"
        )
        figures = harness.Figures(reference="floor: json.loads + executemany")
        for _ in range(args.rounds):
            figures.time("floor: json.loads + executemany", lambda: floor(home), items=lines)
            clear(data_dir)
            terminal = partial(harness.transcripts_import, str(home), None)
            figures.time("import in this terminal (1 process)", terminal, items=lines)
            for n in (1, 2):
                clear(data_dir)
                with workers(n, env):
                    label = f"--background, {n} db_worker(s)"
                    figures.time(label, lambda: queued_and_carried_out(home, env), items=lines)
        figures.print()
        ratio = figures.ratio("--background, 1 db_worker(s)", "--background, 2 db_worker(s)")
        print(f"2 workers against 1: {ratio:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
