from django.db import migrations


def create_default_workspace(apps, schema_editor):
    Workspace = apps.get_model("projects_app", "Workspace")
    Workspace.objects.get_or_create(slug="default", defaults={"name": "Default"})


class Migration(migrations.Migration):
    dependencies = [("projects_app", "0001_initial")]

    operations = [migrations.RunPython(create_default_workspace, migrations.RunPython.noop)]
