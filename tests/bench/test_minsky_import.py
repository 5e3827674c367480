"""The minsky import benchmark runs end to end (tiny size) and reports against the floor."""

import re

import pytest

from tests.bench.helpers import bench_figures
from tests.processes import bench_run


@pytest.mark.slow
def test_the_benchmark_imports_re_runs_and_reports_against_the_floor():
    # Two rounds: the first is undone before the second imports every record again; the
    # storage floor is measured once, after the last.
    args = ("--records", "300", "--batch-size", "100", "--rounds", "2")
    figures = bench_figures("minsky_import", *args)
    assert figures == {
        "floor": 300, "first import": 300, "re-run (all skipped)": 300,
        "storage floor without the search index": 300,
        "storage floor (same rows, bulk writer)": 300,
    }  # fmt: skip
    out = bench_run("minsky_import", *args).stdout
    assert "floor rows: 300; first import: succeeded, 300 sessions; re-run: 300 skipped" in out
    assert re.search(r"first import / storage floor: [\d.]+x; storage floor / floor: [\d.]+x", out)
    assert re.search(r"storage floor with / without the search index: [\d.]+x; without it", out)
