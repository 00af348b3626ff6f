"""Time pending the customer is taken out of resolution and first response times.

The office is open Monday to Friday 09:00-17:00 in London (UTC in November);
23 November 2026 is a Monday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rapport.channels.models import Channel
from rapport.inbox import services
from rapport.inbox.models import BusinessCalendar, Conversation, SlaPolicy, SlaTarget
from rapport.insights import facts
from rapport.insights.models import ConversationFact, ResponseFact
from tests.inbox.conftest import event


def monday(hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=dt.UTC) + dt.timedelta(days=days)


@pytest.fixture
def channel(org):
    calendar = BusinessCalendar.objects.create(
        organisation=org,
        name="Office",
        time_zone="Europe/London",
        weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    policy = SlaPolicy.objects.create(
        organisation=org, name="Standard", calendar=calendar, is_default=True
    )
    SlaTarget.objects.create(policy=policy, first_response_minutes=240, resolution_minutes=960)
    return Channel.objects.create(organisation=org, name="Sandbox", kind="sandbox")


def customer_writes(channel, text: str, at: dt.datetime) -> Conversation:
    services.ingest(channel, [event(text, created_at=at)], now=at)
    return Conversation.objects.get()


def waits(conversation) -> list[tuple[bool, int | None]]:
    rows = ResponseFact.objects.filter(conversation=conversation).order_by("customer_at")
    return [(row.is_first, row.business_seconds) for row in rows]


def test_an_overnight_pause_is_taken_out_of_the_resolution_time(org, channel, alice):
    # Given a conversation answered at 09:30, pending the customer from 16:00 until
    # the customer writes on Tuesday at 10:00, answered at 10:30 and resolved at 11:00
    conversation = customer_writes(channel, "Where is my order?", monday(9))
    services.reply(alice, conversation, text="Your order number?", now=monday(9, 30))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(16))
    customer_writes(channel, "It is 1234", monday(10, days=1))
    services.reply(alice, conversation, text="On its way", now=monday(10, 30, days=1))
    services.update_conversation(alice, conversation, status="resolved", now=monday(11, days=1))

    # When the rollups are refreshed
    facts.refresh(org)

    # Then ten business hours from opening to resolution, less the two paused
    fact = ConversationFact.objects.get(conversation=conversation)
    assert fact.resolution_seconds == 8 * 3600
    # The first response came before the pause; the next wait began when it ended
    assert fact.first_response_seconds == 1800
    assert waits(conversation) == [(True, 1800), (False, 1800)]


def test_a_pause_before_the_first_response_is_taken_out_of_it(org, channel, alice):
    # Given a conversation set pending at 10:00 before any answer, resumed by the
    # customer at 12:00, answered at 13:00 and resolved at 14:00
    conversation = customer_writes(channel, "Where is my order?", monday(9))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(10))
    customer_writes(channel, "Hello?", monday(12))
    services.reply(alice, conversation, text="Sorry!", now=monday(13))
    services.update_conversation(alice, conversation, status="resolved", now=monday(14))

    facts.refresh(org)

    # Then four hours to the first response less two paused, five to resolution less two
    fact = ConversationFact.objects.get(conversation=conversation)
    assert fact.first_response_seconds == 2 * 3600
    assert fact.resolution_seconds == 3 * 3600
    assert waits(conversation) == [(True, 2 * 3600)]


def test_a_weekend_pause_takes_out_only_its_business_hours(org, channel, alice):
    # Given a conversation opened on Friday at 15:00, answered 15:30, pending from
    # 16:00 until the agent resolves it on Monday at 10:00
    conversation = customer_writes(channel, "Where is my order?", monday(15, days=4))
    services.reply(alice, conversation, text="Is it there now?", now=monday(15, 30, days=4))
    services.update_conversation(
        alice, conversation, status="pending_customer", now=monday(16, days=4)
    )
    services.update_conversation(alice, conversation, status="resolved", now=monday(10, days=7))

    facts.refresh(org)

    # Then three business hours (Friday 15-17, Monday 9-10), two of them paused
    fact = ConversationFact.objects.get(conversation=conversation)
    assert fact.resolution_seconds == 3600


def test_a_pause_still_running_is_taken_out_of_a_first_response_given_during_it(
    org, channel, alice
):
    # Given a conversation set pending at 10:00 and answered at 11:30, still pending
    conversation = customer_writes(channel, "Where is my order?", monday(9))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(10))
    services.reply(alice, conversation, text="Found it", now=monday(11, 30))

    facts.refresh(org)

    # Then the first response took one business hour, not two and a half
    fact = ConversationFact.objects.get(conversation=conversation)
    assert fact.first_response_seconds == 3600
    assert fact.resolution_seconds is None
    assert waits(conversation) == [(True, 3600)]
