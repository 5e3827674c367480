"""The API benchmark script still runs end to end (figures are not asserted: no timing)."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_runs_every_target_without_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "config.bench_api", "--seconds", "0.5", "--rounds", "1",
         "--workers", "1", "--concurrency", "2"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    served, in_process = result.stdout.split("\n\n")
    targets = {"bare", "plain-session", "session", "plain-projects", "projects", "projects-unkept"}
    rows = {line.split()[0]: line.split() for line in served.splitlines()[2:]}
    assert set(rows) == targets
    for name, columns in rows.items():
        assert int(columns[1]) > 0, name  # some requests answered 200
        assert columns[4] == "0", name  # and none failed
    timed = {line.split()[0] for line in in_process.splitlines()[1:]}
    assert timed == targets
