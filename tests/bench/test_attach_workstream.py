import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_the_attach_next_to_mv():
    figures = bench_figures("attach_workstream", "--sessions", "3", "--files", "5", "--rounds", "2")
    assert figures == {
        "baseline: mv (shell loop)": 15, "floor: os.rename": 15, "attach": 15, "attach undo": 15,
    }  # fmt: skip
