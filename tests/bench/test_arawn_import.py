"""The arawn import benchmark runs end to end (tiny size) and reports against its floor."""

import pytest

from tests.bench.helpers import bench_figures
from tests.processes import bench_run

ARGS = ("--workstreams", "3", "--sessions", "12", "--messages", "200", "--files", "20")


@pytest.mark.slow
def test_the_benchmark_imports_re_runs_and_reports_against_the_floor():
    # Two rounds: the second round's first import asserts it imported every line and file
    # again, so the first round's undo left the hub empty; the storage floor comes last.
    figures = bench_figures("arawn_import", *ARGS, "--rounds", "2")
    assert figures == {
        "floor: json + executemany, cp -a": 220, "first import": 220,
        "re-run, nothing changed": 220, "storage floor without the search index": 220,
        "storage floor (same rows, bulk writer)": 220,
    }  # fmt: skip
    out = bench_run("arawn_import", *ARGS).stdout
    assert "first import / storage floor: " in out
