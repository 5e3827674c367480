"""The import benchmark runs end to end (tiny size) and reports the floor next to the import."""

import os
import subprocess
import sys

import pytest

from migration_app.services.parse_ahead import usable_cores


def figures(stdout: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


@pytest.mark.slow
def test_the_benchmark_imports_everything_and_reports_figures_next_to_the_floor():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "migration_app.bench.legacy_import", "--sessions", "300",
         "--batch-size", "100"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
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
