"""GET /api/v1/usage and GET /api/v1/sessions/{id}/usage: groups (a workspace's only to its
members), time range, time zone, subagents apart, 400 on a bad group_by, tz or date."""

import datetime as dt

import pytest

from tests.factories import ProjectFactory, SessionFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def usage_world(api_world):
    alpha = api_world.objects["alpha"]
    project = ProjectFactory(workspace=alpha)
    session = SessionFactory(id="usage-s1", workspace=alpha, project=project)
    UsageRecordFactory(session=session, occurred_at=AT)
    UsageRecordFactory(session=session, occurred_at=AT, subagent="explorer",
                       model="claude-haiku-4-5", total_tokens=50, input_tokens=50,
                       output_tokens=0, cost_micro_usd=50)  # fmt: skip
    UsageRecordFactory(session=session, occurred_at=AT + dt.timedelta(days=1),
                       model="nobody-knows", cost_micro_usd=None, price_version="")  # fmt: skip
    return api_world, session, project


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_by_model_sums_tokens_and_costs_and_keeps_unknown_models_unpriced(usage_world):
    world, _, _ = usage_world
    rows = {r["model"]: r for r in items(world.member.get("/api/v1/usage?group_by=model"))}
    # api_world's own record is Sonnet as well: two of them.
    assert rows["claude-sonnet-4-5"]["total"] == 2200
    assert rows["claude-sonnet-4-5"]["cost_micro_usd"] == 9000
    assert rows["nobody-knows"]["cost_micro_usd"] is None
    assert rows["nobody-knows"]["unpriced_tokens"] == 1100


def test_by_project_and_source(usage_world):
    world, _, project = usage_world
    rows = {r["project"]: r for r in items(world.member.get("/api/v1/usage?group_by=project"))}
    assert rows[project.pk]["total"] == 1100 + 50 + 1100
    rows = items(world.member.get("/api/v1/usage?group_by=source"))
    assert [(r["source"], r["records"]) for r in rows] == [("claude-code", 4)]


def test_by_workspace_sums_each_callers_workspaces_and_never_another(usage_world):
    world, _, _ = usage_world
    alpha, beta = world.objects["alpha"], world.objects["beta"]
    UsageRecordFactory(session=SessionFactory(workspace=beta), input_tokens=7, output_tokens=3,
                       total_tokens=10, cost_micro_usd=52)  # fmt: skip
    # alpha: api_world's record and usage_world's three (one of them unpriced).
    alpha_row = {"workspace": str(alpha.pk), "input": 3050, "output": 300, "cache_write": 0,
                 "cache_write_1h": 0, "cache_read": 0, "total": 3350, "cost_micro_usd": 9050,
                 "unpriced_tokens": 1100, "records": 4}  # fmt: skip
    beta_row = {"workspace": str(beta.pk), "input": 7, "output": 3, "cache_write": 0,
                "cache_write_1h": 0, "cache_read": 0, "total": 10, "cost_micro_usd": 52,
                "unpriced_tokens": 0, "records": 1}  # fmt: skip

    def rows(caller):
        return [{k: r[k] for k in alpha_row} for r in items(caller.get(query))]

    query = "/api/v1/usage?group_by=workspace"
    assert rows(world.member) == [alpha_row]
    assert rows(world.nonmember) == [beta_row]
    assert sorted(rows(world.staff), key=lambda r: r["workspace"]) == sorted(
        [alpha_row, beta_row], key=lambda r: r["workspace"]
    )


def test_days_in_utc_or_the_time_zone_asked_and_a_range(usage_world):
    world, _, _ = usage_world
    query = "/api/v1/usage?group_by=day&since=2026-03-01&until=2026-03-02"
    assert [(r["day"], r["total"]) for r in items(world.member.get(query))] == [
        ("2026-03-01", 1150), ("2026-03-02", 1100)
    ]  # fmt: skip
    rows = items(world.member.get(query + "&tz=Asia/Tokyo"))
    # 23:30 UTC is the next morning in Tokyo; the range is Tokyo's days too.
    assert [(r["day"], r["total"]) for r in rows] == [("2026-03-02", 1150)]
    body = world.member.get("/api/v1/usage?group_by=day").json()
    assert body["price_versions"] == ["test"] and body["tz"] == "UTC"


def test_session_usage_shows_subagents_apart(usage_world):
    world, session, _ = usage_world
    response = world.member.get(f"/api/v1/sessions/{session.pk}/usage")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"]["all"]["total"] == 2250
    assert body["totals"]["own"]["total"] == 2200
    assert body["totals"]["subagents"]["total"] == 50
    assert body["subagents"][0]["subagent"] == "explorer"
    assert [r["model"] for r in body["subagents"][0]["by_model"]] == ["claude-haiku-4-5"]
    assert body["totals"]["all"]["cost_micro_usd"] == 4550  # the unknown model adds nothing


@pytest.mark.parametrize(
    "query",
    [
        "group_by=week",
        "group_by=workspace_id",
        "tz=Mars/Olympus",
        "since=2026-13-01",
        "until=yesterday",
        "group_by=",
    ],
)
def test_a_bad_group_by_tz_or_date_is_400(api_world, query):
    response = api_world.member.get(f"/api/v1/usage?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_queries_do_not_grow_with_the_records(usage_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world, session, _ = usage_world

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert world.member.get(path).status_code == 200
        return len(queries)

    paths = ("/api/v1/usage?group_by=project", f"/api/v1/sessions/{session.pk}/usage")
    [count(path) for path in paths]  # the first request also notes the key's last use
    before = [count(path) for path in paths]
    for n in range(20):
        UsageRecordFactory(session=session, occurred_at=AT, subagent=f"sub-{n % 4}")
    assert [count(path) for path in paths] == before
