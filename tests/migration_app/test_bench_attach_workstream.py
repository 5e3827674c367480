"""The benchmark script runs end to end (tiny sizes) and prints its figures next to mv's."""

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_mv_and_attach(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "migration_app.bench.attach_workstream", "--sessions", "3",
         "--files", "5"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 sessions x 5 files (15 files" in done.stdout
    for line in ("mv (shell loop, baseline)", "sessions_attach_to_workstream", "attach undo"):
        assert line in done.stdout
    assert "the time of mv" in done.stdout
