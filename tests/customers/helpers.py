"""Customers, channels, conversations and messages made directly, as ingest would leave them."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from rapport.accounts.models import Organisation, User
from rapport.channels.models import Channel
from rapport.customers.models import Customer, Identity
from rapport.inbox.models import Conversation, Direction, Message

_clock = itertools.count()


def channel(org: Organisation, name: str = "Mastodon", kind: str = "mastodon") -> Channel:
    return Channel.objects.create(organisation=org, name=name, kind=kind)


def customer(org: Organisation, name: str, *identities: tuple[str, str]) -> Customer:
    person = Customer.objects.create(organisation=org, display_name=name)
    for platform, handle in identities:
        Identity.objects.create(organisation=org, customer=person, platform=platform, handle=handle)
    return person


def _moment() -> dt.datetime:
    # Strictly increasing, so "newest first" has one right answer.
    return timezone.now() - dt.timedelta(days=1) + dt.timedelta(seconds=next(_clock))


def conversation(person: Customer, on: Channel, subject: str = "Order 1042") -> Conversation:
    return Conversation.objects.create(
        organisation=person.organisation,
        channel=on,
        customer=person,
        subject=subject,
        last_message_at=_moment(),
        last_message_preview=subject,
    )


def message(
    conv: Conversation,
    text: str,
    *,
    author: Customer | None = None,
    agent: User | None = None,
    direction: str = Direction.INBOUND,
    url: str = "",
) -> Message:
    at = _moment()
    if direction == Direction.INBOUND and author is None:
        author = conv.customer
    sent = Message.objects.create(
        organisation=conv.organisation,
        conversation=conv,
        channel=conv.channel,
        direction=direction,
        author_customer=author if direction == Direction.INBOUND else None,
        author_user=agent,
        text=text,
        url=url,
        sent_at=at,
        created_at=at,
    )
    Conversation.objects.filter(pk=conv.pk).update(
        last_message_at=at, message_count=conv.messages.count()
    )
    return sent
