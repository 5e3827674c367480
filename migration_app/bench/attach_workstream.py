"""Benchmark: attach 1,000 scratch sessions x 50 files, against `mv` of the same tree.

    python -m migration_app.bench.attach_workstream [--sessions 1000] [--files 50] [--keep]

Both are measured in the same run, on the same filesystem (a fresh temporary data dir):

- baseline: one shell loop that runs `mkdir -p` + `mv <work>/* <dest>/` per session, i.e.
  what an operator would type, moving exactly the same entries;
- floor: the same renames as bare `os.rename` calls in Python (no journal, no checks);
- ours: `sessions_attach_to_workstream` over all sessions (journal, locks, claims, moves),
  and then its undo.

The database is a fresh SQLite file in the temporary dir unless DATABASE_URL is set (then
that database must be empty or disposable: the benchmark migrates it and adds rows).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def _setup_django(data_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["SESSIONHUB_DATA_DIR"] = str(data_dir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _make_tree(work: Path, files: int, payload: bytes) -> None:
    """`files` regular files: most at the top, a tenth in one sub-directory."""
    nested = max(files // 10, 1)
    work.mkdir(parents=True)
    (work / "sub").mkdir()
    for i in range(files - nested):
        (work / f"file-{i:03d}.txt").write_bytes(payload)
    for i in range(nested):
        (work / "sub" / f"nested-{i:03d}.txt").write_bytes(payload)


def _mv_baseline(root: Path, sessions: int, files: int, payload: bytes) -> float:
    src_root, dst_root = root / "mv-src", root / "mv-dst"
    ids = [f"bench-{i:05d}" for i in range(sessions)]
    for session_id in ids:
        _make_tree(src_root / session_id / "work", files, payload)
    dst_root.mkdir()
    script = (
        'for id in "$@"; do mkdir -p "$DST/$id" && mv "$SRC/$id/work/"* "$DST/$id/" '
        '&& rmdir "$SRC/$id/work" "$SRC/$id" || exit 1; done'
    )
    env = {**os.environ, "SRC": str(src_root), "DST": str(dst_root)}
    started = time.perf_counter()
    subprocess.run(["bash", "-c", script, "bench", *ids], check=True, env=env)
    elapsed = time.perf_counter() - started
    moved = sum(1 for _ in dst_root.rglob("*.txt"))
    assert moved == sessions * files, f"mv moved {moved} files"
    shutil.rmtree(src_root)
    shutil.rmtree(dst_root)
    return elapsed


def _rename_floor(root: Path, sessions: int, files: int, payload: bytes) -> float:
    """The same moves as bare os.rename calls: no process per session, no journal, no checks."""
    src_root, dst_root = root / "rn-src", root / "rn-dst"
    ids = [f"bench-{i:05d}" for i in range(sessions)]
    for session_id in ids:
        _make_tree(src_root / session_id / "work", files, payload)
    dst_root.mkdir()
    started = time.perf_counter()
    for session_id in ids:
        work, dest = src_root / session_id / "work", dst_root / session_id
        dest.mkdir()
        for name in os.listdir(work):
            os.rename(work / name, dest / name)
        work.rmdir()
        work.parent.rmdir()
    elapsed = time.perf_counter() - started
    shutil.rmtree(src_root)
    shutil.rmtree(dst_root)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--bytes", type=int, default=1024, help="size of each file")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="sessionhub-bench-attach-"))
    data_dir = root / "data"
    data_dir.mkdir()
    try:
        _setup_django(data_dir)
        from django.db import connection

        from migration_app.services.attach_workstream import (
            attach_workstream_undo,
            sessions_attach_to_workstream,
        )
        from projects_app.models import Workspace
        from sessions_app import files as file_area
        from sessions_app.models import Session
        from sessions_app.services import workstream_create

        payload = os.urandom(args.bytes)
        total_files = args.sessions * args.files
        mv_seconds = _mv_baseline(root, args.sessions, args.files, payload)
        floor_seconds = _rename_floor(root, args.sessions, args.files, payload)

        # Fresh names, so a reused (disposable) database does not clash with an earlier run.
        token = uuid.uuid4().hex[:8]
        target = f"bench-target-{token}"
        workspace = Workspace.objects.get(slug=Workspace.DEFAULT_SLUG)
        workstream_create(workstream_id=target, workspace=workspace)
        ids = [f"bench-{token}-{i:05d}" for i in range(args.sessions)]
        Session.objects.bulk_create(
            [Session(id=session_id, workspace=workspace) for session_id in ids], batch_size=500
        )
        for session_id in ids:
            _make_tree(file_area.scratch_session_work_dir(session_id), args.files, payload)

        started = time.perf_counter()
        run = sessions_attach_to_workstream(
            workstream_id=target, session_ids=ids, batch_size=args.batch_size
        )
        attach_seconds = time.perf_counter() - started
        assert run.status == "succeeded", run.counts
        assert run.counts["files"] == total_files, run.counts

        started = time.perf_counter()
        attach_workstream_undo(run=run)
        undo_seconds = time.perf_counter() - started
        back = sum(1 for _ in (data_dir / "workstreams" / "scratch").rglob("*.txt"))
        assert back == total_files, f"undo brought back {back} files"

        print(f"attach_workstream benchmark on {connection.vendor}, data dir {data_dir}")
        print(
            f"tree: {args.sessions} sessions x {args.files} files "
            f"({total_files} files, {args.bytes} bytes each; "
            f"{run.counts['top_level_entries']} top-level entries)"
        )
        rows = [
            ("mv (shell loop, baseline)", mv_seconds),
            ("os.rename loop (floor)", floor_seconds),
            ("sessions_attach_to_workstream", attach_seconds),
            ("attach undo", undo_seconds),
        ]
        for name, seconds in rows:
            print(f"  {name:32s} {seconds:8.2f} s  {total_files / seconds:10.0f} files/s")
        ratio = attach_seconds / mv_seconds
        verdict = "within" if ratio <= 3 else "NOT within"
        print(f"attach takes {ratio:.2f}x the time of mv ({verdict} the 3x target)")
        return 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
