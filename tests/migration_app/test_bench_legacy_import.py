"""The import benchmark runs end to end (tiny size) and reports the floor next to the import."""

import pytest

from migration_app.services.parse_ahead import usable_cores
from tests.processes import benchmark_run


def figures(stdout: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


@pytest.mark.slow
def test_the_benchmark_imports_everything_and_reports_figures_next_to_the_floor():
    done = benchmark_run(
        "migration_app.bench.legacy_import", "--sessions", "300", "--batch-size", "100"
    )
    assert done.returncode == 0, done.stderr
    report = figures(done.stdout)
    assert report["sessions_imported"] == report["floor_sessions"] == report["sessions_generated"]
    assert report["first_status"] == "succeeded"
    assert report["rerun_migrated"] == "0"
    for name in ("first_import_vs_floor", "rerun_vs_floor", "peak_rss_mb_after_rerun"):
        assert float(report[name]) > 0
    # 300 files in batches of 100: the import used its parse helper (on 2+ cores).
    if usable_cores() > 1:
        assert float(report["peak_rss_mb_parse_helper"]) > 0
