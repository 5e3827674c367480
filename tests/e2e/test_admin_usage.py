"""Staff see tokens and estimated cost: the dashboard chart stacked by model per day, the
session and project lists sorted by their token and cost columns (a partly priced cost
marked as such), and a session's page with its own and its subagents' figures apart."""

import datetime as dt

import pytest
from django.core.management import call_command

from sessions_app.models import Session
from tests.factories import ProjectFactory, SessionFactory, UsageRecordFactory
from tests.migration_app.transcript_helpers import CLAUDE_UUID, homes
from tests.sessions_app.usage_transcripts import claude_files

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


@pytest.fixture
def session_with_subagent(tmp_path, data_dir, transactional_db):
    """The usage transcripts (tests/sessions_app/usage_transcripts.py) imported by the real
    command: Sonnet, Opus and a model with no price, and a subagent on Haiku."""
    claude, codex = homes(tmp_path)
    claude_files(claude)
    with open(tmp_path / "import.json", "w") as out:
        call_command("import_transcripts", claude_home=str(claude), codex_home=str(codex),
                     json=True, stdout=out)  # fmt: skip
    return Session.objects.get(agent_session_id=CLAUDE_UUID)


def panel_rows(panel, selector):
    return [row.locator("td, th").all_inner_texts() for row in panel.locator(selector).all()]


def test_session_page_shows_its_usage_with_subagents_apart(admin_page, session_with_subagent):
    page = admin_page
    page.goto(f"{page.base_url}/admin/sessions_app/session/{session_with_subagent.pk}/change/")
    panel = page.locator("#session-usage")
    # model, source, input, output, cache write, cache read, total, est. cost
    assert panel_rows(panel, "tbody.usage-own tr.usage-model") == [
        ["claude-mystery-9", "claude-code", "1", "2", "3", "4", "10", "no price"],
        ["claude-opus-4-5-20251101", "claude-code", "3", "200", "0", "2,000", "2,203",
         "$0.0060"],
        ["claude-sonnet-4-5-20250929", "claude-code", "10", "30", "100", "5", "145", "$0.0009"],
    ]  # fmt: skip
    subagent = panel.locator("tbody.usage-subagent[data-subagent='agent-x']")
    assert "Subagent agent-x" in subagent.locator("th.usage-group").inner_text()
    assert panel_rows(subagent, "tr.usage-model") == [
        ["claude-haiku-4-5-20251001", "claude-code", "7", "11", "13", "17", "48", "$0.0001"],
    ]
    assert panel_rows(panel, "tfoot tr.usage-total") == [
        ["Total: own", "14", "232", "103", "2,009", "2,358", "$0.0069 + 10 tokens with no price"],
        ["Total: subagents", "7", "11", "13", "17", "48", "$0.0001"],
        ["Total: all", "21", "243", "116", "2,026", "2,406", "$0.0070 + 10 tokens with no price"],
    ]
    marker = panel.locator("tfoot tr[data-total='all'] .usage-partial")
    assert "leaves out 10 tokens" in marker.get_attribute("title")
