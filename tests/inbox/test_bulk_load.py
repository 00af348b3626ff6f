"""`bulk.load` gives the same conversations the ORM gives, ready to change and save."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.signals import post_init

from rapport.inbox.models import Conversation, Status
from rapport.inbox.services import ingest
from rapport.lib import bulk
from tests.inbox.conftest import event

pytestmark = pytest.mark.django_db


def _fields(conversation: Conversation) -> dict[str, Any]:
    return {f.attname: getattr(conversation, f.attname) for f in Conversation._meta.fields}


def test_loaded_conversations_equal_the_orms_and_save_like_them(channel: Any) -> None:
    ingest(channel, [event("Where is my order?"), event("Still nothing", author_handle="@al")])
    Conversation.objects.update(custom_fields={"order": "A-1", "vip": True})
    loaded = bulk.load(Conversation.objects.order_by("pk"))
    expected = list(Conversation.objects.order_by("pk"))
    assert len(loaded) == 2
    assert [_fields(c) for c in loaded] == [_fields(c) for c in expected]
    first = loaded[0]
    assert first._state.adding is False
    assert first._state.db == "default"
    # Relations load as usual, and the instance saves as an update, not an insert.
    assert first.customer.pk == expected[0].customer_id
    first.status = Status.PENDING_CUSTOMER
    first.save(update_fields=["status"])
    assert Conversation.objects.get(pk=first.pk).status == Status.PENDING_CUSTOMER
    assert Conversation.objects.count() == 2
    first.refresh_from_db()
    assert first.custom_fields == {"order": "A-1", "vip": True}


def test_nothing_listens_to_the_init_signals_that_load_skips() -> None:
    # If a receiver is ever added for Conversation, `bulk.load` must not be used for it.
    assert not post_init.has_listeners(Conversation)
