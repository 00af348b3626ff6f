"""Fixtures for the inbox: a channel, events as a connector would deliver them."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.channels.models import Channel
from rapport.connectors.events import EventKind, InboundEvent

_ids = itertools.count(1)


@pytest.fixture
def channel(org: Organisation) -> Channel:
    return Channel.objects.create(organisation=org, name="Sandbox", kind="sandbox")


@pytest.fixture
def email_channel(org: Organisation) -> Channel:
    return Channel.objects.create(
        organisation=org, name="Support email", kind="email", is_public=False
    )


def event(text: str = "Where is my order?", **overrides: Any) -> InboundEvent:
    """Return an inbound mention with a fresh external id unless one is given."""
    fields: dict[str, Any] = {
        "platform": "sandbox",
        "external_id": f"ext-{next(_ids)}",
        "kind": EventKind.MENTION,
        "text": text,
        "author_handle": "@jo@sandbox.local",
        "author_name": "Jo Customer",
        "created_at": timezone.now() - dt.timedelta(seconds=5),
    }
    fields.update(overrides)
    return InboundEvent(**fields)
