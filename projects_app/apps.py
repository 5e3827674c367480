import secrets

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_save


def _change_triggers_ensure(sender, using, **kwargs):
    from projects_app import change_triggers

    change_triggers.triggers_ensure(connections[using])


def _loaded_change_token_renewed(sender, instance, raw, **kwargs):
    # A fixture (loaddata) must not bring back a token that pages were kept under while
    # the rows were different: a loaded token is a new one.
    if raw:
        instance.token = secrets.token_hex(16)


class ProjectsAppConfig(AppConfig):
    name = "projects_app"
    verbose_name = "Projects"

    def ready(self):
        # A migration that rebuilds a watched table on SQLite drops its triggers.
        post_migrate.connect(_change_triggers_ensure, sender=self)
        pre_save.connect(_loaded_change_token_renewed, sender="projects_app.ChangeToken")
