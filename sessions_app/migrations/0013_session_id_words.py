"""PostgreSQL: the words of a session's issue id, branch and task id are found on their own
(`snorklewhip` in `fix/snorklewhip`), as on SQLite (search_schema, `_SESSION_IDS`). The
session trigger function is replaced and every session's vector computed again (sessions
are few; messages and projects are untouched). SQLite's index already splits them."""

from django.db import migrations

from sessions_app.search_schema import vector_function_sql


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in vector_function_sql("session"):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0012_search_vector_inline")]

    # Backwards keeps the new function: its vectors hold every word the old ones did.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
