"""Drop the indexes that composite ones already cover, and index rare foreign keys only where set.

Every index is written on every ingested message and conversation. A foreign key
that leads a composite index (organisation, channel, conversation) needs no
index of its own, and a key that is empty on nearly every row (a message's
author user, a conversation's merge target or predecessor) gets a partial one.

The schema changes are only dropped indexes, so they are said in SQL: Django
would rebuild the whole table on SQLite for an index change on a foreign key,
and a rebuilt `inbox_message` loses the full-text triggers that migration 0003
created on it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (table, column, the index Django named for the foreign key or db_index field)
_DROPPED = [
    ("inbox_conversation", "channel_id", "inbox_conversation_channel_id_8b41ed11"),
    ("inbox_conversation", "follows_id", "inbox_conversation_follows_id_e491a4e6"),
    ("inbox_conversation", "last_message_at", "inbox_conversation_last_message_at_7dad2fc1"),
    ("inbox_conversation", "merged_into_id", "inbox_conversation_merged_into_id_7d85ee12"),
    ("inbox_conversation", "organisation_id", "inbox_conversation_organisation_id_1d0452fe"),
    ("inbox_message", "author_user_id", "inbox_message_author_user_id_e6d75caf"),
    ("inbox_message", "channel_id", "inbox_message_channel_id_5102d250"),
    ("inbox_message", "conversation_id", "inbox_message_conversation_id_37bc0d72"),
    ("inbox_message", "organisation_id", "inbox_message_organisation_id_e838a93f"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("channels", "0003_resumed_at"),
        ("customers", "0003_identity_public_id_unique"),
        ("inbox", "0005_message_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="conversation",
                    name="channel",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="conversations",
                        to="channels.channel",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="follows",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The closed conversation this one continues",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="follow_ups",
                        to="inbox.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="last_message_at",
                    field=models.DateTimeField(),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="merged_into",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="merged_from",
                        to="inbox.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="organisation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conversations",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="author_user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="channel",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="channels.channel",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="inbox.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="organisation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON {table} ({column})",
                )
                for table, column, name in _DROPPED
            ],
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="conv_merged_into",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("follows__isnull", False)),
                fields=["follows"],
                name="conv_follows",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("author_user__isnull", False)),
                fields=["author_user"],
                name="msg_author_user",
            ),
        ),
    ]
