"""The publishing pages, for each role: they render, they refuse outsiders, lists stay cheap."""
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import User
from rapport.channels.models import Channel
from rapport.publishing import calendar as cal
from rapport.publishing import research, services
from rapport.publishing.models import Asset, CalendarEntry, Campaign, EntryKind, Post
from tests.publishing.posts_fixtures import (  # noqa: F401  (fixtures)
    _fresh_cache,
    account,
    brand,
    image,
    make_image_asset,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(mara: User) -> Campaign:
    return services.create_campaign(
        mara,
        name="Autumn menu",
        kind="promotion",
        terms="While stocks last.",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
    )


@pytest.fixture
def post(mara: User, account: Channel, campaign: Campaign, image: Asset) -> Post:
    return services.create_post(
        mara,
        title="Autumn latte launch",
        campaign=campaign,
        variants=[
            services.VariantInput(
                channel=account.public_id,
                text="Our autumn latte is back. While stocks last.",
                asset_ids=(image.public_id,),
            )
        ],
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )


@pytest.fixture
def entry(mara: User, campaign: Campaign) -> CalendarEntry:
    return cal.create_entry(
        mara,
        kind=EntryKind.PROMOTION,
        title="Autumn menu launch",
        starts_at=timezone.localdate() + dt.timedelta(days=1),
        all_day=True,
        campaign=campaign,
    )


def _pages(post: Post, entry: CalendarEntry, campaign: Campaign, asset: Asset) -> list[str]:
    research_record = research.create_research(
        post.author, title="Where we post", brand="Warm café", target_customer="Locals 25-45"
    )
    fact = research.get_profile_for_user(post.author, "mastodon").facts.first()
    assert fact is not None
    return [
        reverse("publishing:post_list"),
        reverse("publishing:review_queue"),
        reverse("publishing:post_detail", args=[post.public_id]),
        reverse("publishing:calendar"),
        reverse("publishing:entry_detail", args=[entry.public_id]),
        reverse("publishing:asset_list"),
        reverse("publishing:asset_detail", args=[asset.public_id]),
        reverse("publishing:research"),
        reverse("publishing:research_compare"),
        reverse("publishing:platform_detail", args=["mastodon"]),
        reverse("publishing:fact_edit", args=[fact.public_id]),
        reverse("publishing:research_detail", args=[research_record.public_id]),
        reverse("publishing:campaign_list"),
        reverse("publishing:campaign_detail", args=[campaign.public_id]),
        reverse("publishing:profile_versions", args=[post.variants.first().channel.public_id]),  # type: ignore[union-attr]
    ]


WORK_PAGES = ["compose", "entry_create", "asset_create", "campaign_create"]


@pytest.mark.parametrize("role", ["ada", "morgan", "mara", "sam", "alice", "ana"])
def test_every_page_renders_for_each_role(
    role: str,
    request: Any,
    web_as: Any,
    post: Post,
    entry: CalendarEntry,
    campaign: Campaign,
    image: Asset,
) -> None:
    research.load_starting_set(post.organisation)
    user: User = request.getfixturevalue(role)
    client = web_as(user)

    for url in _pages(post, entry, campaign, image):
        response = client.get(url)
        assert response.status_code == 200, url
    for name in WORK_PAGES:
        response = client.get(reverse(f"publishing:{name}"))
        expected = 200 if role in ("ada", "morgan", "mara") else 403
        assert response.status_code == expected, name


def test_outsider_is_refused_everywhere(
    charlie: User,
    web_as: Any,
    post: Post,
    entry: CalendarEntry,
    campaign: Campaign,
    image: Asset,
) -> None:
    research.load_starting_set(post.organisation)
    client = web_as(charlie)

    for url in _pages(post, entry, campaign, image):
        if url in (
            reverse("publishing:post_list"),
            reverse("publishing:review_queue"),
            reverse("publishing:calendar"),
            reverse("publishing:asset_list"),
            reverse("publishing:research"),
            reverse("publishing:research_compare"),
            reverse("publishing:campaign_list"),
        ):
            continue  # their own (empty) organisation's lists
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("publishing:asset_file", args=[image.public_id])).status_code == 404
