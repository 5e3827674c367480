"""Admin of the migration journal, and the migration actions on the session changelist."""

from django.contrib import admin  # noqa: E402

from migration_app.admin import legacy_imports, runs, sessions  # noqa: F401

# The index is the staff dashboard: runs, sessions and projects at a glance.
admin.site.index_template = "admin/sessionhub_index.html"
admin.site.site_header = "Session Hub"
admin.site.site_title = "Session Hub"
admin.site.index_title = "Dashboard"
# The dashboard lists every model; without the navigation sidebar a list has the width of
# the window (at 1,400 px the session list and its filters fit side by side).
admin.site.enable_nav_sidebar = False
