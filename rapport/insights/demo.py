"""DEMO DATA: two months of believable history (September and October 2026) for the demo.

A new demo has only live sandbox traffic, so its monthly report would be empty.
This backfills the demo organisation with conversations, replies, resolutions,
complaint remedies, social posts with their metrics and follower counts, all
marked as demo history (`custom_fields["demo"] == "history"`, post titles start
with "[demo]"). The story it tells, for the October report to find:

- Saturdays are open but thinly staffed and Sunday messages wait for Monday;
- late deliveries rise in October (a courier changed its collection times),
  with an evening spike on 14 October that the brand-risk detector catches;
- posts with a photo earn about twice the engagement of text-only posts.

Rows are inserted in bulk (no notifications or deliveries are triggered); the
brand-risk detector is then run over the inbound messages in time order, as if
they had arrived live. Running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Organisation, Team, User
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox import sla
from rapport.inbox.models import (
    ComplaintResolution,
    Conversation,
    CustomerAcceptance,
    DeliveryStatus,
    Direction,
    Kind,
    Message,
    Priority,
    ResolutionAction,
    SlaPolicy,
    Status,
)
from rapport.insights import alerts
from rapport.insights.models import Alert
from rapport.lib.business_hours import add_business_time
from rapport.publishing.models import (
    AccountMetricSample,
    Asset,
    Post,
    PostMetricSample,
    PostStatus,
    PostVariant,
    VariantStatus,
)

MARK = "history"
FIRST_DAY = dt.date(2026, 9, 1)
LAST_DAY = dt.date(2026, 10, 31)

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Finn",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kezia",
    "Liam",
    "Maya",
    "Noor",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Wes",
    "Yara",
    "Zane",
]  # noqa: SIM905
LAST_NAMES = "Okafor Brooks Kapoor Ellis Martin Rossi Walker Nowak Haddad Byrne Silva Chen".split()  # noqa: SIM905, E501

TEXTS: dict[str, list[str]] = {
    "late_delivery": [
        "Order #{n} was due on {day} and tracking hasn't moved since. Where is it?",
        "Second week waiting for my beans, order #{n}. The courier says it was never collected.",
        "My parcel is three days late again. This is the third time with your new courier.",
    ],
    "wrong_order": [
        "Got filter grind instead of espresso in order #{n}.",
        "Click and collect #{n} had decaf in it, I ordered the House Espresso.",
    ],
    "cold_drink": [
        "My flat white at Market Street was lukewarm this morning.",
        "Waited 15 minutes and the oat cortado was cold by the time I got it.",
    ],
    "billing": [
        "You charged my subscription after I cancelled it, order #{n}.",
        "Can't find how to pause my subscription and I've been billed again.",
    ],
    "rude_staff": ["The person on the till was really short with me today at Market Street."],
    "question": [
        "Do you still ship on Tuesdays and Fridays?",
        "Is the Ethiopia Guji back in stock?",
        "Can I change the grind on my next subscription box?",
        "What time do you open on Saturday?",
        "Do you do oat milk in the cold brew?",
    ],
    "praise": [
        "Best flat white in town, thank you Market Street team!",
        "The cardamom buns this morning were still warm. Perfect.",
    ],
    "review": ["★★★★☆ Lovely beans, delivery a bit slow.", "★★★★★ Consistent, chocolatey, great."],
    "ugc": ["Sunday pour-over with your Colombia beans 📸 #emberandoak"],
}
REPLIES = {
    "complaint": "So sorry about this, {name}. I've looked into it and we'll put it right today.",
    "question": "Hi {name}, thanks for asking! Yes: we ship every Tuesday and Friday.",
    "other": "Thank you {name}, we've passed this on to the team ☕",
}
REMEDIES = {
    "late_delivery": (ResolutionAction.REFUND, Decimal("6.50")),
    "wrong_order": (ResolutionAction.REPLACEMENT, Decimal("11.00")),
    "cold_drink": (ResolutionAction.CREDIT, Decimal("3.40")),
    "billing": (ResolutionAction.REFUND, Decimal("14.00")),
    "rude_staff": (ResolutionAction.APOLOGY, Decimal("0")),
}
POSTS = [
    ("New single origin: Ethiopia Guji natural is in the shop", True),
    ("Saturday latte art class: four places left", True),
    ("Reminder: orders placed by Thursday noon ship on Friday", False),
    ("Meet Aoife, our new head roaster", True),
    ("Autumn opening hours from next week", False),
    ("Behind the scenes: roasting day", True),
    ("We're hiring a weekend barista", False),
    ("Cardamom buns are back on the counter", True),
    ("Our Colombia Huila is now on subscription", False),
    ("Pour-over tips from the roastery", True),
    ("Free delivery this weekend on bean orders", False),
    ("A look inside our new Market Street seating", True),
    ("Oat milk now at no extra cost", False),
    ("The story behind our Guji farm partners", True),
    ("Half-term hot chocolate for kids", True),
    ("Thanks to everyone who follows along!", False),
]


def seed_history(organisation: Organisation, *, now: dt.datetime | None = None) -> bool:
    """Backfill September and October 2026; return False when already done or not possible."""
    now = now or timezone.now()
    if Conversation.objects.filter(organisation=organisation, custom_fields__demo=MARK).exists():
        return False
    channels = list(Channel.objects.filter(organisation=organisation).order_by("id"))
    agents = list(
        User.objects.filter(organisation=organisation, role="agent", is_active=True).order_by("id")
    )
    admin = User.objects.filter(organisation=organisation, role="admin").order_by("id").first()
    if not channels or not agents or admin is None:
        return False
    with transaction.atomic():
        inbound = _service_history(organisation, channels, agents, now)
        _social_history(organisation, channels, admin)
    _replay_detector(organisation, inbound)
    return True


# --- Customer service -----------------------------------------------------------------------


def _service_history(
    organisation: Organisation, channels: list[Channel], agents: list[User], now: dt.datetime
) -> list[int]:
    rng = random.Random(2026)
    zone = organisation.zone
    policy = (
        SlaPolicy.objects.filter(organisation=organisation, is_default=True)
        .select_related("calendar")
        .prefetch_related("targets")
        .first()
    )
    calendar = sla.calendar_of(policy.calendar if policy else None)
    targets = list(policy.targets.all()) if policy else []
    care = Team.objects.filter(organisation=organisation, name="Customer care").first()
    customers = _customers(organisation, rng)
    conversations: list[Conversation] = []
    plans: list[dict[str, Any]] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekday = day.weekday()
        count = {5: 16, 6: 11}.get(weekday, 30) + rng.randint(-4, 4)
        for _ in range(count):
            plans.append(_plan(rng, day, zone, october=day.month == 10))
        if day == dt.date(2026, 10, 14):
            # The courier missed its evening collection: a burst of late-delivery complaints.
            spike = dt.datetime.combine(day, dt.time(19, 5), zone)
            for n in range(16):
                burst = spike + dt.timedelta(minutes=3 * n + rng.randint(0, 2))
                plans.append({"at": burst, "kind": Kind.COMPLAINT, "topic": "late_delivery"})
        day += dt.timedelta(days=1)
    plans.sort(key=lambda plan: plan["at"])
    for index, plan in enumerate(plans):
        at: dt.datetime = plan["at"]
        kind, topic = plan["kind"], plan["topic"]
        customer = customers[rng.randrange(len(customers))]
        channel = channels[rng.randrange(len(channels))]
        agent = agents[rng.randrange(len(agents))]
        priority = (
            Priority.HIGH if kind == Kind.COMPLAINT and rng.random() < 0.3 else Priority.NORMAL
        )
        replied = at + _wait(rng, at.astimezone(zone))
        resolved = replied + _work(rng, kind)
        still_open = resolved > now or (at.date() >= dt.date(2026, 10, 20) and rng.random() < 0.06)
        target = sla.pick_target(targets, priority=priority, kind=kind)
        due = (
            add_business_time(calendar, at, dt.timedelta(minutes=target.first_response_minutes))
            if target and target.first_response_minutes
            else None
        )
        resolution_due = (
            add_business_time(calendar, at, dt.timedelta(minutes=target.resolution_minutes))
            if target and target.resolution_minutes
            else None
        )
        breached = due is not None and replied > due
        text = rng.choice(TEXTS[topic]).format(n=41000 + index, day="Tuesday")
        conversation = Conversation(
            organisation=organisation,
            channel=channel,
            customer=customer,
            subject=text[:80] if channel.kind in ("email", "webform") else "",
            thread_key=f"demo-history-{index}",
            status=Status.OPEN if still_open else Status.RESOLVED,
            kind=kind,
            priority=priority,
            assignee=agent,
            team=care if kind in (Kind.COMPLAINT, Kind.QUESTION) else None,
            custom_fields={"demo": MARK},
            language="en",
            intent=topic if kind == Kind.COMPLAINT else "",
            sentiment=-0.6 if kind == Kind.COMPLAINT else 0.4,
            brand_risk=round(rng.uniform(0.35, 0.85), 2) if kind == Kind.COMPLAINT else 0.1,
            last_message_at=replied,
            last_message_preview=text[:200],
            last_inbound_at=at,
            message_count=2,
            sla_policy=policy,
            first_response_due_at=due,
            first_responded_at=replied,
            resolution_due_at=resolution_due,
            sla_breached_at=due if breached else None,
            resolved_at=None if still_open else resolved,
            created_at=at,
        )
        conversation.updated_at = at
        conversations.append(conversation)
        plan.update(text=text, customer=customer, channel=channel, agent=agent, replied=replied)
    Conversation.objects.bulk_create(conversations, batch_size=500)
    # bulk_create sets updated_at to now (auto_now); the history should carry its own times.
    messages: list[Message] = []
    for conversation, plan in zip(conversations, plans, strict=True):
        name = plan["customer"].display_name.split()[0]
        reply_kind = (
            "complaint"
            if conversation.kind == Kind.COMPLAINT
            else ("question" if conversation.kind == Kind.QUESTION else "other")
        )
        messages.append(
            Message(
                organisation=organisation,
                conversation=conversation,
                channel=plan["channel"],
                external_id=f"demo-history-{conversation.thread_key}",
                direction=Direction.INBOUND,
                is_public=True,
                author_customer=plan["customer"],
                text=plan["text"],
                sent_at=plan["at"],
                created_at=plan["at"],
                kind=conversation.kind,
                sentiment=conversation.sentiment,
                brand_risk=conversation.brand_risk,
                language="en",
                intent=conversation.intent,
                delivery_status=DeliveryStatus.RECEIVED,
            )
        )
        messages.append(
            Message(
                organisation=organisation,
                conversation=conversation,
                channel=plan["channel"],
                direction=Direction.OUTBOUND,
                is_public=True,
                author_user=plan["agent"],
                text=REPLIES[reply_kind].format(name=name),
                sent_at=plan["replied"],
                created_at=plan["replied"],
                delivery_status=DeliveryStatus.SENT,
                idempotency_key=uuid.uuid4().hex,
            )
        )
    Message.objects.bulk_create(messages, batch_size=500)
    _remedies(organisation, conversations, rng)
    return [m.pk for m in messages if m.direction == Direction.INBOUND]


def _plan(rng: random.Random, day: dt.date, zone: Any, *, october: bool) -> dict[str, Any]:
    hour = rng.choices(range(7, 23), weights=[3, 6, 8, 8, 7, 8, 8, 7, 6, 6, 5, 4, 3, 3, 2, 1])[0]
    at = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), zone)
    kind = rng.choices(
        [Kind.COMPLAINT, Kind.QUESTION, Kind.PRAISE, Kind.REVIEW, Kind.UGC],
        weights=[30, 40, 12, 10, 8],
    )[0]
    if kind != Kind.COMPLAINT:
        topic = {Kind.QUESTION: "question", Kind.PRAISE: "praise", Kind.REVIEW: "review"}.get(
            kind, "ugc"
        )
        return {"at": at, "kind": kind, "topic": topic}
    # In October the new courier's late collections more than double late deliveries.
    late = 0.42 if october and day.day >= 5 else 0.2
    topic = rng.choices(
        ["late_delivery", "wrong_order", "cold_drink", "billing", "rude_staff"],
        weights=[late, 0.25, 0.2, 0.2, 0.1],
    )[0]
    return {"at": at, "kind": kind, "topic": topic}


def _wait(rng: random.Random, local: dt.datetime) -> dt.timedelta:
    """How long the first reply took: quick on weekdays, slow on Saturdays, Monday for Sundays."""
    weekday = local.weekday()
    if weekday == 6 or (weekday == 5 and local.hour >= 17):
        monday = (local + dt.timedelta(days=7 - weekday)).replace(hour=8, minute=0, second=0)
        return monday - local + dt.timedelta(minutes=rng.randint(10, 150))
    if weekday == 5:
        # One person on the counter and the inbox: replies wait for quiet moments.
        return dt.timedelta(minutes=rng.lognormvariate(5.4, 0.45))
    if local.hour >= 18:
        morning = (local + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0)
        return morning - local + dt.timedelta(minutes=rng.randint(5, 60))
    return dt.timedelta(minutes=rng.lognormvariate(3.6, 0.6))


def _work(rng: random.Random, kind: str) -> dt.timedelta:
    if kind == Kind.COMPLAINT:
        return dt.timedelta(hours=rng.lognormvariate(2.8, 0.7))
    return dt.timedelta(minutes=rng.lognormvariate(3.0, 0.8))


def _customers(organisation: Organisation, rng: random.Random) -> list[Customer]:
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    return Customer.objects.bulk_create(
        [Customer(organisation=organisation, display_name=name) for name in names[:180]]
    )


def _remedies(
    organisation: Organisation, conversations: list[Conversation], rng: random.Random
) -> None:
    rows = []
    for conversation in conversations:
        if conversation.kind != Kind.COMPLAINT or conversation.resolved_at is None:
            continue
        action, cost = REMEDIES.get(conversation.intent, (ResolutionAction.APOLOGY, Decimal(0)))
        rows.append(
            ComplaintResolution(
                organisation=organisation,
                conversation=conversation,
                action=action,
                amount=cost or None,
                currency="GBP" if cost else "",
                cost=cost,
                customer_acceptance=rng.choice(
                    [CustomerAcceptance.ACCEPTED] * 4 + [CustomerAcceptance.NO_REPLY]
                ),
                reason=conversation.intent.replace("_", " "),
                recorded_by=conversation.assignee,
                created_at=conversation.resolved_at,
            )
        )
    ComplaintResolution.objects.bulk_create(rows, batch_size=500)


# --- Social ---------------------------------------------------------------------------------


def _audience(channel: Channel) -> int:
    """Return the followers the account has today (the sandbox's brand), or a small café's."""
    if channel.kind == "sandbox":
        from rapport.sandbox.models import SandboxFollow

        return SandboxFollow.objects.filter(target__is_brand=True).count() or 20
    return 1300


def _social_history(organisation: Organisation, channels: list[Channel], admin: User) -> None:
    social = [c for c in channels if c.kind in ("sandbox", "mastodon", "bluesky")]
    if not social:
        return
    rng = random.Random(11)
    zone = organisation.zone
    channel = social[0]
    photo = Asset.objects.create(
        organisation=organisation,
        kind="image",
        title="[demo] Shop photo",
        url="https://emberandoak.example/photos/shop.jpg",
        mime_type="image/jpeg",
        owner=admin,
    )
    audience = _audience(channel)
    day, n = FIRST_DAY, 0
    while day <= LAST_DAY:
        if day.weekday() in (0, 2, 4):  # Monday, Wednesday, Friday
            title, with_photo = POSTS[n % len(POSTS)]
            hour = 12 if day.weekday() == 2 else rng.choice([9, 17])
            at = dt.datetime.combine(day, dt.time(hour, 0), zone)
            post = Post.objects.create(
                organisation=organisation,
                author=admin,
                title=f"[demo] {title}",
                status=PostStatus.PUBLISHED,
                published_at=at,
            )
            variant = PostVariant.objects.create(
                post=post,
                channel=channel,
                text=title,
                status=VariantStatus.PUBLISHED,
                published_at=at,
                external_id=f"demo-history-post-{n}",
            )
            if with_photo:
                variant.assets.add(photo)
            base = rng.uniform(18, 30) if with_photo else rng.uniform(7, 13)
            if day.weekday() == 2:
                base *= 1.4  # lunchtime posts do better
            PostMetricSample.objects.create(
                variant=variant,
                collected_at=at + dt.timedelta(days=2),
                favourites=round(base * 0.7),
                boosts=round(base * 0.2),
                replies=round(base * 0.1),
            )
            n += 1
        # Grow towards the audience the account really has now, so the live counts the
        # worker collects continue the line instead of falling off a cliff.
        progress = (day - FIRST_DAY).days / max(1, (LAST_DAY - FIRST_DAY).days)
        followers = max(0, round(audience * (0.4 + 0.6 * progress)) + rng.randint(-1, 1))
        AccountMetricSample.objects.create(
            channel=channel,
            collected_at=dt.datetime.combine(day, dt.time(23, 0), zone),
            followers=followers,
        )
        day += dt.timedelta(days=1)


# --- The detector, replayed -----------------------------------------------------------------


def _replay_detector(organisation: Organisation, inbound_ids: list[int]) -> None:
    """Feed the history through the brand-risk detector a quarter-hour at a time."""
    rows = list(
        Message.objects.filter(pk__in=inbound_ids).order_by("sent_at").values_list("pk", "sent_at")
    )
    batch: list[int] = []
    current = None
    for pk, sent_at in rows:
        bucket = alerts.bucket_of(sent_at)
        if current is not None and bucket != current and batch:
            alerts.observe(batch)
            batch = []
        current = bucket
        batch.append(pk)
    if batch:
        alerts.observe(batch)
    # The October alert was handled at the time: say so, as a supervisor would have.
    supervisor = User.objects.filter(organisation=organisation, role="supervisor").first()
    for alert in Alert.objects.filter(organisation=organisation, acknowledged_at__isnull=True):
        Alert.objects.filter(pk=alert.pk).update(
            acknowledged_by=supervisor,
            acknowledged_at=alert.triggered_at + dt.timedelta(minutes=25),
            action_taken=(
                "Called the courier: the evening collection was missed. Posted an apology with "
                "the new delivery dates and offered a refund of the postage."
            ),
        )
