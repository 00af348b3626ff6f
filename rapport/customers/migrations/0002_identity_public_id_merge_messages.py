# Identity gets a public id (it is named in URLs and the API); merges record moved messages.

import uuid

from django.db import migrations, models


def give_identities_public_ids(apps, schema_editor):
    # One value per row: a field default would give every existing row the same one.
    Identity = apps.get_model("customers", "Identity")
    for identity in Identity.objects.filter(public_id__isnull=True).only("pk").iterator():
        Identity.objects.filter(pk=identity.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="customermerge",
            name="moved_message_ids",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="identity",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_identities_public_ids, migrations.RunPython.noop),
    ]
