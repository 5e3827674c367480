"""Reading token usage: roll-ups of UsageRecord by day, session, project, workspace, model
or source (a workspace's records, a time range, days in a time zone), one session's figures
with its subagents apart, and the per-row totals the admin lists sort by.

Costs are sums of each record's estimate; records with no price add their tokens to
`unpriced_tokens` instead, so a total never passes an unknown model off as free.
"""

import datetime as dt
import zoneinfo

from django.db.models import BigIntegerField, Case, Count, F, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce, TruncDate

from sessions_app.models import Session, UsageRecord

GROUPS = ("day", "session", "project", "workspace", "model", "source")
TOKENS = ("input", "output", "cache_write", "cache_write_1h", "cache_read", "total")


class UsageQueryError(ValueError):
    """A group_by, time zone or date the roll-up does not know (the API's 400)."""


def usage_tz(*, name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise UsageQueryError(
            f"Unknown time zone {name!r}: give an IANA name such as UTC."
        ) from exc


def usage_bound(*, value: str | None, tz: zoneinfo.ZoneInfo, end: bool) -> dt.datetime | None:
    """A `since` / `until` value: a date (the start of that day in `tz`; for `until`, the
    start of the next day, so the day is included) or an ISO datetime (naive = in `tz`)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day + dt.timedelta(days=end), dt.time(), tzinfo=tz)
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageQueryError(f"Not a date or ISO datetime: {value!r}.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def usage_unpriced_tokens() -> Case:
    """A record's tokens when it has no price, else 0."""
    no_price = When(cost_micro_usd__isnull=True, then=F("total_tokens"))
    return Case(no_price, default=0, output_field=BigIntegerField())


def _sums() -> dict:
    unpriced = usage_unpriced_tokens()
    return {
        "input": Sum("input_tokens"), "output": Sum("output_tokens"),
        "cache_write": Sum("cache_write_tokens"), "cache_write_1h": Sum("cache_write_1h_tokens"),
        "cache_read": Sum("cache_read_tokens"),
        "total": Sum("total_tokens"), "cost_sum": Sum("cost_micro_usd"),
        "unpriced_tokens": Sum(unpriced, output_field=BigIntegerField()), "records": Count("pk"),
    }  # fmt: skip


def _clean(row: dict) -> dict:
    # PostgreSQL sums bigints as numeric: give ints back; a cost stays null when no record
    # of the group had a price.
    for name in (*TOKENS, "unpriced_tokens", "records"):
        row[name] = int(row.get(name) or 0)
    cost = row.pop("cost_sum", None)  # not the field's name: the Case in _sums reads the field
    row["cost_micro_usd"] = None if cost is None else int(cost)
    return row


def _key(group: str, tz):
    return {
        "day": TruncDate("occurred_at", tzinfo=tz),
        "session": F("session_id"),
        "project": F("session__project_id"),
        # The record's own column: written from its session's workspace, and the one the
        # scope filters on, so a group never names a workspace outside the caller's.
        "workspace": F("workspace_id"),
        "model": F("model"),
        "source": F("origin"),
        "subagent": F("subagent"),
    }[group]


def usage_records(*, workspace_ids, since=None, until=None):
    records = UsageRecord.objects.filter(workspace_id__in=workspace_ids)
    if since is not None:
        records = records.filter(occurred_at__gte=since)
    if until is not None:
        records = records.filter(occurred_at__lt=until)
    return records


def usage_rollup(*, records, group_by: tuple[str, ...], tz=dt.UTC) -> list[dict]:
    """Sums of `records` per value of each `group_by` name (day, session, project,
    workspace, model, source), ordered by them."""
    for group in group_by:
        if group not in GROUPS and group != "subagent":  # subagent: session_usage only
            raise UsageQueryError(f"group_by must be one of {', '.join(GROUPS)}; not {group!r}.")
    keys = {f"g_{g}": _key(g, tz) for g in group_by}
    rows = records.annotate(**keys).values(*keys).annotate(**_sums()).order_by(*keys)
    out = []
    for row in rows:
        row = _clean(dict(row))
        for group in group_by:
            value = row.pop(f"g_{group}")
            row[group] = value.isoformat() if isinstance(value, dt.date) else value
        out.append(row)
    return out


def usage_price_versions(*, records) -> list[str]:
    versions = records.exclude(price_version="").values_list("price_version", flat=True)
    return sorted(set(versions.distinct()))


def session_usage(*, session: Session) -> dict:
    """A session's figures: per model and origin for itself and for each subagent, and the
    totals of itself, of its subagents, and of both (a fixed number of queries)."""
    records = UsageRecord.objects.filter(session=session)
    own, subagents = [], {}
    for row in usage_rollup(records=records, group_by=("subagent", "model", "source")):
        name = row.pop("subagent")
        (subagents.setdefault(name, []) if name else own).append(row)
    by_model = usage_rollup(records=records, group_by=("model", "source"))
    totals = {"all": _total(records), "own": _total(records.filter(subagent="")),
              "subagents": _total(records.exclude(subagent=""))}  # fmt: skip
    return {
        "session_id": session.pk, "by_model": by_model, "own": own,
        "subagents": [{"subagent": k, "by_model": v} for k, v in subagents.items()],
        "totals": totals, "price_versions": usage_price_versions(records=records),
    }  # fmt: skip


def _total(records) -> dict:
    return _clean(records.aggregate(**_sums()))


def usage_annotate(queryset, *, via: str):
    """`queryset` (sessions: via="session"; projects: via="session__project") with
    `usage_tokens`, `usage_cost` (micro-dollars, null when nothing is priced) and
    `usage_unpriced` (the tokens left out of the cost), one correlated subquery each, for
    the admin lists to show and sort."""
    per_row = UsageRecord.objects.filter(**{via: OuterRef("pk")}).values(via)
    tokens = per_row.annotate(s=Sum("total_tokens")).values("s")
    cost = per_row.annotate(s=Sum("cost_micro_usd")).values("s")
    unpriced = per_row.annotate(s=Sum(usage_unpriced_tokens())).values("s")
    big = BigIntegerField()
    return queryset.annotate(
        usage_tokens=Coalesce(Subquery(tokens, output_field=big), 0),
        usage_cost=Subquery(cost, output_field=big),
        usage_unpriced=Coalesce(Subquery(unpriced, output_field=big), 0),
    )
