"""The price table (sessions_app/prices.json): a dated, versioned list price per model, and
the estimated cost of a token count in integer micro-dollars.

Prices are USD per million tokens, which is micro-dollars per token: a count's cost is
Σ tokens × price, rounded half up to a whole micro-dollar once per record. Claude's cache
writes have two rates: `cache_write` (5-minute cache) and `cache_write_1h` (1-hour
cache); a count's `cache_write` is every cache write, `cache_write_1h` those of them
made for the 1-hour cache, and the rest are priced at the 5-minute rate. A model id
matches the longest table key that it equals or that it starts with followed by `-` (so a
dated id such as `claude-sonnet-4-5-20250929` finds `claude-sonnet-4-5`, never
`claude-sonnet-4`); a model with no key has no price.
"""

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

PRICES_PATH = Path(__file__).with_name("prices.json")
KINDS = ("input", "output", "cache_write", "cache_write_1h", "cache_read")


@dataclass(frozen=True)
class PriceTable:
    version: str
    checked: str
    models: dict[str, dict[str, Decimal]]
    # The match of each model id met: an import prices every API message.
    _matched: dict = field(default_factory=dict, compare=False, repr=False)

    def price_for(self, model: str) -> dict[str, Decimal] | None:
        if model not in self._matched:
            keys = [key for key in self.models if model == key or model.startswith(key + "-")]
            self._matched[model] = self.models[max(keys, key=len)] if keys else None
        return self._matched[model]


def price_table_parse(data: dict) -> PriceTable:
    models = {
        name: {kind: Decimal(str(row[kind])) for kind in KINDS}
        for name, row in data["models"].items()
    }
    return PriceTable(version=str(data["version"]), checked=str(data["checked"]), models=models)


@cache
def price_table_load(path: str = str(PRICES_PATH)) -> PriceTable:
    with open(path, encoding="utf-8") as handle:
        return price_table_parse(json.load(handle))


def cost_estimate(*, table: PriceTable, model: str, tokens: dict[str, int]) -> int | None:
    """Micro-dollars for `tokens` ({input, output, cache_write, cache_read}, and
    cache_write_1h: the part of cache_write made for the 1-hour cache) of `model`, or None
    when the table has no price for it."""
    price = table.price_for(model)
    if price is None:
        return None
    counts = {kind: tokens.get(kind, 0) for kind in KINDS}
    counts["cache_write"] = max(counts["cache_write"] - counts["cache_write_1h"], 0)  # 5-minute
    total = sum((Decimal(counts[kind]) * price[kind] for kind in KINDS), Decimal(0))
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
