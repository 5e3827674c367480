"""Running a benchmark at a tiny scale and reading the figures it prints (not their values:
no timing is asserted)."""

from django.db import connection

from tests.processes import bench_run

LABEL_WIDTH = 44


def bench_figures(name: str, *args: str) -> dict[str, int]:
    """{label: items} of the figures table `python -m bench.<name>` printed."""
    done = bench_run(name, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith(f"database: {connection.vendor} "), lines[:2]
    assert "load average" in lines[1]
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["items", "median"])
    end = next(i for i, line in enumerate(lines) if line.startswith("(median of"))
    rows = {
        line[:LABEL_WIDTH].rstrip(): line[LABEL_WIDTH:].split() for line in lines[start + 1 : end]
    }
    # items, median and best (a number and a unit each), queries, x ref
    assert all(len(columns) == 7 for columns in rows.values()), rows
    assert sum(columns[-1] == "1.00x" for columns in rows.values()) >= 1  # the reference
    assert lines[-1].startswith("target: ") and lines[-1].endswith((": met", ": MISSED"))
    return {label: int(columns[0]) for label, columns in rows.items()}
