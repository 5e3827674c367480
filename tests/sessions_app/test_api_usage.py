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


FIGURES = ("input", "output", "cache_write", "cache_write_1h", "cache_read", "total",
           "cost_micro_usd", "unpriced_tokens", "records")  # fmt: skip


def figures(row, *, group: str) -> tuple:
    return (row[group], *(row[name] for name in FIGURES))


@pytest.fixture
def two_sessions(api_world):
    """Besides api_world's own record (alpha-session-1: Sonnet, 1000 in, 100 out, 4,500 µ$),
    two sessions of three records each, from two sources."""
    alpha = api_world.objects["alpha"]
    first = SessionFactory(id="rollup-a", workspace=alpha)
    second = SessionFactory(id="rollup-b", workspace=alpha)
    UsageRecordFactory(session=first)  # 1000 in, 100 out: 1100 tokens, 4,500 µ$
    UsageRecordFactory(session=first, model="claude-haiku-4-5", input_tokens=200,
                       output_tokens=30, cache_write_tokens=40, cache_read_tokens=500,
                       total_tokens=770, cost_micro_usd=1000)  # fmt: skip
    UsageRecordFactory(session=first, model="nobody-knows", input_tokens=10, output_tokens=5,
                       total_tokens=15, cost_micro_usd=None, price_version="")  # fmt: skip
    codex = {"origin": "codex", "model": "gpt-5-codex"}
    UsageRecordFactory(session=second, **codex, input_tokens=300, output_tokens=20,
                       cache_read_tokens=900, total_tokens=1220, cost_micro_usd=688)  # fmt: skip
    UsageRecordFactory(session=second, **codex, input_tokens=200, output_tokens=50,
                       cache_read_tokens=800, total_tokens=1050, cost_micro_usd=850)  # fmt: skip
    UsageRecordFactory(session=second, input_tokens=3, output_tokens=7, cache_write_tokens=11,
                       cache_write_1h_tokens=6, cache_read_tokens=13, total_tokens=34,
                       cost_micro_usd=77)  # fmt: skip
    return api_world


def test_by_session_sums_each_sessions_records(two_sessions):
    rows = items(two_sessions.member.get("/api/v1/usage?group_by=session"))
    # session, input, output, cache write (1 h part), cache read, total, µ$, unpriced, records
    assert [figures(r, group="session") for r in rows] == [
        ("alpha-session-1", 1000, 100, 0, 0, 0, 1100, 4500, 0, 1),
        ("rollup-a", 1210, 135, 40, 0, 500, 1885, 5500, 15, 3),
        ("rollup-b", 503, 77, 11, 6, 1713, 2304, 1615, 0, 3),
    ]  # fmt: skip


def test_by_source_sums_each_source_apart(two_sessions):
    rows = items(two_sessions.member.get("/api/v1/usage?group_by=source"))
    assert [figures(r, group="source") for r in rows] == [
        ("claude-code", 2213, 242, 51, 6, 513, 3019, 10_077, 15, 5),
        ("codex", 500, 70, 0, 0, 1700, 2270, 1538, 0, 2),
    ]  # fmt: skip


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
