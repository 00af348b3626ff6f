"""Seed the demo organisation's publishing: an approval rule, campaigns, posts in several states.

Called after the channels are seeded (it needs the sandbox account):

    seed_publishing(organisation)

Everything goes through the services, as a marketer and a manager of the demo
organisation would do it, so the demo shows real findings, reviews and
transitions. One post is scheduled a couple of minutes ahead: the worker
publishes it to the sandbox while the demo runs. Running it again changes
nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Role
from rapport.channels.models import Channel, ChannelKind
from rapport.publishing import services
from rapport.publishing.models import BannedWord, Campaign, Post
from rapport.publishing.services import VariantInput

OFFER_NAME = "Autumn latte week"
UGC_NAME = "Latte art by you"


@transaction.atomic
def seed_publishing(organisation: Organisation, *, now: dt.datetime | None = None) -> list[Post]:
    """Create the demo's publishing data once; return the posts made (none on a re-run)."""
    if Campaign.objects.filter(organisation=organisation, name=OFFER_NAME).exists():
        return []
    account = (
        Channel.objects.filter(organisation=organisation, is_active=True, kind=ChannelKind.SANDBOX)
        .order_by("id")
        .first()
    )
    people = User.objects.filter(organisation=organisation, is_active=True)
    marketer = people.filter(role=Role.MARKETER).order_by("id").first()
    manager = people.filter(role=Role.MANAGER).order_by("id").first()
    if account is None or marketer is None or manager is None:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)

    services.set_approval_rule(manager, account, approvals_required=1, approver_role=Role.MANAGER)
    services.set_queue_slots(
        marketer,
        account,
        slots=[(day, dt.time(9, 30)) for day in range(5)]
        + [(day, dt.time(12, 30)) for day in range(5)]
        + [(5, dt.time(10, 0))],
    )
    for word, blocking, reason in (
        ("cheapest", True, "Policy 4.2: no price superlatives"),
        ("guaranteed", False, "Policy 4.3: promise only what the terms promise"),
    ):
        if not BannedWord.objects.filter(organisation=organisation, word=word).exists():
            services.add_banned_word(manager, word=word, reason=reason, blocking=blocking)

    offer = services.create_campaign(
        marketer,
        name=OFFER_NAME,
        kind="offer",
        goal="Bring lapsed customers back with a free second latte.",
        goal_metric="engagement",
        goal_target=500,
        starts_on=today,
        ends_on=today + dt.timedelta(days=7),
        terms="One free latte with every latte bought, one per customer per day, in our shops "
        "only, while stocks last.",
        terms_url="https://emberandoak.example/terms/autumn-latte",
        colour="#c2410c",
    )
    services.create_campaign(
        marketer,
        name=UGC_NAME,
        kind="ugc",
        goal="Collect 40 latte-art photos from customers for the winter menu boards.",
        goal_metric="ugc_items",
        goal_target=40,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        hashtag="EmberLatteArt",
        colour="#0f766e",
    )

    def draft(title: str, text: str, *, campaign: Campaign | None = offer) -> Post:
        return services.create_post(
            marketer,
            title=title,
            campaign=campaign,
            variants=[
                VariantInput(
                    channel=account,
                    text=text,
                    first_comment="Terms: https://emberandoak.example/terms/autumn-latte"
                    if campaign is offer
                    else "",
                )
            ],
            scheduled_at=now + dt.timedelta(days=3),
        )

    posts = [
        # A draft with a finding to fix: a phone number in public text.
        draft(
            "Pre-order line",
            "Pre-order your autumn latte: call 020 7946 0958 and skip the queue!",
        ),
    ]
    in_review = draft(
        "Offer launch",
        "Autumn latte week starts today: buy a latte, get the second free. #emberandoak #autumn",
    )
    services.submit_for_review(marketer, in_review, note="Launch post for Monday")
    posts.append(in_review)

    sent_back = draft("Barista tips", "Three tips for milk that steams like ours.", campaign=None)
    services.submit_for_review(marketer, sent_back)
    services.review_post(
        manager,
        sent_back,
        decision="request_changes",
        note="Add a photo and name the barista.",
    )
    posts.append(sent_back)

    for title, text, at in (
        (
            "Tomorrow's bake",
            "Cardamom buns are back tomorrow from 8. Come early!",
            now + dt.timedelta(days=1),
        ),
        (
            "Live now",
            "Good morning from the roastery: today's filter is Colombia Huila.",
            now + dt.timedelta(minutes=2),
        ),
    ):
        post = draft(title, text, campaign=None)
        services.submit_for_review(marketer, post)
        services.review_post(manager, post, decision="approve", note="Good to go")
        services.schedule_post(marketer, post, at=at, now=now)
        posts.append(post)
    return posts
