"""Ingest indexes a batch's text for search in one statement; every other insert still indexes."""

import pytest
from django.db import connection

from rapport.customers.models import Customer
from rapport.inbox import selectors, services
from rapport.inbox.models import Conversation, Message
from rapport.lib import bulk
from tests.inbox.conftest import event


def test_ingested_messages_are_found_by_search_at_once(alice, channel):
    result = services.ingest(
        channel,
        [
            event("The grinder arrived broken", author_handle="@a@x"),
            event("Lovely oat latte this morning", author_handle="@b@x"),
            event("Is the grinder back in stock?", author_handle="@c@x"),
        ],
    )

    found = selectors.matching_message_ids(alice, "grinder")
    assert sorted(found) == sorted(result.message_ids[0:3:2])
    assert selectors.matching_message_ids(alice, "latte") == [result.message_ids[1]]


def test_ingest_leaves_the_row_trigger_on_for_other_inserts(alice, channel):
    services.ingest(channel, [event("first batch about decaf")])
    conversation = Conversation.objects.get()

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM inbox_message_fts_deferred")
            assert cursor.fetchone()[0] == 0
    # A reply goes through the ORM, one row: the trigger must index it.
    services.reply(alice, conversation, text="Our decaf is Swiss water processed")
    reply = Message.objects.get(direction="out")

    assert reply.pk in selectors.matching_message_ids(alice, "swiss water")


def test_an_edit_and_an_erasure_update_the_index(alice, channel):
    result = services.ingest(channel, [event("my flat white was cold")])
    message = Message.objects.get(pk=result.message_ids[0])

    Message.objects.filter(pk=message.pk).update(text="my cortado was cold")
    assert selectors.matching_message_ids(alice, "flat white") == []
    assert selectors.matching_message_ids(alice, "cortado") == [message.pk]

    message.delete()
    assert selectors.matching_message_ids(alice, "cortado") == []


def test_a_failed_batch_leaves_neither_rows_nor_index_entries(alice, channel, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("attachment store is down")

    monkeypatch.setattr(services, "_attach_media", broken)
    with pytest.raises(RuntimeError):
        services.ingest(channel, [event("refund for the kettle please")])

    assert Message.objects.count() == 0
    assert selectors.matching_message_ids(alice, "kettle") == []
    monkeypatch.undo()
    services.ingest(channel, [event("refund for the kettle please")])
    assert len(selectors.matching_message_ids(alice, "kettle")) == 1


def test_bulk_insert_returns_each_rows_own_id(org):
    first = bulk.insert([Customer(organisation=org, display_name=f"A{n}") for n in range(3)])
    # A gap below the next id (the newest row deleted) must not shift the ids handed back.
    Customer.objects.filter(pk=first[-1].pk).delete()
    more = bulk.insert([Customer(organisation=org, display_name=f"B{n}") for n in range(4)])

    for customer in more:
        assert Customer.objects.get(pk=customer.pk).display_name == customer.display_name
    assert len({c.pk for c in more}) == 4


def test_a_reply_and_a_mention_of_one_conversation_in_one_batch_both_count(channel):
    services.ingest(channel, [event("first", external_id="m1")])
    conversation = Conversation.objects.get()

    # One message threads by its parent, the other by its author's open conversation:
    # both must land on the same conversation and both be counted.
    services.ingest(
        channel,
        [event("second", external_id="m2", parent_id="m1"), event("third", external_id="m3")],
    )

    conversation.refresh_from_db()
    assert conversation.message_count == 3
    assert conversation.last_message_preview == "third"
