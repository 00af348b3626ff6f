"""Social metrics against a small dataset worked out by hand (October 2026, UTC).

Sandbox account: followers 100 (30 Sep), 120 (10 Oct), 150 (31 Oct), 160 (2 Nov).
Mastodon: one sample, 200 on 15 Oct. Published in October:
P1 sandbox Mon 5 Oct 09:00, a photo, campaign "Autumn looks": latest 10+4+2 = 16
   (an earlier sample of 5+1+0 must be ignored), no impressions;
P2 sandbox Mon 12 Oct 09:00, text, same campaign: 3+0+1 = 4, 100 impressions;
P3 sandbox Wed 14 Oct 18:00, text: 2+0+0 = 2, 50 impressions;
P4 mastodon Tue 20 Oct 09:00, a photo: 7+2+1 = 10.
Not counted: P5 published in September (50), P6 failed.
Inbound mentions in October: sandbox 0.8 UGC "#AutumnLook", -0.6, 0.1, 0.25 UGC
"#autumnlook"; mastodon -0.25; an email at -0.9 (not a social account).
"""

from __future__ import annotations

import datetime as dt

from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import Conversation, Message
from rapport.publishing.models import (
    AccountMetricSample,
    Asset,
    Campaign,
    Post,
    PostMetricSample,
    PostVariant,
)
from tests.insights.service_data import at


def build(org, mara):
    """Write the dataset described above; return the organisation."""
    sandbox = Channel.objects.create(organisation=org, name="Sandbox account", kind="sandbox")
    mastodon = Channel.objects.create(organisation=org, name="Mastodon", kind="mastodon")
    email = Channel.objects.create(organisation=org, name="Support inbox", kind="email")
    for channel, when, followers in (
        (sandbox, at(9, 30, 12), 100),
        (sandbox, at(10, 10, 12), 120),
        (sandbox, at(10, 31, 12), 150),
        (sandbox, at(11, 2, 12), 160),
        (mastodon, at(10, 15, 12), 200),
    ):
        AccountMetricSample.objects.create(channel=channel, collected_at=when, followers=followers)
    campaign = Campaign.objects.create(
        organisation=org,
        name="Autumn looks",
        kind="ugc",
        hashtag="autumnlook",
        goal_metric="ugc_items",
        goal_target=3,
    )
    photo = Asset.objects.create(organisation=org, kind="image", title="Coat")

    def post(channel, when, samples, *, media=False, campaign=None, status="published"):
        p = Post.objects.create(
            organisation=org,
            author=mara,
            status="published",
            campaign=campaign,
            title=f"{when:%d %b}",
        )
        variant = PostVariant.objects.create(
            post=p, channel=channel, text="Hello", status=status, published_at=when
        )
        if media:
            variant.assets.add(photo)
        for offset, (fav, boosts, replies, impressions) in enumerate(samples):
            PostMetricSample.objects.create(
                variant=variant,
                collected_at=when + dt.timedelta(days=1 + offset),
                favourites=fav,
                boosts=boosts,
                replies=replies,
                impressions=impressions,
            )

    post(sandbox, at(10, 5, 9), [(5, 1, 0, None), (10, 4, 2, None)], media=True, campaign=campaign)
    post(sandbox, at(10, 12, 9), [(3, 0, 1, 100)], campaign=campaign)
    post(sandbox, at(10, 14, 18), [(2, 0, 0, 50)])
    post(mastodon, at(10, 20, 9), [(7, 2, 1, None)], media=True)
    post(sandbox, at(9, 20, 9), [(50, 0, 0, None)])
    post(sandbox, at(10, 21, 9), [(99, 0, 0, None)], status="failed")

    customer = Customer.objects.create(organisation=org, display_name="Pat")
    for channel, when, sentiment, kind, text in (
        (sandbox, at(10, 6, 10), 0.8, "ugc", "My new coat #AutumnLook"),
        (sandbox, at(10, 7, 10), -0.6, "complaint", "Late again"),
        (sandbox, at(10, 8, 10), 0.1, "question", "Open on Sunday?"),
        (sandbox, at(10, 9, 10), 0.25, "ugc", "#autumnlook in the park"),
        (sandbox, at(9, 29, 10), 0.9, "ugc", "#autumnlook early"),
        (mastodon, at(10, 10, 10), -0.25, "complaint", "Meh"),
        (email, at(10, 11, 10), -0.9, "complaint", "Awful"),
    ):
        conversation = Conversation.objects.create(
            organisation=org, channel=channel, customer=customer, last_message_at=when
        )
        Message.objects.create(
            organisation=org,
            conversation=conversation,
            channel=channel,
            direction="in",
            text=text,
            sentiment=sentiment,
            kind=kind,
            sent_at=when,
            created_at=when,
        )
    return org
