"""The import benchmark runs end to end (tiny size) and reports the floor next to the import."""

import pytest

from tests.bench.helpers import bench_figures
from tests.processes import bench_run


@pytest.mark.slow
def test_the_benchmark_imports_and_undoes_and_reports_against_the_floor():
    args = ("--sessions", "300", "--batch-size", "100", "--rounds", "1")
    figures = bench_figures("legacy_import", *args)
    assert list(figures) == [
        "floor", "first import, parse-ahead", "re-run (all skipped)",
        "first import, parse-ahead off", "storage floor without the search index",
        "storage floor (same rows, bulk writer)",
    ]  # fmt: skip
    [files] = set(figures.values())  # every measure covers the same files
    out = bench_run("legacy_import", *args).stdout
    assert f"sessions imported per run: {files};" in out
    assert "statuses: ['True', 'succeeded']" in out
