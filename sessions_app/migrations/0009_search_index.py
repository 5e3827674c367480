"""The full-text search index (issue 19), kept current by the database itself.

SQLite: three external-content FTS5 tables over message content, session text and
project text, maintained by triggers on insert, update of the indexed columns, and
delete. PostgreSQL: a stored generated `tsvector` column on each of the three tables
with a GIN index, plus pg_trgm GIN indexes on the id, branch and path columns.
Both use no stemming ('simple' / unicode61): words are matched as written, which is what
code, ids and paths need.
"""

from django.db import migrations

from sessions_app.search_schema import schema_create_sql, schema_drop_sql


def forwards(apps, schema_editor):
    for statement in schema_create_sql(vendor=schema_editor.connection.vendor):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in schema_drop_sql(vendor=schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0008_message_usage"),
        ("projects_app", "0008_message_error_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
