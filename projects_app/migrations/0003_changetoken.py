"""ChangeToken, and on SQLite the triggers that renew the project list's token.

The project list endpoint keeps rendered pages while this token stays the same
(projects_app/api.py). The list reads projects, workspaces and workspace memberships,
so any insert, update or delete on those tables renews it. PostgreSQL gets the table
but no triggers: there the list is not cached (one shared token row would make
concurrent project writers wait on each other).
"""

from django.db import migrations, models

SCOPE = "project-list"
WATCHED_TABLES = (
    "projects_app_project",
    "projects_app_workspace",
    "projects_app_workspace_members",
)
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_{event.lower()}_renews_list_token"


# Update, then insert if missing. An INSERT OR REPLACE would not do: inside a trigger
# SQLite applies the outer statement's conflict rule instead, and Django adds
# memberships with INSERT OR IGNORE, which would leave the token as it was.
NEW_TOKEN = "lower(hex(randomblob(16)))"
RENEW = (
    f"UPDATE projects_app_changetoken SET token = {NEW_TOKEN} WHERE scope = '{SCOPE}'",
    f"INSERT INTO projects_app_changetoken (scope, token) SELECT '{SCOPE}', {NEW_TOKEN} "
    f"WHERE NOT EXISTS (SELECT 1 FROM projects_app_changetoken WHERE scope = '{SCOPE}')",
)


def triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in RENEW:
        schema_editor.execute(statement)
    for table in WATCHED_TABLES:
        for event in EVENTS:
            schema_editor.execute(
                f'CREATE TRIGGER "{_trigger_name(table, event)}" AFTER {event} ON "{table}" '
                f"BEGIN {'; '.join(RENEW)}; END"
            )


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in WATCHED_TABLES:
        for event in EVENTS:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{_trigger_name(table, event)}"')


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
