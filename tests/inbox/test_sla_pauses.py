"""Pauses while pending the customer, kept in business seconds of the policy calendar.

The office is open Monday to Friday 09:00-17:00 in London (UTC in November).
23 November 2026 is a Monday, the 27th a Friday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rapport.inbox import services
from rapport.inbox.models import BusinessCalendar, Conversation, SlaPolicy, SlaTarget
from tests.inbox.conftest import event


def monday(hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=dt.UTC) + dt.timedelta(days=days)


@pytest.fixture
def office(org):
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
    return policy


def opened(channel, at: dt.datetime) -> Conversation:
    services.ingest(channel, [event("Where is my order?", created_at=at)], now=at)
    return Conversation.objects.get()


def test_an_overnight_pause_counts_only_the_open_hours(office, channel, alice):
    # Given a conversation answered on Monday morning and set pending at 16:00
    conversation = opened(channel, monday(9))
    services.reply(alice, conversation, text="Could you send the order number?", now=monday(9, 30))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(16))

    # When the customer writes back on Tuesday at 10:00 (the ingest path resumes the clock)
    services.ingest(
        channel, [event("It is 1234", created_at=monday(10, days=1))], now=monday(10, days=1)
    )

    # Then 18 hours passed but only two business hours: Monday 16-17 and Tuesday 9-10
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.sla_paused_at is None
    assert conversation.sla_paused_seconds == 18 * 3600
    assert conversation.sla_paused_business_seconds == 2 * 3600
    # It came after the first response, so none of it is the first response's
    assert conversation.first_response_paused_business_seconds == 0


def test_a_weekend_pause_counts_friday_afternoon_and_monday_morning(office, channel, alice):
    # Given a conversation set pending on Friday at 16:30
    conversation = opened(channel, monday(9, days=4))
    services.reply(alice, conversation, text="We'll check.", now=monday(9, 10, days=4))
    services.update_conversation(
        alice, conversation, status="pending_customer", now=monday(16, 30, days=4)
    )

    # When the agent takes it up again on Monday at 09:15
    services.update_conversation(alice, conversation, status="open", now=monday(9, 15, days=7))

    # Then half an hour on Friday and a quarter on Monday, nothing for the weekend
    conversation.refresh_from_db()
    assert conversation.sla_paused_seconds == (64 * 60 + 45) * 60
    assert conversation.sla_paused_business_seconds == 45 * 60


def test_pauses_add_up_and_a_night_only_pause_counts_nothing(office, channel, alice):
    conversation = opened(channel, monday(9))
    services.reply(alice, conversation, text="Hello", now=monday(9, 5))

    # Paused from 20:00 to 07:00 (closed all along), then from 11:00 to 11:30
    for start, end in (
        (monday(20), monday(7, days=1)),
        (monday(11, days=1), monday(11, 30, days=1)),
    ):
        services.update_conversation(alice, conversation, status="pending_customer", now=start)
        services.update_conversation(alice, conversation, status="open", now=end)

    conversation.refresh_from_db()
    assert conversation.sla_paused_seconds == 11 * 3600 + 1800
    assert conversation.sla_paused_business_seconds == 1800


def test_a_pause_before_the_first_response_is_kept_for_it(office, channel, alice):
    # Given a conversation set pending before anyone answered, at 10:00
    conversation = opened(channel, monday(9))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(10))

    # When the agent answers at 11:00 while it is paused, and it resumes at 13:00
    services.reply(alice, conversation, text="Sorry for the wait", now=monday(11))
    services.update_conversation(alice, conversation, status="open", now=monday(13))

    # Then three business hours paused, one of them before the first response
    conversation.refresh_from_db()
    assert conversation.first_responded_at == monday(11)
    assert conversation.sla_paused_business_seconds == 3 * 3600
    assert conversation.first_response_paused_business_seconds == 3600


def test_resolving_a_pending_conversation_ends_its_pause(office, channel, alice):
    conversation = opened(channel, monday(9))
    services.reply(alice, conversation, text="Done?", now=monday(9, 30))
    services.update_conversation(alice, conversation, status="pending_customer", now=monday(15))

    services.update_conversation(alice, conversation, status="resolved", now=monday(10, days=1))

    conversation.refresh_from_db()
    assert conversation.sla_paused_at is None
    assert conversation.sla_paused_business_seconds == 3 * 3600


def test_without_a_calendar_business_seconds_are_wall_clock(channel, alice):
    # Given no service policy: the clock runs all week
    conversation = opened(channel, monday(9, days=4))
    services.reply(alice, conversation, text="Hi", now=monday(9, 1, days=4))
    services.update_conversation(
        alice, conversation, status="pending_customer", now=monday(16, days=4)
    )

    services.update_conversation(alice, conversation, status="open", now=monday(9, days=7))

    conversation.refresh_from_db()
    assert conversation.sla_paused_business_seconds == conversation.sla_paused_seconds == 65 * 3600
