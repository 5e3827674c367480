"""The benchmark script runs end to end (tiny sizes) and prints its figures next to mv's."""

import pytest

from tests.processes import benchmark_run


@pytest.mark.slow
def test_the_benchmark_runs_and_reports_mv_and_attach(tmp_path):
    done = benchmark_run("migration_app.bench.attach_workstream", "--sessions", "3", "--files", "5")
    assert done.returncode == 0, done.stderr
    assert "3 sessions x 5 files (15 files" in done.stdout
    for line in ("mv (shell loop, baseline)", "sessions_attach_to_workstream", "attach undo"):
        assert line in done.stdout
    assert "the time of mv" in done.stdout
