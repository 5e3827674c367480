import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_the_raw_updates_next_to_bulk_update():
    figures = bench_figures("bulk_updates", "--sessions", "120", "--batch", "50", "--rounds", "1")
    assert figures == {
        "link: bulk_update": 120,
        "link: rows_update": 120,
        "compare-and-set: lock + bulk_update": 120,
        "compare-and-set: rows_compare_and_set": 120,
    }
