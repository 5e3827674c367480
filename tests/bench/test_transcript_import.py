"""The transcript import benchmark runs end to end (tiny size) and reports the floor, the
imports and their correctness next to each target (not their values: no timing is
asserted)."""

import re

import pytest

from tests.bench.helpers import bench_figures
from tests.processes import bench_run

ARGS = ("--size", "600K", "--files", "12", "--append-files", "5", "--append-size", "8K",
        "--hub-sessions", "500")  # fmt: skip


def _numbers(line: str) -> list[int]:
    return [int(n) for n in re.findall(r"\b\d+\b", line)]


@pytest.mark.slow
def test_the_benchmark_imports_every_line_once_and_reports_each_target():
    figures = bench_figures("transcript_import", *ARGS)
    assert list(figures) == [
        "floor (json.loads + executemany)", "first import (archive copy included)",
        "re-run, unchanged tree", next(k for k in figures if k.endswith("appended to 5")),
        "first import, a quarter the size", "storage floor without the search index",
        "storage floor (same rows, bulk writer)",
    ]  # fmt: skip
    out = bench_run("transcript_import", *ARGS).stdout
    report = {line.split(":")[0]: line for line in out.splitlines() if ":" in line}
    # Every line generated reaches the floor and the import; the figures count the same lines.
    lines, floor_rows = _numbers(report["lines generated"])
    assert lines == floor_rows == figures["first import (archive copy included)"] > 0
    first = report["first import"]
    assert first.startswith("first import: succeeded,")
    expected, imported, archived, generated = _numbers(first)
    assert expected == imported > 0 and archived == generated
    # The re-run reads nothing: every file unchanged, no message imported.
    imported, unchanged, files = _numbers(report["re-run"])
    assert report["re-run"].startswith("re-run: succeeded,")
    assert imported == 0 and unchanged == files > 5
    expected, imported, _updated = _numbers(report["append"])
    assert expected == imported > 0
    in_database, expected_rows, copies, expected_bytes = _numbers(
        report["messages in the database"]
    )
    assert in_database == expected_rows and copies == expected_bytes
    assert (
        "with the index on agent_session_id" in report["linking lookup, 200 ids among 500 sessions"]
    )
    targets = [line for line in out.splitlines() if line.startswith("target: ")]
    assert [t.split(" (")[0] for t in targets] == [
        "target: first import ≤ 2x the floor", "target: re-run ≤ 0.05x the first import",
        "target: append re-run ≤ 0.1x the first import", "target: peak RSS < 300 MB and flat",
    ]  # fmt: skip
