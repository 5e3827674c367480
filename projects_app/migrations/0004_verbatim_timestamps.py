"""created_at / updated_at keep the values an insert gives them (projects_app/timestamps.py).

The columns do not change (the defaults live in Python), so only the migration state
moves: no table is rebuilt.
"""

import django.utils.timezone
import projects_app.timestamps
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects_app', '0003_changetoken'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='artifact',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='artifact',
            name='updated_at',
            field=projects_app.timestamps.UpdatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='updated_at',
            field=projects_app.timestamps.UpdatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='message',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='project',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='project',
            name='updated_at',
            field=projects_app.timestamps.UpdatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='projectversion',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='workspace',
            name='created_at',
            field=projects_app.timestamps.CreatedAtField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name='workspace',
            name='updated_at',
            field=projects_app.timestamps.UpdatedAtField(default=django.utils.timezone.now, editable=False),
        ),
                ],
        ),
    ]
