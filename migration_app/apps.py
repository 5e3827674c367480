from django.apps import AppConfig


class MigrationAppConfig(AppConfig):
    name = "migration_app"
    verbose_name = "Migrations"

    def ready(self) -> None:
        # Each migration service registers its undo with the journal on import.
        from migration_app import services  # noqa: F401
