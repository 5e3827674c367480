"""How long values show in admin lists: short, with the whole value one hover or click away."""

from decimal import Decimal

from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html

SHORT_ID = 8  # a uuid's first block; legacy ids up to this length show whole
SHORT_ID_WHOLE = 16


def short_id(value) -> str:
    """An id that fits a column: ao's `app-12` whole, a uuid by its first block. The whole id
    is in the title (hover) and copied by a click on "copy" (admin_display.js)."""
    text = "" if value is None else str(value)
    if len(text) <= SHORT_ID_WHOLE:
        return format_html('<span class="short-id">{}</span>', text)
    return format_html(
        '<span class="short-id" title="{text}">{short}…</span>'
        '<button type="button" class="copy-id" data-copy="{text}" title="Copy the whole id">'
        "copy</button>",
        text=text,
        short=text[:SHORT_ID],
    )


def ellipsis(text: str, length: int, *, left: bool = False) -> str:
    """At most `length` characters, the whole text on hover; `left`: the end of a long
    path, which says more than its start."""
    text = text or ""
    if len(text) <= length:
        return text
    if left:
        return format_html('<span title="{}">…{}</span>', text, text[-(length - 1) :])
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1])


def short_id_column(field: str = "pk", *, description: str = "id", ordering: str | None = "id"):
    """A list column showing `field` as a short id."""

    @admin.display(description=description, ordering=ordering)
    def column(model_admin, obj) -> str:
        return short_id(getattr(obj, field))

    return column


def ellipsis_column(field: str, length: int, *, ordering: str | None = None, left: bool = False):
    """A list column showing at most `length` characters of `field` (its end when `left`)."""

    @admin.display(description=field.replace("_", " "), ordering=ordering)
    def column(model_admin, obj) -> str:
        return ellipsis(getattr(obj, field), length, left=left)

    return column


class ReadableList:
    """Mixed into a ModelAdmin: the short-id style and its copy button."""

    class Media:
        css = {"all": ["projects_app/admin_display.css"]}
        js = ["projects_app/admin_display.js"]


def micro_usd_format(value: int | None) -> str:
    """Micro-dollars as dollars (cents, or 4 decimals under a dollar), or "no price"."""
    if value is None:
        return "no price"
    dollars = Decimal(value) / Decimal(1_000_000)
    return f"${dollars:,.2f}" if dollars >= 1 else f"${dollars:,.4f}"


def usage_cost_format(*, cost: int | None, unpriced_tokens: int) -> str:
    """An estimate that never passes for complete: dollars, "no price" when nothing is
    priced, and the tokens of models with no price named beside the dollars when some are;
    "—" for no usage at all."""
    if cost is None and not unpriced_tokens:
        return "—"
    if cost is None or not unpriced_tokens:
        return micro_usd_format(cost)
    return format_html(
        '<span class="usage-partial" title="The estimate leaves out {tokens} tokens of '
        'models the price table does not know">{dollars} + {tokens} tokens with no price'
        "</span>",
        dollars=micro_usd_format(cost),
        tokens=f"{unpriced_tokens:,}",
    )


class UsageColumns:
    """Sortable `tokens` and `est. cost` list columns over the `usage_tokens`,
    `usage_cost` and `usage_unpriced` annotations of the admin's queryset
    (sessions_app.usage_rollups)."""

    @admin.display(description="tokens", ordering="usage_tokens")
    def usage_tokens(self, row) -> str:
        return f"{row.usage_tokens:,}"

    # A null cost (nothing priced) sorts as the lowest on both databases: PostgreSQL
    # would put it last ascending, SQLite first.
    @admin.display(description="est. cost", ordering=F("usage_cost").asc(nulls_first=True))
    def usage_cost(self, row) -> str:
        if not row.usage_tokens:
            return "—"
        return usage_cost_format(cost=row.usage_cost, unpriced_tokens=row.usage_unpriced)
