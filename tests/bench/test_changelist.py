import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_every_page_next_to_the_bare_select():
    figures = bench_figures("changelist", "--rows", "500", "--rounds", "1")
    labels = list(figures)
    assert labels[:4] == [
        "floor: SELECT … LIMIT 100",
        "reference: full SELECT COUNT(*)",
        "changelist, unfiltered",
        "changelist, ?status__exact=failed",
    ]
    assert labels[4].startswith("changelist, ?q=id:") and labels[5].endswith("(id prefix)")
    assert labels[6:] == [
        "changelist, ?q=4242 (word of 1 in 5,000)",
        "changelist, ?q=session (word of all)",
    ]
