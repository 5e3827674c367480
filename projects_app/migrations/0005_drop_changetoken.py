"""Drop ChangeToken and, on SQLite, the triggers that renewed it (issue 12).

The triggers were never created by a migration: the retired projects_app/change_triggers.py
made them after every `migrate`. They are dropped first, by name (written out here, a
migration must not import live code): left behind, every write to projects, workspaces or
memberships would fail on the missing token table. `*_renews_list_token` are the names of
the first version, `*_v1` the current ones. Reversing recreates the table only (the
code of that time recreated its triggers after `migrate`); PostgreSQL never had triggers.
"""

from django.db import migrations

TRIGGERS = [
    "projects_app_project_insert_renews_list_token",
    "projects_app_project_update_renews_list_token",
    "projects_app_project_delete_renews_list_token",
    "projects_app_workspace_insert_renews_list_token",
    "projects_app_workspace_update_renews_list_token",
    "projects_app_workspace_delete_renews_list_token",
    "projects_app_workspace_members_insert_renews_list_token",
    "projects_app_workspace_members_update_renews_list_token",
    "projects_app_workspace_members_delete_renews_list_token",
    "projects_app_project_insert_renews_list_token_v1",
    "projects_app_project_update_renews_list_token_v1",
    "projects_app_project_delete_renews_list_token_v1",
    "projects_app_workspace_insert_renews_list_token_v1",
    "projects_app_workspace_update_renews_list_token_v1",
    "projects_app_workspace_delete_renews_list_token_v1",
    "projects_app_workspace_members_insert_renews_list_token_v1",
    "projects_app_workspace_members_update_renews_list_token_v1",
    "projects_app_workspace_members_delete_renews_list_token_v1",
]


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("projects_app", "0004_verbatim_timestamps")]

    operations = [
        migrations.RunPython(triggers_drop, migrations.RunPython.noop),
        migrations.DeleteModel(name="ChangeToken"),
    ]
