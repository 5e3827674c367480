"""Staff see tokens and estimated cost: the dashboard chart stacked by model per day, the
session and project lists sorted by their token and cost columns (a partly priced cost
marked as such)."""

import datetime as dt

from tests.factories import ProjectFactory, SessionFactory, UsageRecordFactory

DAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def usage_rows():
    """s-small: 100 tokens, $0.0010; s-big: 5,745 tokens, $2.53 and 45 with no price;
    s-unknown: 300 tokens with no price at all. Each in its own project."""
    small, big = ProjectFactory(title="small"), ProjectFactory(title="big")
    unknown = ProjectFactory(title="unknown")
    sessions = {
        "s-small": SessionFactory(id="s-small", title="small", project=small),
        "s-big": SessionFactory(id="s-big", title="big", project=big),
        "s-unknown": SessionFactory(id="s-unknown", title="unknown", project=unknown),
    }
    UsageRecordFactory(session=sessions["s-small"], occurred_at=DAY, total_tokens=100,
                       cost_micro_usd=1_000)  # fmt: skip
    UsageRecordFactory(session=sessions["s-big"], occurred_at=DAY, total_tokens=5_000,
                       cost_micro_usd=2_500_000)  # fmt: skip
    next_day = DAY + dt.timedelta(days=1)
    UsageRecordFactory(session=sessions["s-big"], occurred_at=next_day, model="claude-opus-4-5",
                       total_tokens=700, cost_micro_usd=30_000)  # fmt: skip
    UsageRecordFactory(session=sessions["s-unknown"], occurred_at=DAY, model="mystery",
                       total_tokens=300, cost_micro_usd=None, price_version="")  # fmt: skip
    UsageRecordFactory(session=sessions["s-big"], occurred_at=DAY, model="mystery",
                       total_tokens=45, cost_micro_usd=None, price_version="")  # fmt: skip
    return sessions


def column(page, name):
    # A link column's cells are th, the others td.
    cells = page.locator(f"#result_list tbody .field-{name}").all()
    return [cell.inner_text() for cell in cells]


def test_dashboard_chart_stacks_models_per_day(admin_page):
    usage_rows()
    page = admin_page
    page.goto(f"{page.base_url}/admin/")
    module = page.locator("#dashboard-usage")
    assert "2026-11-02 – 2026-12-01" in module.locator("h2").inner_text()
    tokens = module.locator("figure[data-unit='tokens'] rect.usage-bar")
    # Day 1: Sonnet and the unknown model stacked; day 2: Opus.
    bars = [(b.get_attribute("data-day"), b.get_attribute("data-model")) for b in tokens.all()]
    assert sorted(bars) == [("2026-11-30", "claude-sonnet-4-5"), ("2026-11-30", "mystery"),
                            ("2026-12-01", "claude-opus-4-5")]  # fmt: skip
    day1 = [b for b in tokens.all() if b.get_attribute("data-day") == "2026-11-30"]
    heights = sorted(float(b.get_attribute("height")) for b in day1)
    assert heights[1] > heights[0]  # 5,100 Sonnet tokens above 300 unknown ones
    sonnet = tokens.filter(has_text="claude-sonnet-4-5").first
    assert "5,100" in sonnet.locator("title").text_content()
    costs = module.locator("figure[data-unit='USD'] rect.usage-bar")
    assert {b.get_attribute("data-model") for b in costs.all()} == {
        "claude-sonnet-4-5", "claude-opus-4-5"
    }  # the unknown model has no cost bar  # fmt: skip
    assert "No price for: mystery" in module.locator(".usage-unpriced").inner_text()
    legend = [i.get_attribute("data-model") for i in module.locator(".usage-legend-item").all()]
    assert legend == ["claude-sonnet-4-5", "claude-opus-4-5", "mystery"]


def test_session_and_project_lists_sort_by_tokens_and_cost(admin_page):
    usage_rows()
    page = admin_page
    page.goto(f"{page.base_url}/admin/sessions_app/session/")
    page.click("#result_list th.column-usage_tokens a")
    page.wait_for_url("**o=*")
    assert column(page, "usage_tokens") == ["100", "300", "5,745"]
    page.click("#result_list th.column-usage_tokens a.toggle")
    page.wait_for_url("**o=-*")
    assert column(page, "usage_tokens") == ["5,745", "300", "100"]
    partial = "$2.53 + 45 tokens with no price"
    assert column(page, "usage_cost") == [partial, "no price", "$0.0010"]

    # By cost: nothing priced sorts lowest, on either database.
    page.click("#result_list th.column-usage_cost a")
    page.wait_for_url(lambda url: "o=-" not in url)
    assert column(page, "short_session_id") == ["s-unknown", "s-small", "s-big"]
    assert column(page, "usage_cost") == ["no price", "$0.0010", partial]
    page.click("#result_list th.column-usage_cost a.toggle")
    page.wait_for_url("**o=-*")
    assert column(page, "short_session_id") == ["s-big", "s-small", "s-unknown"]

    page.goto(f"{page.base_url}/admin/projects_app/project/")
    page.click("#result_list th.column-usage_cost a")
    page.wait_for_url("**o=*")
    assert column(page, "short_title") == ["unknown", "small", "big"]
    assert column(page, "usage_cost") == ["no price", "$0.0010", partial]
    assert column(page, "usage_tokens") == ["300", "100", "5,745"]
    page.click("#result_list th.column-usage_cost a.toggle")
    page.wait_for_url("**o=-*")
    assert column(page, "short_title") == ["big", "small", "unknown"]

    # By tokens: an order the cost's is not (unknown's 300 tokens above small's 100).
    page.click("#result_list th.column-usage_tokens a")
    page.wait_for_url(lambda url: "o=-" not in url)
    assert column(page, "short_title") == ["small", "unknown", "big"]
    assert column(page, "usage_tokens") == ["100", "300", "5,745"]
    page.click("#result_list th.column-usage_tokens a.toggle")
    page.wait_for_url("**o=-*")
    assert column(page, "short_title") == ["big", "unknown", "small"]
