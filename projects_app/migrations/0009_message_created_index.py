"""Message: an index on (created_at, id) for search's newest-first reading, and no index
of the conversation foreign key alone (message_conv_created_id_idx starts with it).

The foreign key's index is dropped by name rather than by AlterField: on SQLite that
would rebuild the table, which drops the full-text triggers and the partial error index
and renumbers the rowids the FTS5 index points at.
"""

import django.db.models.deletion
from django.db import migrations, models

FOREIGN_KEY_INDEX = "projects_app_message_conversation_id_22d61083"  # Django's name, both DBs


class Migration(migrations.Migration):
    dependencies = [
        ("projects_app", "0008_message_error_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="projects_app.conversation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FOREIGN_KEY_INDEX}"',
                    f'CREATE INDEX "{FOREIGN_KEY_INDEX}" ON "projects_app_message" '
                    '("conversation_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["created_at", "id"], name="message_created_id_idx"),
        ),
    ]
