"""A date drill-down for very large changelists.

Django's own date_hierarchy lists the years, months or days that hold rows with
SELECT DISTINCT over a truncated date: a scan of every row (and on SQLite a Python
call per row). This one reads only MIN and MAX of the (indexed) field and lists the
periods between them, so a period may occasionally show no rows.
"""

import datetime
from calendar import monthrange

from django import template
from django.db.models import Max, Min
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _bounds(queryset, field_name):
    # Two queries: SQLite answers a lone MIN or MAX from the index, but scans for both at once.
    queryset = queryset.order_by()
    first = queryset.aggregate(value=Min(field_name))["value"]
    if first is None:
        return None
    last = queryset.aggregate(value=Max(field_name))["value"]
    return timezone.localtime(first), timezone.localtime(last)


def _int_param(cl, name):
    value = cl.params.get(name)
    try:
        return int(value) if value else None
    except ValueError:
        return None


@register.inclusion_tag("admin/date_hierarchy.html")
def fast_date_hierarchy(cl):
    field_name = cl.date_hierarchy
    keys = [f"{field_name}__{part}" for part in ("year", "month", "day")]
    year, month, day = (_int_param(cl, key) for key in keys)

    def link(*values):  # the list filtered to the year, month and day given
        return cl.get_query_string(dict(zip(keys, values, strict=False)), [f"{field_name}__"])

    def title(date, date_format):
        return capfirst(formats.date_format(date, date_format))

    if year and month and day:
        date = datetime.date(year, month, day)
        back = {"link": link(year, month), "title": title(date, "YEAR_MONTH_FORMAT")}
        choices = [{"title": title(date, "MONTH_DAY_FORMAT")}]
        return {"show": True, "back": back, "choices": choices}
    bounds = _bounds(cl.queryset, field_name)
    if bounds is None:
        return {"show": False}
    first, last = (value.date() for value in bounds)
    if year and month:
        back = {"link": link(year), "title": str(year)}
        days = [datetime.date(year, month, d) for d in range(1, monthrange(year, month)[1] + 1)]
        choices = [
            {"link": link(year, month, d.day), "title": title(d, "MONTH_DAY_FORMAT")}
            for d in days
            if first <= d <= last
        ]
    elif year:
        back = {"link": link(), "title": _("All dates")}
        choices = [
            {"link": link(year, m.month), "title": title(m, "YEAR_MONTH_FORMAT")}
            for m in (datetime.date(year, n, 1) for n in range(1, 13))
            if first.replace(day=1) <= m <= last
        ]
    else:
        back = None
        choices = [{"link": link(y), "title": str(y)} for y in range(first.year, last.year + 1)]
    return {"show": True, "back": back, "choices": choices}
