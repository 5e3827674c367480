from django.db import migrations


def create_scratch_workstream(apps, schema_editor):
    Workspace = apps.get_model("projects_app", "Workspace")
    Workstream = apps.get_model("sessions_app", "Workstream")
    default = Workspace.objects.get(slug="default")
    Workstream.objects.get_or_create(
        id="scratch",
        defaults={
            "workspace": default,
            "title": "Scratch",
            "summary": "Sessions not yet attached to a workstream.",
            "is_scratch": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects_app", "0002_default_workspace"),
        ("sessions_app", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_scratch_workstream, migrations.RunPython.noop)]
