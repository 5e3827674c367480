import pytest

from tests.bench.helpers import bench_figures


@pytest.mark.slow
def test_prints_the_run_next_to_one_session_at_a_time():
    figures = bench_figures(
        "session_to_project", "--sessions", "40", "--messages", "3",
        "--baseline-sessions", "10", "--rounds", "2",
    )  # fmt: skip
    assert figures == {
        "dry run": 40, "run": 40, "re-run (all skipped)": 40, "undo": 40,
        "baseline: one session at a time": 10,
    }  # fmt: skip
