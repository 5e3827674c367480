"""The price table: longest-prefix model match, micro-dollars rounded half up, no price for
an unknown model, and the repository's table well-formed."""

from decimal import Decimal

from sessions_app.pricing import KINDS, cost_estimate, price_table_load, price_table_parse

TABLE = price_table_parse({
    "version": "t1", "checked": "2026-12-05",
    "models": {
        "claude-sonnet-4": {"input": "3", "output": "15", "cache_write": "3.75",
                            "cache_write_1h": "6", "cache_read": "0.30"},
        "claude-sonnet-4-5": {"input": "1", "output": "2", "cache_write": "0",
                              "cache_write_1h": "0", "cache_read": "0.5"},
    },
})  # fmt: skip


def test_a_dated_id_finds_the_longest_key_at_a_dash():
    assert TABLE.price_for("claude-sonnet-4-5-20250929")["input"] == Decimal(1)
    assert TABLE.price_for("claude-sonnet-4-20250514")["input"] == Decimal(3)
    assert TABLE.price_for("claude-sonnet-4") is TABLE.models["claude-sonnet-4"]
    assert TABLE.price_for("claude-sonnet-45") is None  # no dash: another model
    assert TABLE.price_for("") is None


def test_cost_is_micro_dollars_rounded_half_up_once():
    tokens = {"input": 1, "output": 0, "cache_write": 0, "cache_read": 1}
    assert cost_estimate(table=TABLE, model="claude-sonnet-4-5", tokens=tokens) == 2  # 1.5
    tokens = {"input": 0, "output": 0, "cache_write": 0, "cache_read": 1}
    assert cost_estimate(table=TABLE, model="claude-sonnet-4", tokens=tokens) == 0  # 0.3
    assert cost_estimate(table=TABLE, model="gpt-9", tokens=tokens) is None


def test_1_hour_cache_writes_at_their_rate_the_rest_at_the_5_minute_rate():
    both = {"input": 0, "output": 0, "cache_write": 1000, "cache_write_1h": 600, "cache_read": 0}
    assert cost_estimate(table=TABLE, model="claude-sonnet-4", tokens=both) == 400 * 3.75 + 600 * 6
    only_total = {"input": 0, "output": 0, "cache_write": 1000, "cache_read": 0}
    assert cost_estimate(table=TABLE, model="claude-sonnet-4", tokens=only_total) == 3750
    # 1 five-minute token (3.75) + 1 one-hour token (6) = 9.75 → 10, rounded once.
    mixed = {"input": 0, "output": 0, "cache_write": 2, "cache_write_1h": 1, "cache_read": 0}
    assert cost_estimate(table=TABLE, model="claude-sonnet-4", tokens=mixed) == 10


def test_claude_1_hour_cache_writes_are_twice_the_input_price_in_the_repository_table():
    table = price_table_load()
    for name, price in table.models.items():
        if name.startswith("claude-"):
            assert price["cache_write_1h"] == 2 * price["input"], name
            assert price["cache_write"] < price["cache_write_1h"], name


def test_the_repository_table_is_dated_versioned_and_complete():
    table = price_table_load()
    assert table.version and table.checked
    for name, price in table.models.items():
        assert set(price) == set(KINDS), name
        assert all(value >= 0 for value in price.values()), name
