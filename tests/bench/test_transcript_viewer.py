import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_each_page_next_to_the_bare_select():
    figures = bench_figures("transcript_viewer", "--lines", "700", "--rounds", "1")
    assert list(figures) == [
        "floor: bare SELECT of a page (LIMIT 51)",
        "reference: session page, no transcript",
        "session page, first page",
        "session page, middle page",
        "session page, jump to the first error",
    ]
