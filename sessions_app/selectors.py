"""Read-side queries of the sessions app."""

import datetime as dt

from django.db import connections
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from sessions_app.models import Session


class SessionAdminQuerySet(QuerySet):
    """The changelist's queryset, with a date drill-down that never scans the table.

    The admin's date hierarchy asks `datetimes(field, "year"/"month"/"day")`, which is a
    SELECT DISTINCT over every matching row: seconds at a million rows. Here the periods
    are every year/month/day between the first and the last matching row (two index
    lookups), so a period may be listed that holds no row.
    """

    def aggregate(self, *args, **kwargs):
        # The date hierarchy asks MIN and MAX in one query; SQLite then scans every row,
        # while a lone MIN or MAX is one index lookup. Same answer, one query each.
        if not args and len(kwargs) > 1 and all(isinstance(a, Min | Max) for a in kwargs.values()):
            result = {}
            for name, aggregate in kwargs.items():
                result.update(super().aggregate(**{name: aggregate}))
            return result
        return super().aggregate(*args, **kwargs)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month", "day"):
            return super().datetimes(field_name, kind, order=order, tzinfo=tzinfo)
        bounds = self.order_by().aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        tz = tzinfo or timezone.get_current_timezone()
        current, last = _truncate(first.astimezone(tz), kind), last.astimezone(tz)
        periods = []
        while current <= last:
            periods.append(current)
            current = _next_period(current, kind)
        return periods if order == "ASC" else periods[::-1]


def _truncate(value: dt.datetime, kind: str) -> dt.datetime:
    value = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind in ("year", "month"):
        value = value.replace(day=1)
    if kind == "year":
        value = value.replace(month=1)
    return value


def _next_period(value: dt.datetime, kind: str) -> dt.datetime:
    if kind == "year":
        return value.replace(year=value.year + 1)
    if kind == "month":
        return value.replace(year=value.year + value.month // 12, month=value.month % 12 + 1)
    # Add a calendar day in the zone, not 24 hours (DST).
    return (value.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=value.tzinfo)


def session_list_for_admin() -> QuerySet[Session]:
    """Sessions with every relation the changelist shows, joined in one query."""
    return SessionAdminQuerySet(Session).select_related("workspace", "project", "workstream")


# `qualifier:value` searches of one indexed field (the admin's plain search scans).
SEARCH_QUALIFIERS = {"id": "id__startswith", "task": "task_id", "issue": "issue_id"}


def session_search_qualified(*, queryset: QuerySet[Session], term: str) -> QuerySet | None:
    """`id:<prefix>`, `task:<id>` or `issue:<id>` filtered on that field; None otherwise."""
    qualifier, colon, value = term.strip().partition(":")
    qualifier = qualifier.strip().lower()
    lookup = SEARCH_QUALIFIERS.get(qualifier)
    value = value.strip()
    if not (colon and lookup and value):
        return None
    queryset = queryset.filter(**{lookup: value})
    if (
        qualifier == "id"
        and connections[queryset.db].vendor == "sqlite"
        and value[-1] < "\U0010ffff"
    ):
        # SQLite's LIKE is case-insensitive and never uses the primary key; the range
        # [prefix, prefix with its last character incremented) does, in byte order.
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        queryset = queryset.filter(id__gte=value, id__lt=upper)
    return queryset
