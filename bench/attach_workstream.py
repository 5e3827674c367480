"""Attach 1,000 scratch sessions × 50 files to a workstream; target: within 3× of `mv`.

Each round times, on the same filesystem: a shell `mv` loop (the baseline), bare
`os.rename` calls (the floor), the attach dispatched as the admin's command does, and its
undo, which brings every file back for the next round (docs/attach-workstream.md).
"""

import os
import shutil
import subprocess
from functools import partial
from pathlib import Path

from bench import harness

MV_LOOP = (
    'for id in "$@"; do mkdir -p "$DST/$id" && mv "$SRC/$id/work/"* "$DST/$id/" '
    '&& rmdir "$SRC/$id/work" "$SRC/$id" || exit 1; done'
)


def tree_make(work: Path, files: int, payload: bytes) -> None:
    nested = max(files // 10, 1)
    (work / "sub").mkdir(parents=True)
    for i in range(files - nested):
        (work / f"file-{i:03d}.txt").write_bytes(payload)
    for i in range(nested):
        (work / "sub" / f"nested-{i:03d}.txt").write_bytes(payload)


def mv_loop(src: Path, dst: Path, ids: list[str]) -> None:
    env = {**os.environ, "SRC": str(src), "DST": str(dst)}
    subprocess.run(["bash", "-c", MV_LOOP, "bench", *ids], check=True, env=env)


def rename_loop(src: Path, dst: Path, ids: list[str]) -> None:
    for session_id in ids:
        work, dest = src / session_id / "work", dst / session_id
        dest.mkdir()
        for name in os.listdir(work):
            os.rename(work / name, dest / name)
        work.rmdir()
        work.parent.rmdir()


def moves_timed(figures, label: str, move, root: Path, ids: list[str], files: int, payload):
    """Time `move` of fresh trees from root/src/<id>/work to root/dst/<id>."""
    src, dst = root / "src", root / "dst"
    for session_id in ids:
        tree_make(src / session_id / "work", files, payload)
    dst.mkdir()
    figures.time(label, lambda: move(src, dst, ids), items=len(ids) * files)
    assert sum(1 for _ in dst.rglob("*.txt")) == len(ids) * files
    shutil.rmtree(root)


def main(argv=None) -> None:
    parser = harness.arguments(__doc__, sessions=1000, files=50, batch_size=200)
    parser.add_argument("--bytes", type=int, default=1024, help="size of each file")
    args = parser.parse_args(argv)

    with harness.scratch_database(args.database_url) as data_dir:
        from migration_app.dispatch import migration_run_dispatch
        from migration_app.services import migration_undo
        from migration_app.services.attach_workstream import KIND
        from sessions_app import files
        from sessions_app.models import Session
        from sessions_app.services import workstream_create

        payload = os.urandom(args.bytes)
        total = args.sessions * args.files
        workspace = harness.default_workspace()
        workstream_create(workstream_id="bench-target", workspace=workspace)
        ids = [f"bench-{i:05d}" for i in range(args.sessions)]
        Session.objects.bulk_create([Session(id=i, workspace=workspace) for i in ids])
        for session_id in ids:
            tree_make(files.scratch_session_work_dir(session_id), args.files, payload)
        harness.header(
            f"attach to a workstream: {args.sessions:,} sessions x {args.files} files "
            f"({total:,} files of {args.bytes} bytes), batch {args.batch_size}"
        )
        attach = partial(
            migration_run_dispatch, kind=KIND, workstream_id="bench-target", session_ids=ids,
            batch_size=args.batch_size,
        )  # fmt: skip
        mv = "baseline: mv (shell loop)"
        figures = harness.Figures(reference=mv)
        for _ in range(args.rounds):
            for label, move in [(mv, mv_loop), ("floor: os.rename", rename_loop)]:
                moves_timed(figures, label, move, data_dir / "moves", ids, args.files, payload)
            run = figures.time("attach", attach, items=total)
            figures.time("attach undo", partial(migration_undo, run=run), items=total)
            assert run.status == "succeeded" and run.counts["files"] == total, run.counts
            back = sum(1 for _ in (data_dir / "workstreams" / "scratch").rglob("*.txt"))
            assert back == total, f"undo brought back {back} of {total} files"
        figures.print()
        figures.ratio_target("attach within 3x of mv (here {:.2f}x)", "attach", mv, at_most=3)


if __name__ == "__main__":
    main()
