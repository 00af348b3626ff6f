# Separate from 0002, so on PostgreSQL the filled-in rows are committed before the index.

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_identity_public_id_merge_messages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="identity",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
