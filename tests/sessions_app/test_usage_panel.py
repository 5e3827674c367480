"""The session page's usage panel: its own figures by model, each subagent's by model,
and the totals of its own, of its subagents and of all, a partly priced total marked."""

import pytest

from sessions_app.usage_panel import session_usage_panel
from tests.factories import SessionFactory, UsageRecordFactory

pytestmark = pytest.mark.django_db


def cells(row):
    return [*row["counts"], str(row["cost"])]


@pytest.fixture
def session():
    session = SessionFactory()
    # Sonnet 4.5 from the factory: 1000 in, 100 out, 4,500 µ$.
    UsageRecordFactory(session=session)
    UsageRecordFactory(session=session, model="mystery", input_tokens=40, output_tokens=5,
                       total_tokens=45, cost_micro_usd=None, price_version="")  # fmt: skip
    UsageRecordFactory(session=session, subagent="explorer", model="claude-haiku-4-5",
                       input_tokens=500, output_tokens=50, total_tokens=550,
                       cost_micro_usd=700)  # fmt: skip
    return session


def test_own_models_and_each_subagent_are_shown_apart(session):
    own, explorer = session_usage_panel(session=session)["groups"]
    assert (own["title"], own["subagent"]) == ("This session", "")
    assert [(r["model"], cells(r)) for r in own["rows"]] == [
        ("claude-sonnet-4-5", ["1,000", "100", "0", "0", "1,100", "$0.0045"]),
        ("mystery", ["40", "5", "0", "0", "45", "no price"]),
    ]
    assert (explorer["title"], explorer["subagent"]) == ("Subagent explorer", "explorer")
    assert [(r["model"], cells(r)) for r in explorer["rows"]] == [
        ("claude-haiku-4-5", ["500", "50", "0", "0", "550", "$0.0007"]),
    ]


def test_totals_are_own_subagents_and_all_with_unpriced_tokens_marked(session):
    totals = session_usage_panel(session=session)["totals"]
    assert [(t["kind"], t["counts"][-1]) for t in totals] == [
        ("own", "1,145"), ("subagents", "550"), ("all", "1,695"),
    ]  # fmt: skip
    own, subagents, everything = (str(t["cost"]) for t in totals)
    assert "$0.0045 + 45 tokens with no price" in own
    assert subagents == "$0.0007"  # all priced: bare dollars
    assert "$0.0052 + 45 tokens with no price" in everything


def test_a_session_without_usage_has_no_rows():
    panel = session_usage_panel(session=SessionFactory())
    assert panel["has_usage"] is False and panel["groups"] == []
    assert [str(t["cost"]) for t in panel["totals"]] == ["—", "—", "—"]
