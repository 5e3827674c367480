"""The staff dashboard on the admin index: runs, sessions and projects at a glance."""

from django import template
from django.urls import reverse

from migration_app.selectors import dashboard_runs, dashboard_totals

register = template.Library()


@register.inclusion_tag("admin/migration_app/dashboard.html")
def dashboard():
    runs = dashboard_runs()
    for run in runs["active"]:
        run.progress_url = reverse("admin:migration_app_migrationrun_progress", args=[run.pk])
    return {**runs, **dashboard_totals()}
