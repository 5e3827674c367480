"""Issue 19's independent count: on the same Claude Code transcripts and Codex rollouts,
our per-session and per-day token totals equal ccusage's (ccusage@20.0.24, installed by
`make test` from package.json). It runs ccusage itself: no figure here is ours alone."""

import re
import shutil

import pytest
from django.conf import settings

from bench.usage_ccusage import compare
from tests.processes import bench_run

CCUSAGE = settings.BASE_DIR / "node_modules" / ".bin" / "ccusage"


@pytest.mark.slow
def test_our_totals_equal_ccusage_per_session_and_per_day_for_both_agents():
    assert CCUSAGE.exists(), "ccusage is missing: run  make node_modules/.installed"
    assert shutil.which("node"), "ccusage needs Node.js"
    done = bench_run("usage_ccusage", "--sessions", "24", "--ccusage", str(CCUSAGE))
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    compared = re.findall(r"^(claude|codex) per (session|day): (\d+) ours, (\d+) ccusage, "
                          r"(\d+) with different tokens$", out, re.M)  # fmt: skip
    assert [(agent, per) for agent, per, *_ in compared] == [
        ("claude", "session"), ("claude", "day"), ("codex", "session"), ("codex", "day"),
    ]  # fmt: skip
    for agent, per, ours, theirs, different in compared:
        assert int(ours) == int(theirs) > 0 and different == "0", (agent, per)
    # 24 sessions of each agent, and some resumed Claude files (repeating another file's
    # start) that both counts list as sessions of their own.
    claude, codex = (int(c[2]) for c in compared if c[1] == "session")
    assert claude >= 24 and codex == 24


def test_a_token_count_that_differs_is_reported(capsys):
    ours = {"s1": {"input": 1, "output": 2, "cache_write": 0, "cache_read": 3, "total": 6}}
    theirs = {"s1": {"inputTokens": 1, "outputTokens": 2, "cacheCreationTokens": 0,
                     "cacheReadTokens": 4, "totalTokens": 7}}  # fmt: skip
    assert compare("per session", ours, theirs) == 1
    assert compare("per session", ours, {}) == 1  # missing on one side
    assert "DIFFERENT per session s1: ours (1, 2, 0, 3, 6), ccusage (1, 2, 0, 4, 7)" in (
        capsys.readouterr().out
    )
