"""bulk.Columns: a hand-written SELECT read back exactly as the ORM reads it."""

from __future__ import annotations

from django.db import connection

from rapport.channels.models import Channel
from rapport.inbox import services
from rapport.inbox.models import Conversation
from rapport.lib import bulk
from tests.inbox.conftest import event


def _read(columns: bulk.Columns) -> list[list[object]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql(cursor.db)} FROM inbox_conversation c "
            "INNER JOIN channels_channel ch ON ch.id = c.channel_id "
            "LEFT OUTER JOIN accounts_user u ON u.id = c.assignee_id ORDER BY c.id"
        )
        return columns.read(cursor.db, cursor.fetchall())


def test_columns_read_what_values_list_reads(alice, channel):
    services.ingest(channel, [event(f"n{n}", author_handle=f"@p{n}@x") for n in range(4)])
    first = Conversation.objects.order_by("pk").first()
    assert first is not None
    services.update_conversation(alice, first, assignee=alice, custom_fields={"order": "41"})
    fields = ["id", "public_id", "is_public", "last_message_at", "sentiment", "custom_fields"]
    columns = bulk.Columns(
        [("c", Conversation._meta.get_field(name)) for name in fields]
        + [("ch", Channel._meta.get_field("public_id"))]
        + [("u", alice._meta.get_field("public_id"))]
    )

    rows = _read(columns)

    expected = Conversation.objects.order_by("pk").values_list(
        *fields, "channel__public_id", "assignee__public_id"
    )
    assert [tuple(row) for row in rows] == list(expected)
    assert rows[0][-1] == alice.public_id and rows[1][-1] is None


def test_repeated_values_are_shared_but_json_values_are_not(channel):
    services.ingest(channel, [event(f"n{n}", author_handle=f"@p{n}@x") for n in range(3)])
    columns = bulk.Columns(
        [
            ("ch", Channel._meta.get_field("public_id")),
            ("c", Conversation._meta.get_field("custom_fields")),
        ]
    )

    rows = _read(columns)

    assert rows[0][0] == rows[1][0] == channel.public_id
    rows[0][1]["changed"] = True  # type: ignore[index]
    assert rows[1][1] == {} and rows[2][1] == {}
