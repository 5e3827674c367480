"""An estimated cost never reads as complete when some of its tokens have no price."""

from projects_app.admin_display import usage_cost_format


def test_a_fully_priced_cost_is_bare_dollars():
    assert usage_cost_format(cost=2_530_000, unpriced_tokens=0) == "$2.53"
    assert usage_cost_format(cost=1_000, unpriced_tokens=0) == "$0.0010"


def test_a_partly_priced_cost_names_the_tokens_it_leaves_out():
    shown = usage_cost_format(cost=2_530_000, unpriced_tokens=1_045)
    assert ">$2.53 + 1,045 tokens with no price</span>" in shown
    assert 'class="usage-partial"' in shown
    assert 'title="The estimate leaves out 1,045 tokens of models' in shown


def test_nothing_priced_is_no_price_and_no_usage_is_a_dash():
    assert usage_cost_format(cost=None, unpriced_tokens=300) == "no price"
    assert usage_cost_format(cost=None, unpriced_tokens=0) == "—"
