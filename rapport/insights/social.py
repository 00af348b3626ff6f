"""Social metrics for a period, per account (a social channel), aggregated by the database.

Post engagement comes from `PostMetricSample`, a time series of running
totals; a post's engagement is its latest sample (favourites + boosts +
replies), so the figures for posts published in a period keep growing while
the posts are still being liked. What each figure counts:

- followers: the last sample at or before the start and the end of the period
  (the first sample in the period when there is none before it);
- engagement: posts published in the period, their latest samples summed;
  impressions and reach are summed only where the platform gives them;
- engagement rate: engagement per post as a share of followers at the end
  (and of impressions, where given), in per cent;
- best posting times: mean engagement per post by weekday and hour of
  publication, in the organisation's time zone;
- mentions: inbound messages on the account in the period, by sentiment
  (score <= -0.25 negative, >= 0.25 positive, neutral between);
- user-generated content: inbound messages triaged as UGC, and per UGC
  campaign those carrying its hashtag.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
)
from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.channels.models import Channel, ChannelKind
from rapport.inbox.models import Direction, Kind, Message
from rapport.insights import buckets, daily
from rapport.publishing.models import (
    AccountMetricSample,
    Campaign,
    PostMetricSample,
    PostVariant,
    VariantStatus,
)

SOCIAL_KINDS = (ChannelKind.MASTODON, ChannelKind.SANDBOX, ChannelKind.BLUESKY)
NEGATIVE_AT = -0.25
POSITIVE_AT = 0.25
TOP_POSTS = 5


@dataclass(frozen=True)
class PostRow:
    key: str
    channel: str
    title: str
    text: str
    url: str
    published_at: dt.datetime
    campaign: str
    has_media: bool
    favourites: int
    boosts: int
    replies: int
    impressions: int | None
    reach: int | None

    @property
    def engagement(self) -> int:
        return self.favourites + self.boosts + self.replies


@dataclass(frozen=True)
class TimeSlot:
    weekday: int  # 1 = Monday, as ISO
    hour: int
    posts: int
    mean_engagement: float


@dataclass(frozen=True)
class MediaSplit:
    with_media_posts: int = 0
    with_media_mean: float | None = None
    text_only_posts: int = 0
    text_only_mean: float | None = None
    # Each post's engagement, for a test of whether the difference is more than noise.
    with_media_values: tuple[int, ...] = ()
    text_only_values: tuple[int, ...] = ()

    @classmethod
    def of(cls, posts: Iterable[PostRow]) -> MediaSplit:
        """Split posts by whether they carry a photo or video."""
        media = tuple(post.engagement for post in posts if post.has_media)
        text = tuple(post.engagement for post in posts if not post.has_media)
        return cls(
            with_media_posts=len(media),
            with_media_mean=sum(media) / len(media) if media else None,
            text_only_posts=len(text),
            text_only_mean=sum(text) / len(text) if text else None,
            with_media_values=media,
            text_only_values=text,
        )

    @property
    def ratio(self) -> float | None:
        """How many times the engagement of a text-only post a post with media earns."""
        if not self.with_media_mean or not self.text_only_mean:
            return None
        return self.with_media_mean / self.text_only_mean


@dataclass(frozen=True)
class Mentions:
    total: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    ugc: int = 0

    def share(self, part: str) -> float | None:
        return 100 * getattr(self, part) / self.total if self.total else None


@dataclass(frozen=True)
class AccountSummary:
    key: str
    name: str
    platform: str
    followers_start: int | None
    followers_end: int | None
    followers_series: list[tuple[dt.date, int]]
    posts: int
    favourites: int
    boosts: int
    replies: int
    impressions: int | None
    # Engagement of the posts whose platform reports impressions (the rate's numerator).
    engagement_with_impressions: int
    reach: int | None
    top_posts: list[PostRow]
    bottom_posts: list[PostRow]
    mentions: Mentions
    media: MediaSplit

    @property
    def engagement(self) -> int:
        return self.favourites + self.boosts + self.replies

    @property
    def follower_change(self) -> int | None:
        if self.followers_start is None or self.followers_end is None:
            return None
        return self.followers_end - self.followers_start

    @property
    def engagement_rate(self) -> float | None:
        """Mean engagement per post as a percentage of followers at the end."""
        if not self.posts or not self.followers_end:
            return None
        return 100 * self.engagement / self.posts / self.followers_end

    @property
    def engagement_rate_impressions(self) -> float | None:
        """Engagement as a percentage of impressions, over the posts that report them."""
        if not self.impressions:
            return None
        return 100 * self.engagement_with_impressions / self.impressions


@dataclass(frozen=True)
class CampaignResult:
    key: str
    name: str
    kind: str
    goal_metric: str
    goal_target: float | None
    posts: int
    engagement: int
    impressions: int | None
    ugc_items: int

    @property
    def achieved(self) -> float | None:
        """The measured value of the goal metric, where the campaign names one we measure."""
        return {
            "engagement": float(self.engagement),
            "ugc_items": float(self.ugc_items),
            "posts": float(self.posts),
            "impressions": float(self.impressions) if self.impressions is not None else None,
        }.get(self.goal_metric)


@dataclass(frozen=True)
class SocialSummary:
    organisation_id: int
    start: dt.datetime
    end: dt.datetime
    accounts: list[AccountSummary]
    campaigns: list[CampaignResult]
    best_times: list[TimeSlot]
    media: MediaSplit
    mentions: Mentions
    trend_unit: str = "day"
    engagement_series: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def posts(self) -> int:
        return sum(account.posts for account in self.accounts)

    @property
    def engagement(self) -> int:
        return sum(account.engagement for account in self.accounts)


def _latest(field_name: str) -> Subquery:
    return Subquery(
        PostMetricSample.objects.filter(variant=OuterRef("pk"))
        .order_by("-collected_at", "-id")
        .values(field_name)[:1],
        output_field=IntegerField(),
    )


def published_variants(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> QuerySet[Any]:
    """Variants published in the period, each with its latest metrics annotated."""
    media = PostVariant.assets.through.objects.filter(postvariant_id=OuterRef("pk"))
    return (
        PostVariant.objects.filter(
            post__organisation=organisation,
            status=VariantStatus.PUBLISHED,
            published_at__gte=start,
            published_at__lt=end,
        )
        .annotate(
            m_favourites=Coalesce(_latest("favourites"), 0),
            m_boosts=Coalesce(_latest("boosts"), 0),
            m_replies=Coalesce(_latest("replies"), 0),
            m_impressions=_latest("impressions"),
            m_reach=_latest("reach"),
            has_media=Exists(media),
        )
        .annotate(m_engagement=F("m_favourites") + F("m_boosts") + F("m_replies"))
    )


def social_summary(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> SocialSummary:
    """Return the social figures of the organisation for `start <= t < end`, per account."""
    zone = organisation.zone
    unit = "day" if (end - start) <= dt.timedelta(days=62) else "week"
    channels = list(
        Channel.objects.filter(organisation=organisation, kind__in=SOCIAL_KINDS).order_by("name")
    )
    variants = published_variants(organisation, start, end)

    per_channel = {
        row["channel_id"]: row
        for row in variants.values("channel_id").annotate(
            n=Count("pk"),
            favourites=Sum("m_favourites"),
            boosts=Sum("m_boosts"),
            replies=Sum("m_replies"),
            impressions=Sum("m_impressions"),
            engaged_seen=Sum("m_engagement", filter=Q(m_impressions__isnull=False)),
            reach=Sum("m_reach"),
        )
    }
    posts = _post_rows(variants)
    followers = _followers(channels, start, end)
    series = _follower_series(channels, start, end, zone, unit)
    campaigns = _running_campaigns(organisation, start, end)
    mentions_by_channel, mentions_all, hashtags = _inbound(
        organisation, start, end, {channel.pk for channel in channels}, campaigns
    )

    accounts = []
    for channel in channels:
        totals = per_channel.get(channel.pk, {})
        rows = [post for post in posts if post.channel == channel.name]
        if not totals and channel.pk not in followers and channel.pk not in mentions_by_channel:
            continue
        start_followers, end_followers = followers.get(channel.pk, (None, None))
        accounts.append(
            AccountSummary(
                key=str(channel.public_id),
                name=channel.name,
                platform=channel.get_kind_display(),
                followers_start=start_followers,
                followers_end=end_followers,
                followers_series=series.get(channel.pk, []),
                posts=totals.get("n", 0),
                favourites=totals.get("favourites") or 0,
                boosts=totals.get("boosts") or 0,
                replies=totals.get("replies") or 0,
                impressions=totals.get("impressions"),
                engagement_with_impressions=totals.get("engaged_seen") or 0,
                reach=totals.get("reach"),
                top_posts=rows[:TOP_POSTS],
                bottom_posts=list(reversed(rows[-TOP_POSTS:])) if len(rows) > TOP_POSTS else [],
                mentions=mentions_by_channel.get(channel.pk, Mentions()),
                media=MediaSplit.of(rows),
            )
        )
    return SocialSummary(
        organisation_id=organisation.pk,
        start=start,
        end=end,
        accounts=accounts,
        campaigns=_campaigns(variants, campaigns, hashtags),
        best_times=_best_times(variants, zone),
        media=MediaSplit.of(posts),
        mentions=mentions_all,
        trend_unit=unit,
        engagement_series=_engagement_series(variants, zone, unit, (start, end)),
    )


def _post_rows(variants: QuerySet[Any]) -> list[PostRow]:
    rows = variants.order_by("-m_engagement", "-published_at").values(
        "public_id",
        "channel__name",
        "post__title",
        "text",
        "url",
        "published_at",
        "post__campaign__name",
        "has_media",
        "m_favourites",
        "m_boosts",
        "m_replies",
        "m_impressions",
        "m_reach",
    )
    return [
        PostRow(
            key=str(row["public_id"]),
            channel=row["channel__name"],
            title=row["post__title"],
            text=row["text"],
            url=row["url"],
            published_at=row["published_at"],
            campaign=row["post__campaign__name"] or "",
            has_media=bool(row["has_media"]),
            favourites=row["m_favourites"],
            boosts=row["m_boosts"],
            replies=row["m_replies"],
            impressions=row["m_impressions"],
            reach=row["m_reach"],
        )
        for row in rows
    ]


def _followers(
    channels: list[Channel], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[int | None, int | None]]:
    def at_or_before(moment: dt.datetime) -> Subquery:
        return Subquery(
            AccountMetricSample.objects.filter(channel=OuterRef("pk"), collected_at__lte=moment)
            .order_by("-collected_at")
            .values("followers")[:1],
            output_field=IntegerField(),
        )

    first_in_period = Subquery(
        AccountMetricSample.objects.filter(
            channel=OuterRef("pk"), collected_at__gte=start, collected_at__lt=end
        )
        .order_by("collected_at")
        .values("followers")[:1],
        output_field=IntegerField(),
    )
    rows = (
        Channel.objects.filter(pk__in=[channel.pk for channel in channels])
        .annotate(
            f_start=Coalesce(at_or_before(start), first_in_period),
            f_end=at_or_before(end),
        )
        .values_list("pk", "f_start", "f_end")
    )
    return {pk: (low, high) for pk, low, high in rows if low is not None or high is not None}


def _follower_series(
    channels: list[Channel], start: dt.datetime, end: dt.datetime, zone: Any, unit: str
) -> dict[int, list[tuple[dt.date, int]]]:
    rows = buckets.by_local_day(
        AccountMetricSample.objects.filter(
            channel__in=channels, collected_at__gte=start, collected_at__lt=end
        ),
        "collected_at",
        zone,
        unit,
        (start, end),
        ["channel_id"],
        {"followers": Max("followers")},
    )
    series: dict[int, list[tuple[dt.date, int]]] = {}
    for row in rows:
        series.setdefault(row["channel_id"], []).append((row["bucket"], row["followers"]))
    return series


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _inbound(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    social_channels: set[int],
    campaigns: list[Campaign],
) -> tuple[dict[int, Mentions], Mentions, dict[int, int]]:
    """Count the period's inbound messages in one pass: mentions and campaign hashtags.

    Mentions are the messages on social accounts, by sentiment; a campaign's
    user-generated content is any inbound message carrying its hashtag.
    """
    hashtags = {
        f"c{campaign.pk}": Count("pk", filter=Q(text__icontains="#" + campaign.hashtag))
        for campaign in campaigns
        if campaign.hashtag
    }
    inbound = Message.objects.filter(
        organisation=organisation,
        direction=Direction.INBOUND,
        created_at__gte=start,
        created_at__lt=end,
    )
    rollups = daily.reader(organisation, start, end, timezone.now())
    if rollups is not None:
        # The counts by sentiment from the daily rollups; hashtags (any campaign's, at any
        # time) still from the messages' text, only where a campaign has one.
        counted = _hashtag_counts(organisation, start, end, inbound, campaigns)
        rows: Iterable[dict[str, Any]] = [
            {
                "channel_id": channel,
                "total": total,
                "positive": positive,
                "negative": negative,
                "ugc": ugc,
            }
            for channel, (total, positive, negative, ugc) in rollups.mentions().items()
        ]
        if counted:
            rows = [*rows, {"channel_id": None, "total": 0, **counted}]
    else:
        rows = (
            inbound.values("channel_id")
            .annotate(
                total=Count("pk"),
                positive=Count("pk", filter=Q(sentiment__gte=POSITIVE_AT)),
                negative=Count("pk", filter=Q(sentiment__lte=NEGATIVE_AT)),
                ugc=Count("pk", filter=Q(kind=Kind.UGC)),
                **hashtags,
            )
            .order_by()
        )
    by_channel: dict[int, Mentions] = {}
    tagged: dict[int, int] = defaultdict(int)
    for row in rows:
        for campaign in campaigns:
            tagged[campaign.pk] += row.get(f"c{campaign.pk}", 0)
        if row["channel_id"] not in social_channels:
            continue
        by_channel[row["channel_id"]] = Mentions(
            total=row["total"],
            positive=row["positive"],
            negative=row["negative"],
            neutral=row["total"] - row["positive"] - row["negative"],
            ugc=row["ugc"],
        )
    parts = ("total", "positive", "neutral", "negative", "ugc")
    overall = Mentions(
        **{part: sum(getattr(m, part) for m in by_channel.values()) for part in parts}
    )
    return by_channel, overall, dict(tagged)


# The start of a hashtag that the full-text index can look up: ASCII letters and digits.
_INDEXED_START = re.compile(r"[A-Za-z0-9]+")
# The index's matches drive the loop (CROSS JOIN keeps them outside): the period's other
# messages are never read. The LIKE is the one Django writes for `text__icontains`.
_TAGGED = (
    "SELECT COUNT(*) FROM inbox_message_fts f CROSS JOIN inbox_message m ON m.id = f.rowid"
    " WHERE inbox_message_fts MATCH %s AND m.organisation_id = %s AND m.direction = %s"
    " AND m.created_at >= %s AND m.created_at < %s AND m.text LIKE %s ESCAPE '\\'"
)


def _hashtag_counts(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    inbound: QuerySet[Message],
    campaigns: list[Campaign],
) -> dict[str, int]:
    """Count the period's inbound messages carrying each campaign's hashtag ("#tag", any case).

    On SQLite the full-text index first finds the messages with a word that starts as
    the hashtag does (every text holding "#tag" has one, since "#" ends a word), and the
    same LIKE as `text__icontains` then decides on those alone, so the counts are exact
    without reading the text of every message of the period. A hashtag that starts with
    anything but an ASCII letter or digit is looked for in every message, as on PostgreSQL.
    """
    counts: dict[str, int] = {}
    scanned: dict[str, Count] = {}
    adapt = connection.ops.adapt_datetimefield_value
    for campaign in campaigns:
        if not campaign.hashtag:
            continue
        key = f"c{campaign.pk}"
        begins = _INDEXED_START.match(campaign.hashtag)
        if connection.vendor == "sqlite" and begins:
            like = "%" + connection.ops.prep_for_like_query("#" + campaign.hashtag) + "%"
            params: list[Any] = [
                f'"{begins.group(0).lower()}"*',
                organisation.pk,
                Direction.INBOUND,
                adapt(start),
                adapt(end),
                like,
            ]
            with connection.cursor() as cursor:
                cursor.execute(_TAGGED, params)
                counts[key] = cursor.fetchone()[0]
        else:
            scanned[key] = Count("pk", filter=Q(text__icontains="#" + campaign.hashtag))
    if scanned:
        counts.update(inbound.aggregate(**scanned))
    return counts


def _best_times(variants: QuerySet[Any], zone: Any) -> list[TimeSlot]:
    rows = (
        variants.annotate(
            weekday=ExtractIsoWeekDay("published_at", tzinfo=zone),
            hour=ExtractHour("published_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .annotate(n=Count("pk"), mean=Avg("m_engagement"))
        .order_by("weekday", "hour")
    )
    return [
        TimeSlot(row["weekday"], row["hour"], row["n"], float(row["mean"] or 0)) for row in rows
    ]


def _engagement_series(
    variants: QuerySet[Any], zone: Any, unit: str, period: tuple[dt.datetime, dt.datetime]
) -> list[tuple[dt.date, int]]:
    rows = buckets.by_local_day(
        variants, "published_at", zone, unit, period, [], {"engagement": Sum("m_engagement")}
    )
    return [(row["bucket"], row["engagement"] or 0) for row in rows]


def _running_campaigns(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> list[Campaign]:
    """Campaigns with posts in the period, or running in it with a hashtag to count."""
    with_posts = PostVariant.objects.filter(
        post__organisation=organisation,
        status=VariantStatus.PUBLISHED,
        published_at__gte=start,
        published_at__lt=end,
        post__campaign__isnull=False,
    ).values("post__campaign_id")
    running = Campaign.objects.filter(organisation=organisation).filter(
        Q(pk__in=with_posts)
        | (
            (Q(starts_on__isnull=True) | Q(starts_on__lt=end.date() + dt.timedelta(days=1)))
            & (Q(ends_on__isnull=True) | Q(ends_on__gte=start.date()))
            & ~Q(hashtag="")
            & Q(archived=False)
        )
    )
    return list(running.order_by("name"))


def _campaigns(
    variants: QuerySet[Any], campaigns: list[Campaign], hashtags: dict[int, int]
) -> list[CampaignResult]:
    totals = {
        row["post__campaign_id"]: row
        for row in variants.filter(post__campaign__isnull=False)
        .values("post__campaign_id")
        .annotate(n=Count("pk"), engagement=Sum("m_engagement"), impressions=Sum("m_impressions"))
    }
    results = []
    for campaign in campaigns:
        row = totals.get(campaign.pk, {})
        results.append(
            CampaignResult(
                key=str(campaign.public_id),
                name=campaign.name,
                kind=campaign.get_kind_display(),
                goal_metric=campaign.goal_metric,
                goal_target=campaign.goal_target,
                posts=row.get("n", 0),
                engagement=row.get("engagement") or 0,
                impressions=row.get("impressions"),
                ugc_items=hashtags.get(campaign.pk, 0),
            )
        )
    return results
