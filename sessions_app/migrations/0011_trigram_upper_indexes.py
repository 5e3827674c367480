"""The trigram indexes of 0009 move from the bare columns to `UPPER(column::text)`, the
expression Django's `icontains` searches on PostgreSQL, so that `=` / `IN` look-ups of
ids go back to their b-tree indexes (sessions_app/search_schema.py, TRIGRAM_COLUMNS)."""

from django.db import migrations

from sessions_app.search_schema import TRIGRAM_COLUMNS, trigram_create_sql, trigram_drop_sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in trigram_drop_sql() + trigram_create_sql():
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in trigram_drop_sql():
            schema_editor.execute(statement)
        for table, columns in TRIGRAM_COLUMNS.items():
            for column in columns:
                schema_editor.execute(
                    f"CREATE INDEX {table}_{column}_trgm ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0010_usage_cache_write_1h")]

    operations = [migrations.RunPython(forwards, backwards)]
