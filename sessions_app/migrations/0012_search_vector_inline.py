"""PostgreSQL keeps the search vectors in their rows (search_schema.vector_inline_sql).
Rows written before keep their layout until they are next written, or until
`manage.py search_index_rebuild` re-creates the vectors; nothing is rewritten here, so
the migration is instant on any table size."""

from django.db import migrations

from sessions_app.search_schema import INDEXES, vector_inline_sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, *_ in INDEXES.values():
            schema_editor.execute(vector_inline_sql(table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, *_ in INDEXES.values():
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE EXTENDED"
            )


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0011_trigram_upper_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
