"""{% usage_chart %}: the dashboard's token and cost chart (sessions_app/usage_chart.py)."""

from django import template

from sessions_app.usage_chart import usage_chart_data

register = template.Library()


@register.inclusion_tag("admin/sessions_app/usage_chart.html")
def usage_chart():
    return {"usage": usage_chart_data()}
