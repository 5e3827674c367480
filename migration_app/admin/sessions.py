"""The session changelist with the migration actions.

sessions_app cannot import migration_app, so the actions join the Session admin here:
this subclass replaces the registration made by sessions_app.
"""

from django.contrib import admin

from migration_app.admin.migrate_to_project import MigrateToProjectMixin
from migration_app.admin.reassociate_task import ReassociateTaskAdminMixin
from sessions_app.admin import SessionAdmin
from sessions_app.models import Session


class SessionMigrationAdmin(MigrateToProjectMixin, ReassociateTaskAdminMixin, SessionAdmin):
    actions = ["reassociate_task", "migrate_to_project"]


admin.site.unregister(Session)
admin.site.register(Session, SessionMigrationAdmin)
