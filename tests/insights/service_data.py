"""A small service dataset whose every figure is worked out by hand in the tests.

Northwind is open Monday to Friday 09:00-17:00 UTC; its one SLA policy asks for
a first response within 60 business minutes, a next response within 120 and a
resolution within 1,440 (three business days). October 2026: the 1st is a
Thursday, the 5th a Monday.

- C1 email, Support, alice, question: opened Mon 5 Oct 10:00, answered 10:30
  (1,800 s); the customer writes at 11:00, alice answers 13:00 (7,200 s, due
  13:00: met); resolved 15:00 (18,000 s). Survey: CSAT 5, NPS 10, CES 6.
- C2 email, Support, alice, complaint "delivery": opened Fri 9 Oct 16:00,
  answered Mon 12 Oct 09:30 (1 h Friday + 30 min Monday = 5,400 s; due Fri
  17:00: missed); resolved Mon 12:00 (14,400 s; due Wed 14 Oct 16:00: met).
  A refund of 25.00, accepted. Survey: CSAT 2, NPS 3, CES 2.
- C3 sandbox, Social, bob, complaint "delivery": opened Tue 13 Oct 09:00,
  answered 09:10 (600 s); the customer writes 09:20 and is still waiting
  (next response due 11:20: missed); not resolved (due Thu 15 Oct 17:00:
  missed). An apology, no reply yet.
- C4 sandbox, no team, unassigned, praise: opened Sat 17 Oct 12:00, bob
  answers Mon 19 Oct 09:20 (closed all weekend: 1,200 s; due 10:00: met) and
  resolves it then (1,200 s). Survey for bob: CSAT 4, NPS 8, no CES.
- C5 email, Support, unassigned, question: opened Mon 28 Sep 10:00 and never
  answered; its resolution was due Thu 1 Oct 10:00 (missed, in October).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from rapport.accounts.models import Organisation, Team, TeamMembership, User
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import (
    BusinessCalendar,
    ComplaintResolution,
    Conversation,
    CustomerAcceptance,
    DeliveryStatus,
    Message,
    ResolutionAction,
    SlaPolicy,
    SlaTarget,
    Status,
)
from rapport.surveys.models import Survey, SurveyResponse

UTC = dt.UTC
OCTOBER = (dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC))


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class ServiceData:
    organisation: Organisation
    email: Channel
    sandbox: Channel
    support: Team
    social: Team
    conversations: dict[str, Conversation]


def build(organisation: Organisation, alice: User, bob: User) -> ServiceData:
    calendar = BusinessCalendar.objects.create(
        organisation=organisation,
        name="Office",
        time_zone="UTC",
        weekly_hours={str(day): [["09:00", "17:00"]] for day in range(5)},
    )
    policy = SlaPolicy.objects.create(
        organisation=organisation, name="Standard", calendar=calendar, is_default=True
    )
    SlaTarget.objects.create(
        policy=policy, first_response_minutes=60, next_response_minutes=120, resolution_minutes=1440
    )
    email = Channel.objects.create(organisation=organisation, name="Email", kind="email")
    sandbox = Channel.objects.create(organisation=organisation, name="Sandbox", kind="sandbox")
    support = Team.objects.create(organisation=organisation, name="Support")
    social = Team.objects.create(organisation=organisation, name="Social")
    TeamMembership.objects.create(team=support, user=alice)
    TeamMembership.objects.create(team=social, user=bob)
    customer = Customer.objects.create(organisation=organisation, display_name="Pat Doe")

    def conversation(channel: Channel, team: Team | None, assignee: User | None, **fields):
        opened = fields.pop("opened")
        return Conversation.objects.create(
            organisation=organisation,
            channel=channel,
            customer=customer,
            team=team,
            assignee=assignee,
            sla_policy=policy,
            created_at=opened,
            last_message_at=opened,
            **fields,
        )

    def message(conv: Conversation, direction: str, when: dt.datetime, author: User | None = None):
        Message.objects.create(
            organisation=organisation,
            conversation=conv,
            channel=conv.channel,
            direction=direction,
            author_customer=None if author else customer,
            author_user=author,
            text="…",
            sent_at=when,
            created_at=when,
            delivery_status=DeliveryStatus.SENT if direction == "out" else DeliveryStatus.RECEIVED,
        )

    c1 = conversation(
        email, support, alice, kind="question", status=Status.RESOLVED,
        opened=at(10, 5, 10), first_responded_at=at(10, 5, 10, 30),
        first_response_due_at=at(10, 5, 11), resolved_at=at(10, 5, 15),
        resolution_due_at=at(10, 8, 10),
    )  # fmt: skip
    message(c1, "in", at(10, 5, 10))
    message(c1, "out", at(10, 5, 10, 30), alice)
    message(c1, "in", at(10, 5, 11))
    message(c1, "out", at(10, 5, 13), alice)
    message(c1, "note", at(10, 5, 14), alice)

    c2 = conversation(
        email, support, alice, kind="complaint", intent="delivery", status=Status.RESOLVED,
        opened=at(10, 9, 16), first_responded_at=at(10, 12, 9, 30),
        first_response_due_at=at(10, 9, 17), resolved_at=at(10, 12, 12),
        resolution_due_at=at(10, 14, 16),
    )  # fmt: skip
    message(c2, "in", at(10, 9, 16))
    message(c2, "out", at(10, 12, 9, 30), alice)

    c3 = conversation(
        sandbox, social, bob, kind="complaint", intent="delivery", status=Status.OPEN,
        opened=at(10, 13, 9), first_responded_at=at(10, 13, 9, 10),
        first_response_due_at=at(10, 13, 10), resolution_due_at=at(10, 15, 17),
        next_response_due_at=at(10, 13, 11, 20),
    )  # fmt: skip
    message(c3, "in", at(10, 13, 9))
    message(c3, "out", at(10, 13, 9, 10), bob)
    message(c3, "in", at(10, 13, 9, 20))

    c4 = conversation(
        sandbox, None, None, kind="praise", status=Status.RESOLVED,
        opened=at(10, 17, 12), first_responded_at=at(10, 19, 9, 20),
        first_response_due_at=at(10, 19, 10), resolved_at=at(10, 19, 9, 20),
        resolution_due_at=at(10, 21, 17),
    )  # fmt: skip
    message(c4, "in", at(10, 17, 12))
    message(c4, "out", at(10, 19, 9, 20), bob)

    c5 = conversation(
        email, support, None, kind="question", status=Status.NEW,
        opened=at(9, 28, 10), first_response_due_at=at(9, 28, 11),
        resolution_due_at=at(10, 1, 10),
    )  # fmt: skip
    message(c5, "in", at(9, 28, 10))

    for conv, action, cost, acceptance, when in (
        (c2, ResolutionAction.REFUND, "25.00", CustomerAcceptance.ACCEPTED, at(10, 12, 12)),
        (c3, ResolutionAction.APOLOGY, "0", CustomerAcceptance.NO_REPLY, at(10, 13, 9, 10)),
    ):
        ComplaintResolution.objects.create(
            organisation=organisation,
            conversation=conv,
            action=action,
            cost=Decimal(cost),
            customer_acceptance=acceptance,
            created_at=when,
        )

    survey = Survey.objects.create(organisation=organisation, name="After a conversation")
    for conv, agent, team, when, csat, nps, ces in (
        (c1, alice, support, at(10, 5, 16), 5, 10, 6),
        (c2, alice, support, at(10, 12, 13), 2, 3, 2),
        (c4, bob, None, at(10, 19, 10), 4, 8, None),
    ):
        SurveyResponse.objects.create(
            organisation=organisation,
            survey=survey,
            conversation=conv,
            agent=agent,
            team=team,
            channel=conv.channel,
            submitted_at=when,
            csat=csat,
            nps=nps,
            ces=ces,
        )
    return ServiceData(
        organisation,
        email,
        sandbox,
        support,
        social,
        {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5},
    )
