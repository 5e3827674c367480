"""ChangeToken. On SQLite, triggers renew the project list's token; they are created
after every `migrate` (projects_app/apps.py, projects_app/change_triggers.py), so this
migration only has to drop them when it is reversed: left behind, they would make every
project write fail on the missing table."""

from django.db import migrations, models


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%projects_app_changetoken%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')


class Migration(migrations.Migration):
    dependencies = [("projects_app", "0002_default_workspace")]

    operations = [
        migrations.CreateModel(
            name="ChangeToken",
            fields=[
                ("scope", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(migrations.RunPython.noop, triggers_drop),
    ]
