import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_the_run_next_to_one_raw_update():
    figures = bench_figures(
        "reassociate_task", "--sessions", "300", "--matching", "30", "--rounds", "2"
    )
    assert figures == {"floor: one raw UPDATE": 30, "dry run": 30, "run": 30, "undo": 30}
