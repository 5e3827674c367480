"""ChangeToken, and on SQLite the triggers that renew the project list's token
(projects_app/change_triggers.py)."""

from django.db import migrations, models

from projects_app import change_triggers


def triggers_create(apps, schema_editor):
    change_triggers.triggers_ensure(schema_editor.connection)


def triggers_drop(apps, schema_editor):
    change_triggers.triggers_drop(schema_editor.connection)


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
        migrations.RunPython(triggers_create, triggers_drop),
    ]
