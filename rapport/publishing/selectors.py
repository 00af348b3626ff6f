"""Reads of posts, campaigns, UGC, profiles and metrics that depend on who is asking.

Everyone in an organisation may read its publishing (PUBLISHING_VIEW); nobody
sees another organisation's. Lists are cursor-paginated and load in a fixed
number of queries whatever the page size.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.lib.cursors import decode_cursor, encode_cursor
from rapport.lib.errors import NotAllowed, NotFound
from rapport.lib.ids import parse_public_id
from rapport.publishing.models import (
    AccountMetricSample,
    ApprovalRule,
    BannedWord,
    Campaign,
    Post,
    PostMetricSample,
    PostReview,
    PostTransition,
    PostVariant,
    ProfileVersion,
    QueueSlot,
    UgcItem,
)
from rapport.publishing.services import PUBLISHING_KINDS

MAX_PAGE = 200


def _require_view(viewer: User) -> None:
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing publishing.")


def _variants_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "variants",
        queryset=PostVariant.objects.select_related("channel").prefetch_related("assets"),
    )


def posts_visible_to(viewer: User) -> QuerySet[Post]:
    """Return the organisation's posts, if the viewer may see publishing."""
    _require_view(viewer)
    return Post.objects.filter(organisation_id=viewer.organisation_id)


def get_post_for_user(viewer: User, public_id: str | uuid.UUID) -> Post:
    wanted = parse_public_id(public_id, "post")
    post = (
        posts_visible_to(viewer)
        .select_related("author", "campaign", "organisation")
        .prefetch_related(_variants_prefetch())
        .filter(public_id=wanted)
        .first()
    )
    if post is None:
        raise NotFound("No such post.")
    return post


@dataclass(frozen=True)
class PostFilter:
    status: str | None = None
    campaign: uuid.UUID | None = None
    account: uuid.UUID | None = None
    scheduled_from: dt.datetime | None = None
    scheduled_to: dt.datetime | None = None


def post_page(
    viewer: User, filters: PostFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Post], str | None]:
    """Return one page of posts, newest first, and the cursor of the next page.

    Four queries whatever the page size: the posts with author and campaign,
    their variants with accounts, and the variants' assets.
    """
    limit = max(1, min(limit, MAX_PAGE))
    rows = posts_visible_to(viewer)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.campaign:
        rows = rows.filter(campaign__public_id=filters.campaign)
    if filters.account:
        rows = rows.filter(variants__channel__public_id=filters.account)
    if filters.scheduled_from:
        rows = rows.filter(scheduled_at__gte=filters.scheduled_from)
    if filters.scheduled_to:
        rows = rows.filter(scheduled_at__lt=filters.scheduled_to)
    if cursor:
        at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    page = list(
        rows.select_related("author", "campaign")
        .prefetch_related(_variants_prefetch())
        .order_by("-created_at", "-pk")
        .distinct()[: limit + 1]
    )
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(page[-1].created_at, page[-1].pk)
    return page, next_cursor


def transitions_of(post: Post) -> list[PostTransition]:
    return list(post.transitions.select_related("actor").order_by("created_at", "id"))


def reviews_of(post: Post) -> list[PostReview]:
    return list(post.reviews.select_related("reviewer").order_by("created_at", "id"))


# --- Accounts ----------------------------------------


def social_accounts_visible_to(viewer: User) -> QuerySet[Channel]:
    """Return the organisation's active social accounts (the channels posts go to)."""
    _require_view(viewer)
    return Channel.objects.filter(
        organisation_id=viewer.organisation_id, is_active=True, kind__in=PUBLISHING_KINDS
    )


def get_account_for_user(viewer: User, public_id: str | uuid.UUID) -> Channel:
    wanted = parse_public_id(public_id, "account")
    channel = social_accounts_visible_to(viewer).filter(public_id=wanted).first()
    if channel is None:
        raise NotFound("No such account.")
    return channel


def approval_rule_of(channel: Channel) -> ApprovalRule | None:
    return (
        ApprovalRule.objects.filter(channel=channel)
        .select_related("channel")
        .prefetch_related("approvers")
        .first()
    )


def queue_slots_of(channel: Channel) -> list[QueueSlot]:
    return list(QueueSlot.objects.filter(channel=channel).order_by("weekday", "time"))


def banned_words_visible_to(viewer: User) -> QuerySet[BannedWord]:
    _require_view(viewer)
    return BannedWord.objects.filter(organisation_id=viewer.organisation_id).order_by("word")


def get_banned_word_for_user(viewer: User, word_id: int) -> BannedWord:
    found = banned_words_visible_to(viewer).filter(pk=word_id).first()
    if found is None:
        raise NotFound("No such word.")
    return found


def profile_versions_of(viewer: User, channel: Channel) -> list[ProfileVersion]:
    _require_view(viewer)
    return list(
        ProfileVersion.objects.filter(channel=channel)
        .select_related("avatar", "header", "created_by", "channel")
        .order_by("-number")
    )


def get_profile_version_for_user(viewer: User, public_id: str | uuid.UUID) -> ProfileVersion:
    _require_view(viewer)
    wanted = parse_public_id(public_id, "profile version")
    found = (
        ProfileVersion.objects.filter(
            public_id=wanted, channel__organisation_id=viewer.organisation_id
        )
        .select_related("avatar", "header", "created_by", "channel")
        .first()
    )
    if found is None:
        raise NotFound("No such profile version.")
    return found


# --- Campaigns and UGC ----------------------------------------


def campaigns_visible_to(viewer: User) -> QuerySet[Campaign]:
    _require_view(viewer)
    return Campaign.objects.filter(organisation_id=viewer.organisation_id)


def get_campaign_for_user(viewer: User, public_id: str | uuid.UUID) -> Campaign:
    wanted = parse_public_id(public_id, "campaign")
    found = campaigns_visible_to(viewer).filter(public_id=wanted).first()
    if found is None:
        raise NotFound("No such campaign.")
    return found


def ugc_page(
    viewer: User, campaign: Campaign, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[UgcItem], str | None]:
    """Return one page of a UGC campaign's gallery, newest first, in one query."""
    _require_view(viewer)
    limit = max(1, min(limit, MAX_PAGE))
    rows = UgcItem.objects.filter(campaign=campaign).select_related("asset")
    if cursor:
        at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(posted_at__lt=at) | Q(posted_at=at, pk__lt=pk))
    page = list(rows.order_by("-posted_at", "-pk")[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(page[-1].posted_at, page[-1].pk)
    return page, next_cursor


def get_ugc_item_for_user(viewer: User, public_id: str | uuid.UUID) -> UgcItem:
    _require_view(viewer)
    wanted = parse_public_id(public_id, "item")
    found = (
        UgcItem.objects.filter(public_id=wanted, campaign__organisation_id=viewer.organisation_id)
        .select_related("campaign", "asset")
        .first()
    )
    if found is None:
        raise NotFound("No such item.")
    return found


# --- Metrics ----------------------------------------


def post_metrics(post: Post) -> list[PostMetricSample]:
    """Return every sample of the post's variants, oldest first, with the variant's account."""
    return list(
        PostMetricSample.objects.filter(variant__post=post)
        .select_related("variant__channel")
        .order_by("collected_at", "id")
    )


def account_metrics(
    channel: Channel, *, since: dt.datetime | None = None
) -> list[AccountMetricSample]:
    rows = AccountMetricSample.objects.filter(channel=channel)
    if since:
        rows = rows.filter(collected_at__gte=since)
    return list(rows.order_by("collected_at", "id")[:5000])
