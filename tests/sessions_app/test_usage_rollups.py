"""usage_rollup by workspace and by source: each group's records summed apart, with exact
figures, the records written by the real legacy-total writer (so their workspace is their
session's); and the per-row figures the admin lists show and sort by."""

import pytest

from sessions_app.models import Session
from sessions_app.usage import usage_sessions_record
from sessions_app.usage_rollups import usage_annotate, usage_records, usage_rollup
from tests.factories import SessionFactory, UsageRecordFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def ao_rs_session(workspace, model, **cost):
    return SessionFactory(
        workspace=workspace, source="ao-rs",
        metadata={"cost": cost, "agent_config": {"model": model}},
    )  # fmt: skip


@pytest.fixture
def two_workspaces():
    alpha, beta = WorkspaceFactory(slug="alpha"), WorkspaceFactory(slug="beta")
    # Sonnet 4.5, $3 / $15 / $3.75 / $0.30: 1000×3 + 100×15 + 20×3.75 + 50×0.30 = 4590 µ$.
    ao_rs_session(alpha, "claude-sonnet-4-5", input_tokens=1000, output_tokens=100,
                  cache_creation_tokens=20, cache_read_tokens=50)  # fmt: skip
    # 2000×3 + 300×15 = 10,500 µ$.
    ao_rs_session(alpha, "claude-sonnet-4-5", input_tokens=2000, output_tokens=300)
    # Haiku 4.5, $1 / $5: 100×1 + 10×5 = 150 µ$.
    ao_rs_session(beta, "claude-haiku-4-5", input_tokens=100, output_tokens=10)
    # An undivided TokenDance total: counted, never priced.
    SessionFactory(workspace=beta, source="tokendance", metadata={"total_tokens_used": 4321})
    assert usage_sessions_record() == 4
    return alpha, beta


def figures(row):
    return {k: v for k, v in row.items() if k not in ("workspace", "source")}


def test_each_workspace_is_summed_apart(two_workspaces):
    alpha, beta = two_workspaces
    records = usage_records(workspace_ids=[alpha.pk, beta.pk])
    rows = usage_rollup(records=records, group_by=("workspace",))
    rows = {r["workspace"]: figures(r) for r in rows}
    assert rows == {
        alpha.pk: {"input": 3000, "output": 400, "cache_write": 20, "cache_write_1h": 0,
                   "cache_read": 50,
                   "total": 3470, "cost_micro_usd": 15_090, "unpriced_tokens": 0, "records": 2},
        beta.pk: {"input": 100, "output": 10, "cache_write": 0, "cache_write_1h": 0,
                  "cache_read": 0,
                  "total": 4431, "cost_micro_usd": 150, "unpriced_tokens": 4321, "records": 2},
    }  # fmt: skip


def test_a_scope_of_one_workspace_has_only_its_group(two_workspaces):
    alpha, _ = two_workspaces
    rows = usage_rollup(records=usage_records(workspace_ids=[alpha.pk]), group_by=("workspace",))
    assert [(r["workspace"], r["total"]) for r in rows] == [(alpha.pk, 3470)]


def test_usage_annotate_counts_the_unpriced_tokens_apart():
    mixed, unpriced, idle = (
        SessionFactory(id="mixed"),
        SessionFactory(id="unpriced"),
        SessionFactory(id="idle"),
    )
    UsageRecordFactory(session=mixed, total_tokens=1100, cost_micro_usd=4500)
    UsageRecordFactory(session=mixed, model="mystery", total_tokens=45, cost_micro_usd=None)
    UsageRecordFactory(session=unpriced, model="mystery", total_tokens=300, cost_micro_usd=None)
    rows = usage_annotate(
        Session.objects.filter(pk__in=[mixed.pk, unpriced.pk, idle.pk]), via="session"
    )
    figures = {s.pk: (s.usage_tokens, s.usage_cost, s.usage_unpriced) for s in rows}
    assert figures == {
        "mixed": (1145, 4500, 45),
        "unpriced": (300, None, 300),
        "idle": (0, None, 0),
    }


def test_each_source_is_summed_apart(two_workspaces):
    alpha, beta = two_workspaces
    rows = usage_rollup(records=usage_records(workspace_ids=[alpha.pk, beta.pk]),
                        group_by=("source",))  # fmt: skip
    assert {r["source"]: figures(r) for r in rows} == {
        # The three ao-rs cost blocks, priced: 4590 + 10,500 + 150 µ$.
        "ao-rs": {"input": 3100, "output": 410, "cache_write": 20, "cache_write_1h": 0,
                  "cache_read": 50, "total": 3580, "cost_micro_usd": 15_240,
                  "unpriced_tokens": 0, "records": 3},
        # The TokenDance total alone: no cost at all, not a cost of 0.
        "tokendance": {"input": 0, "output": 0, "cache_write": 0, "cache_write_1h": 0,
                       "cache_read": 0, "total": 4321, "cost_micro_usd": None,
                       "unpriced_tokens": 4321, "records": 1},
    }  # fmt: skip
