"""Ingest's cheap paths give what the plain ORM and the plain Clock give."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from rapport.accounts.models import Organisation
from rapport.channels.models import Channel
from rapport.inbox import services, sla
from rapport.inbox.models import (
    BusinessCalendar,
    Conversation,
    Kind,
    Priority,
    SlaPolicy,
    SlaTarget,
    Status,
)
from rapport.inbox.services import ingest
from tests.inbox.conftest import event

# A Friday afternoon before a bank holiday weekend, in a zone with daylight saving.
OPENED = dt.datetime(2026, 12, 24, 16, 40, tzinfo=dt.UTC)


@pytest.fixture
def policy(org: Organisation) -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(
        organisation=org,
        name="Shop hours",
        time_zone="Europe/Dublin",
        weekly_hours={
            **{str(day): [["08:00", "18:00"]] for day in range(5)},
            "5": [["22:00", "02:00"]],
        },
        holidays=["2026-12-25", "2026-12-28"],
    )
    policy = SlaPolicy.objects.create(
        organisation=org, name="Standard", calendar=calendar, is_default=True
    )
    SlaTarget.objects.create(
        policy=policy,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=1440,
    )
    SlaTarget.objects.create(
        policy=policy, kind="complaint", first_response_minutes=60, resolution_minutes=960
    )
    SlaTarget.objects.create(policy=policy, priority=4, first_response_minutes=30)
    return policy


def test_a_conversation_built_without_init_holds_what_init_gives(
    org: Organisation, channel: Channel
) -> None:
    values: dict[str, Any] = {
        "organisation_id": org.pk,
        "channel_id": channel.pk,
        "customer_id": 7,
        "subject": "Refund",
        "thread_key": "s1",
        "is_public": False,
        "status": Status.NEW.value,
        "kind": Kind.COMPLAINT.value,
        "priority": Priority.HIGH.value,
        "last_message_at": OPENED,
        "created_at": OPENED,
        "team_id": None,
        "assignee_id": None,
    }

    fast = services._new_conversation(dict(values))
    plain = Conversation(**values)
    other = services._new_conversation(dict(values))

    for field in Conversation._meta.concrete_fields:
        if field.attname == "public_id":
            continue
        assert getattr(fast, field.attname) == getattr(plain, field.attname), field.attname
    assert isinstance(fast.public_id, uuid.UUID) and fast.public_id != other.public_id
    assert fast.custom_fields == {} and fast.custom_fields is not other.custom_fields
    assert fast._state.adding and fast.pk is None


@pytest.mark.parametrize("moment", [OPENED, OPENED + dt.timedelta(days=2, hours=5)])
def test_the_batch_clock_sets_the_clocks_due_times_once_per_target(
    policy: SlaPolicy, moment: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given conversations of every priority and kind opening at one moment
    shapes = [(priority, kind) for priority in Priority.values for kind in Kind.values] * 3
    calls = []
    real = sla.add_business_time

    def counted(*args: Any) -> dt.datetime:
        calls.append(args)
        return real(*args)

    # When the plain Clock and the batch's Clock time them
    plain, batch = sla.Clock(policy), services._BatchClock(policy)
    expected = []
    for priority, kind in shapes:
        conversation = Conversation(priority=priority, kind=kind, status=Status.NEW)
        plain.start(conversation, moment)
        expected.append(conversation)
    monkeypatch.setattr(sla, "add_business_time", counted)
    got = []
    for priority, kind in shapes:
        conversation = Conversation(priority=priority, kind=kind, status=Status.NEW)
        batch.start(conversation, moment)
        got.append(conversation)

    # Then every due time is the same, and each distinct target was worked out once
    fields = ["first_response_due_at", "resolution_due_at", "next_due_at", "sla_policy_id"]
    for one, other in zip(expected, got, strict=True):
        assert [getattr(one, f) for f in fields] == [getattr(other, f) for f in fields]
    assert any(c.first_response_due_at for c in got)
    # 120 and 1440 minutes (any), 60 and 960 (complaints), 30 (urgent)
    assert len(calls) == len({(args[1], args[2]) for args in calls}) == 5


def test_ingest_times_new_conversations_by_the_default_policy(
    policy: SlaPolicy, channel: Channel
) -> None:
    events = [
        event("My order never came and I was charged twice, refund me", author_handle=f"@c{n}")
        for n in range(4)
    ] + [event("Do you open on Sunday?", author_handle="@asker")]

    ingest(channel, events, now=OPENED)

    clock = sla.Clock(policy)
    for conversation in Conversation.objects.filter(channel=channel):
        reference = Conversation(priority=conversation.priority, kind=conversation.kind)
        clock.start(reference, OPENED)
        assert conversation.sla_policy_id == policy.pk
        assert conversation.first_response_due_at == reference.first_response_due_at
        assert conversation.resolution_due_at == reference.resolution_due_at
        assert conversation.next_due_at == reference.next_due_at is not None


def test_routing_by_customer_attribute_round_robin_and_language_across_batches(
    sam: Any, alice: Any, bob: Any, channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    # Given a VIP rule that needs a language speaker and a catch-all round robin
    from rapport.accounts import services as accounts
    from rapport.customers.models import Customer, Identity
    from rapport.inbox.models import AssignmentMode, Notification, RoutingRule
    from rapport.team.models import StaffProfile

    vip_desk = accounts.create_team(sam, name="VIP desk")
    accounts.set_team_members(sam, vip_desk, members=[alice, bob])
    care = accounts.create_team(sam, name="Care")
    accounts.set_team_members(sam, care, members=[alice, bob])
    StaffProfile.objects.update_or_create(user=alice, defaults={"languages": ["fr"]})
    StaffProfile.objects.update_or_create(user=bob, defaults={"languages": ["en"]})
    RoutingRule.objects.create(
        organisation=sam.organisation,
        name="VIPs",
        position=1,
        team=vip_desk,
        customer_attributes={"tier": "gold"},
        require_language=True,
        assignment=AssignmentMode.LEAST_LOADED,
    )
    RoutingRule.objects.create(
        organisation=sam.organisation,
        name="Everything",
        position=2,
        team=care,
        assignment=AssignmentMode.ROUND_ROBIN,
    )
    gold = Customer.objects.create(
        organisation=sam.organisation, display_name="Gold", attributes={"tier": "gold"}
    )
    Identity.objects.create(
        organisation=sam.organisation, customer=gold, platform="sandbox", handle="@gold@x"
    )

    # When a gold customer writes in English, then four others write over two batches
    with django_capture_on_commit_callbacks(execute=True):
        ingest(channel, [event("Where is my order? It is late.", author_handle="@Gold@x")])
    for batch in ([f"@a{n}@x" for n in range(2)], [f"@b{n}@x" for n in range(2)]):
        with django_capture_on_commit_callbacks(execute=True):
            ingest(channel, [event("Hello, a question", author_handle=h) for h in batch])

    # Then the VIP went to the English speaker's desk, and the rest alternated
    vip = Conversation.objects.get(customer=gold)
    assert (vip.team_id, vip.assignee_id) == (vip_desk.pk, bob.pk)
    others = Conversation.objects.exclude(customer=gold).order_by("id")
    assert {c.team_id for c in others} == {care.pk}
    assignees = [c.assignee_id for c in others]
    assert assignees == [alice.pk, bob.pk, alice.pk, bob.pk]
    notified = Notification.objects.filter(kind="assigned").values_list("user_id", "conversation")
    assert sorted(notified) == sorted([(bob.pk, vip.pk)] + [(c.assignee_id, c.pk) for c in others])
