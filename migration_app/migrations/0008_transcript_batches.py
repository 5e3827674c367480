import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migration_app", "0007_transcripts"),
    ]

    operations = [
        migrations.CreateModel(
            name="TranscriptBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("files", models.JSONField()),
                ("files_done", models.PositiveIntegerField(default=0)),
                ("counts", models.JSONField(default=dict)),
                ("claims", models.PositiveIntegerField(default=0)),
                ("worker", models.CharField(blank=True, max_length=255)),
                ("error", models.TextField(blank=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("run", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="batches", to="migration_app.migrationrun")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("run", "number"), name="transcript_batch_number_uniq")],
            },
        ),
    ]
