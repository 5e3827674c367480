import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_the_journal_writer_next_to_bulk_create():
    figures = bench_figures("journal_items", "--items", "120", "--batch", "50", "--rounds", "2")
    assert figures == {
        "baseline: bulk_create": 120, "Django cursor executemany": 120, "journal: rows_insert": 120,
    }  # fmt: skip
