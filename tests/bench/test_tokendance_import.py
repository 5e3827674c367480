"""The TokenDance import benchmark runs end to end (tiny size) and reports against its floor."""

import pytest

from tests.bench.helpers import bench_figures
from tests.processes import bench_run


@pytest.mark.slow
def test_the_benchmark_imports_reruns_and_reports_against_the_floor():
    args = ("--sessions", "60", "--messages", "4", "--batch-size", "25", "--rounds", "2")
    figures = bench_figures("tokendance_import", *args)
    assert figures == {
        "floor": 60, "first import": 60, "re-run (all skipped)": 60,
        "storage floor without the search index": 60,
        "storage floor (same rows, bulk writer)": 60,
    }  # fmt: skip
    out = bench_run("tokendance_import", *args).stdout
    assert "messages imported per run: 240;" in out
    assert "statuses: ['True', 'succeeded']" in out
