from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _change_triggers_ensure(sender, using, **kwargs):
    from projects_app import change_triggers

    change_triggers.triggers_ensure(connections[using])


class ProjectsAppConfig(AppConfig):
    name = "projects_app"
    verbose_name = "Projects"

    def ready(self):
        # A migration that rebuilds a watched table on SQLite drops its triggers.
        post_migrate.connect(_change_triggers_ensure, sender=self)
