"""The session page's usage panel: session_usage's figures as table rows, its own by model,
each subagent's by model, and the totals (own, subagents, all), costs formatted so that a
partly priced figure says so."""

from projects_app.admin_display import usage_cost_format
from sessions_app.models import Session
from sessions_app.usage_rollups import session_usage

COUNTS = ("input", "output", "cache_write", "cache_read", "total")


def _row(figures: dict, **labels) -> dict:
    cost = usage_cost_format(
        cost=figures["cost_micro_usd"], unpriced_tokens=figures["unpriced_tokens"]
    )
    return {**labels, "counts": [f"{figures[name]:,}" for name in COUNTS], "cost": cost}


def _by_model(rows: list[dict]) -> list[dict]:
    return [_row(r, model=r["model"], source=r["source"]) for r in rows]


def session_usage_panel(*, session: Session) -> dict:
    figures = session_usage(session=session)
    groups = [{"title": "This session", "subagent": "", "rows": _by_model(figures["own"])}]
    for subagent in figures["subagents"]:
        name = subagent["subagent"]
        rows = _by_model(subagent["by_model"])
        groups.append({"title": f"Subagent {name}", "subagent": name, "rows": rows})
    totals = figures["totals"]
    return {
        "groups": [g for g in groups if g["rows"]],
        "totals": [
            _row(totals["own"], kind="own", label="Total: own"),
            _row(totals["subagents"], kind="subagents", label="Total: subagents"),
            _row(totals["all"], kind="all", label="Total: all"),
        ],
        "has_usage": bool(totals["all"]["records"]),
        "price_versions": figures["price_versions"],
    }
