"""The batch-read benchmark runs end to end (tiny size) and prints both readers' figures."""

import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_the_benchmark_reads_every_session_back_both_ways():
    figures = bench_figures("batch_reads", "--sessions", "300", "--batch-size", "100")
    assert figures == {"rows_select_in": 300, "ORM values_list": 300}
