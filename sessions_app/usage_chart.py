"""The admin dashboard's usage chart: tokens and estimated cost per day, stacked by model,
as SVG geometry computed here (no script, no CDN). The window is the DAYS days ending on
the latest day with usage (UTC), so an import of old transcripts still shows."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max

from projects_app.admin_display import micro_usd_format
from sessions_app.models import UsageRecord
from sessions_app.usage_rollups import usage_rollup

DAYS = 30
WIDTH, HEIGHT, LEFT, BOTTOM = 720, 160, 56, 18
PALETTE = ("#417690", "#e07b39", "#5b9a4b", "#b3495f", "#8a6bb5", "#c9a227", "#4fa3a5", "#777")


@dataclass
class Chart:
    title: str
    unit: str
    top_label: str
    bars: list = field(default_factory=list)  # dicts: x, y, width, height, color, title, model, day


def _stack(title, unit, days, values, colors, fmt) -> Chart:
    """values: {(day, model): number}."""
    per_day = {d: sum(v for (day, _), v in values.items() if day == d) for d in days}
    top = max(per_day.values(), default=0) or 1
    step = (WIDTH - LEFT) / len(days)
    chart = Chart(title=title, unit=unit, top_label=fmt(top))
    for i, day in enumerate(days):
        y = HEIGHT - BOTTOM
        for model in colors:
            value = values.get((day, model), 0)
            if not value:
                continue
            height = max((HEIGHT - BOTTOM - 8) * value / top, 1)
            y -= height
            chart.bars.append({
                "x": round(LEFT + i * step + 1, 1), "y": round(y, 1),
                "width": round(max(step - 2, 1), 1), "height": round(height, 1),
                "color": colors[model], "model": model or "(no model)", "day": day,
                "title": f"{day} · {model or '(no model)'}: {fmt(value)}",
            })  # fmt: skip
    return chart


def usage_chart_data(*, days: int = DAYS) -> dict | None:
    """Two stacked-bar charts (tokens, estimated cost) and the model legend, or None when
    there is no usage at all."""
    last = UsageRecord.objects.aggregate(last=Max("occurred_at"))["last"]
    if last is None:
        return None
    end = last.astimezone(dt.UTC).date()
    first = end - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    rows = usage_rollup(
        records=UsageRecord.objects.filter(occurred_at__gte=since), group_by=("day", "model")
    )
    day_list = [(first + dt.timedelta(days=n)).isoformat() for n in range(days)]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["model"]] = totals.get(row["model"], 0) + row["total"]
    models = sorted(totals, key=lambda m: (-totals[m], m))
    colors = {m: PALETTE[min(i, len(PALETTE) - 1)] for i, m in enumerate(models)}
    tokens = {(r["day"], r["model"]): r["total"] for r in rows}
    costs = {(r["day"], r["model"]): r["cost_micro_usd"] or 0 for r in rows}
    unpriced = sorted({r["model"] or "(no model)" for r in rows if r["unpriced_tokens"]})
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "baseline": HEIGHT - BOTTOM,
        "first": day_list[0], "last": day_list[-1],
        "charts": [
            _stack("Tokens per day", "tokens", day_list, tokens, colors, lambda v: f"{v:,}"),
            _stack("Estimated cost per day", "USD", day_list, costs, colors, micro_usd_format),
        ],
        "legend": [{"model": m or "(no model)", "color": colors[m], "tokens": totals[m]}
                   for m in models],
        "unpriced": unpriced,
    }  # fmt: skip
