"""The content calendar: entries (events, promotions, milestones, dates, releases) beside posts.

Times are stored aware. An all-day entry starts at local midnight in the
organisation's time zone and, like iCalendar and the calendar widget, its end
is exclusive (the midnight after its last day); a single-day entry has no end.
The iCalendar feed is reached with a per-person secret in the URL, because
calendar apps cannot log in; only the secret's SHA-256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import icalendar
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.channels.models import Channel
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.publishing.models import (
    CalendarEntry,
    CalendarFeedToken,
    Campaign,
    EntryKind,
    Post,
    PostStatus,
)

FEED_TOKEN_PREFIX = "rcal_"
# The feed covers this window around today; calendar apps poll it every few hours.
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
# A post is a moment; calendars show it as a short block.
POST_BLOCK = dt.timedelta(minutes=30)

KIND_COLOURS: dict[str, str] = {
    EntryKind.EVENT: "#0e7490",
    EntryKind.PROMOTION: "#c2410c",
    EntryKind.MILESTONE: "#7c3aed",
    EntryKind.DATE: "#64748b",
    EntryKind.RELEASE: "#15803d",
}
PLATFORM_COLOURS = {"mastodon": "#6364ff", "bluesky": "#1185fe", "sandbox": "#0f766e"}
POST_COLOUR = "#4f6bed"
FAILED_COLOUR = "#b91c1c"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# Posts the team can still move by dragging them on the calendar.
MOVABLE_STATUSES = {
    PostStatus.DRAFT,
    PostStatus.IN_REVIEW,
    PostStatus.CHANGES_REQUESTED,
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
}
_ENTRY_FIELDS = (
    "kind",
    "title",
    "notes",
    "starts_at",
    "ends_at",
    "all_day",
    "campaign_id",
    "channel_id",
    "colour",
)


# --- Entries --------------------------------------------------------------------------------


def entries_visible_to(viewer: User) -> QuerySet[CalendarEntry]:
    """Return the organisation's calendar entries, if the viewer may see publishing."""
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing the content calendar.")
    return CalendarEntry.objects.filter(organisation_id=viewer.organisation_id)


def get_entry_for_user(viewer: User, public_id: str | uuid.UUID) -> CalendarEntry:
    try:
        wanted = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
        return (
            entries_visible_to(viewer)
            .select_related("campaign", "channel", "created_by")
            .get(public_id=wanted)
        )
    except (ValueError, CalendarEntry.DoesNotExist):
        raise NotFound("No such calendar entry.") from None


def _normalise_times(
    actor: User,
    starts_at: dt.datetime | dt.date,
    ends_at: dt.datetime | dt.date | None,
    all_day: bool,
) -> tuple[dt.datetime, dt.datetime | None]:
    zone = actor.organisation.zone

    def aware(value: dt.datetime | dt.date) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time.min, tzinfo=zone)
        if timezone.is_naive(value):
            return value.replace(tzinfo=zone)
        return value

    start = aware(starts_at)
    end = aware(ends_at) if ends_at is not None else None
    if all_day:
        start = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        if end is not None:
            local_end = end.astimezone(zone)
            midnight = local_end.replace(hour=0, minute=0, second=0, microsecond=0)
            # An end inside a day covers that whole day (ends are exclusive).
            end = midnight if local_end == midnight else midnight + dt.timedelta(days=1)
            if end <= start + dt.timedelta(days=1):
                end = None
    if end is not None and end < start:
        raise DomainError("The end is before the start.", code="invalid_range")
    if end is not None and end - start > dt.timedelta(days=366):
        raise DomainError("An entry may last at most a year.", code="invalid_range")
    return start, end


def _check_links(actor: User, campaign: Campaign | None, channel: Channel | None) -> None:
    if campaign is not None and campaign.organisation_id != actor.organisation_id:
        raise NotFound("No such campaign.")
    if channel is not None and channel.organisation_id != actor.organisation_id:
        raise NotFound("No such account.")


def _check_colour(colour: str) -> str:
    colour = (colour or "").strip()
    if colour and not _COLOUR.match(colour):
        raise DomainError("A colour is written #rrggbb.", code="invalid_colour")
    return colour.lower()


@transaction.atomic
def create_entry(
    actor: User,
    *,
    kind: str,
    title: str,
    starts_at: dt.datetime | dt.date,
    ends_at: dt.datetime | dt.date | None = None,
    all_day: bool = False,
    notes: str = "",
    campaign: Campaign | None = None,
    channel: Channel | None = None,
    colour: str = "",
) -> CalendarEntry:
    """Put an entry on the calendar; return it."""
    require(actor, Cap.PUBLISHING_WORK)
    if kind not in EntryKind.values:
        raise DomainError(f"Unknown entry kind “{kind}”.", code="invalid_kind")
    if not title.strip():
        raise DomainError("An entry needs a title.", code="title_required")
    _check_links(actor, campaign, channel)
    start, end = _normalise_times(actor, starts_at, ends_at, all_day)
    entry = CalendarEntry.objects.create(
        organisation_id=actor.organisation_id,
        kind=kind,
        title=title.strip()[:200],
        notes=notes.strip(),
        starts_at=start,
        ends_at=end,
        all_day=all_day,
        campaign=campaign,
        channel=channel,
        colour=_check_colour(colour),
        created_by=actor,
    )
    audit.record(
        actor, "calendar_entry.created", entry, changes=audit.snapshot(entry, _ENTRY_FIELDS)
    )
    return entry


_UNSET: Any = object()


@transaction.atomic
def update_entry(
    actor: User,
    entry: CalendarEntry,
    *,
    kind: str = _UNSET,
    title: str = _UNSET,
    starts_at: dt.datetime | dt.date = _UNSET,
    ends_at: dt.datetime | dt.date | None = _UNSET,
    all_day: bool = _UNSET,
    notes: str = _UNSET,
    campaign: Campaign | None = _UNSET,
    channel: Channel | None = _UNSET,
    colour: str = _UNSET,
) -> CalendarEntry:
    """Change an entry; only the fields given change."""
    require(actor, Cap.PUBLISHING_WORK)
    before = audit.snapshot(entry, _ENTRY_FIELDS)
    if kind is not _UNSET:
        if kind not in EntryKind.values:
            raise DomainError(f"Unknown entry kind “{kind}”.", code="invalid_kind")
        entry.kind = kind
    if title is not _UNSET:
        if not title.strip():
            raise DomainError("An entry needs a title.", code="title_required")
        entry.title = title.strip()[:200]
    if notes is not _UNSET:
        entry.notes = notes.strip()
    if campaign is not _UNSET:
        _check_links(actor, campaign, None)
        entry.campaign = campaign
    if channel is not _UNSET:
        _check_links(actor, None, channel)
        entry.channel = channel
    if colour is not _UNSET:
        entry.colour = _check_colour(colour)
    if all_day is not _UNSET:
        entry.all_day = all_day
    start = entry.starts_at if starts_at is _UNSET else starts_at
    end = entry.ends_at if ends_at is _UNSET else ends_at
    entry.starts_at, entry.ends_at = _normalise_times(actor, start, end, entry.all_day)
    entry.save()
    changes = audit.diff(before, audit.snapshot(entry, _ENTRY_FIELDS))
    if changes:
        audit.record(actor, "calendar_entry.updated", entry, changes=changes)
    return entry


def move_entry(
    actor: User,
    entry: CalendarEntry,
    *,
    starts_at: dt.datetime | dt.date,
    ends_at: dt.datetime | dt.date | None,
    all_day: bool,
) -> CalendarEntry:
    """Move (or resize) an entry, as dragging it on the calendar does."""
    return update_entry(actor, entry, starts_at=starts_at, ends_at=ends_at, all_day=all_day)


@transaction.atomic
def delete_entry(actor: User, entry: CalendarEntry) -> None:
    """Take an entry off the calendar."""
    require(actor, Cap.PUBLISHING_WORK)
    audit.record(
        actor, "calendar_entry.deleted", entry, changes=audit.snapshot(entry, _ENTRY_FIELDS)
    )
    entry.delete()


def move_post(actor: User, post: Post, *, at: dt.datetime) -> Post:
    """Move a post to another time by dragging it; the posts service applies its rules."""
    from rapport.publishing import services

    if post.status not in MOVABLE_STATUSES:
        raise DomainError(
            f"A {post.get_status_display().lower()} post cannot be moved.", code="not_movable"
        )
    return services.reschedule_post(actor, post, at=at)


# --- What the calendar shows ----------------------------------------------------------------


@dataclass(frozen=True)
class CalendarFilters:
    campaign: str = ""  # a campaign's public id
    channel: str = ""  # an account's (channel's) public id
    kind: str = ""  # an entry kind, or "post"
    colour_by: str = "campaign"  # or "platform"


@dataclass
class CalendarItem:
    """One thing on the calendar, entry or post, in the shape the widget and the feed need."""

    uid: str
    type: str  # "entry" or "post"
    public_id: str
    title: str
    start: dt.datetime
    end: dt.datetime | None
    all_day: bool
    colour: str
    kind: str
    status: str = ""
    status_label: str = ""
    url: str = ""
    campaign: str = ""
    accounts: str = ""
    notes: str = ""
    editable: bool = False
    failed: bool = False


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def calendar_items(
    viewer: User,
    *,
    start: dt.datetime,
    end: dt.datetime,
    filters: CalendarFilters = CalendarFilters(),
) -> list[CalendarItem]:
    """Return the entries and posts between start and end; three queries whatever the count."""
    can_move = viewer.can(Cap.PUBLISHING_WORK)
    items: list[CalendarItem] = []
    campaign_id = _uuid_or_none(filters.campaign)
    channel_id = _uuid_or_none(filters.channel)
    if filters.kind in ("", *EntryKind.values):
        entries = entries_visible_to(viewer).filter(
            Q(starts_at__lt=end)
            & (Q(ends_at__gt=start) | Q(ends_at__isnull=True, starts_at__gte=start))
        )
        if filters.kind:
            entries = entries.filter(kind=filters.kind)
        if campaign_id:
            entries = entries.filter(campaign__public_id=campaign_id)
        if channel_id:
            entries = entries.filter(channel__public_id=channel_id)
        for entry in entries.select_related("campaign", "channel")[:2000]:
            items.append(_entry_item(entry, filters, can_move))
    if filters.kind in ("", "post"):
        items.extend(_post_items(viewer, start, end, campaign_id, channel_id, filters, can_move))
    items.sort(key=lambda item: item.start)
    return items


def _entry_item(entry: CalendarEntry, filters: CalendarFilters, can_move: bool) -> CalendarItem:
    colour = entry.colour
    if not colour and filters.colour_by == "platform" and entry.channel is not None:
        colour = PLATFORM_COLOURS.get(entry.channel.kind, "")
    if not colour and entry.campaign is not None:
        colour = entry.campaign.colour
    return CalendarItem(
        uid=f"entry-{entry.public_id}",
        type="entry",
        public_id=str(entry.public_id),
        title=entry.title,
        start=entry.starts_at,
        end=entry.ends_at,
        all_day=entry.all_day,
        colour=colour or KIND_COLOURS.get(entry.kind, POST_COLOUR),
        kind=entry.kind,
        status_label=entry.get_kind_display(),
        url=reverse("publishing:entry_detail", args=[entry.public_id]),
        campaign=entry.campaign.name if entry.campaign else "",
        accounts=entry.channel.name if entry.channel else "",
        notes=entry.notes,
        editable=can_move,
    )


def _post_items(
    viewer: User,
    start: dt.datetime,
    end: dt.datetime,
    campaign_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
    filters: CalendarFilters,
    can_move: bool,
) -> list[CalendarItem]:
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing posts.")
    posts = (
        Post.objects.filter(organisation_id=viewer.organisation_id)
        .exclude(status=PostStatus.CANCELLED)
        .filter(
            Q(published_at__gte=start, published_at__lt=end)
            | Q(published_at__isnull=True, scheduled_at__gte=start, scheduled_at__lt=end)
        )
    )
    if campaign_id:
        posts = posts.filter(campaign__public_id=campaign_id)
    if channel_id:
        posts = posts.filter(variants__channel__public_id=channel_id).distinct()
    posts = posts.select_related("campaign").prefetch_related("variants__channel")
    now = timezone.now()
    items = []
    for post in posts[:2000]:
        at = post.published_at or post.scheduled_at
        assert at is not None  # the filter above guarantees one of them
        channels = [v.channel for v in post.variants.all()]
        failed = post.status == PostStatus.FAILED or any(
            v.status == "failed" for v in post.variants.all()
        )
        colour = ""
        if filters.colour_by == "platform" and channels:
            colour = PLATFORM_COLOURS.get(channels[0].kind, "")
        elif post.campaign is not None:
            colour = post.campaign.colour
        label = post.title or (post.variants.all()[0].text[:60] if channels else "Post")
        items.append(
            CalendarItem(
                uid=f"post-{post.public_id}",
                type="post",
                public_id=str(post.public_id),
                title=label,
                start=at,
                end=at + POST_BLOCK,
                all_day=False,
                colour=FAILED_COLOUR if failed else (colour or POST_COLOUR),
                kind="post",
                status=post.status,
                status_label=post.get_status_display(),
                url=reverse("publishing:post_detail", args=[post.public_id]),
                campaign=post.campaign.name if post.campaign else "",
                accounts=", ".join(c.name for c in channels),
                editable=can_move
                and post.status in MOVABLE_STATUSES
                and post.published_at is None
                and (post.scheduled_at is None or post.scheduled_at > now),
                failed=failed,
            )
        )
    return items


def as_widget_event(item: CalendarItem, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """Return the item as a FullCalendar event object."""
    if item.all_day:
        start: str = item.start.astimezone(zone).date().isoformat()
        end = item.end.astimezone(zone).date().isoformat() if item.end else None
    else:
        start = item.start.isoformat()
        end = item.end.isoformat() if item.end else None
    classes = [f"cal-{item.type}", f"cal-kind-{item.kind}"]
    if item.status:
        classes.append(f"cal-status-{item.status}")
    if item.failed:
        classes.append("cal-failed")
    return {
        "id": item.uid,
        "title": ("⚠ " if item.failed else "") + item.title,
        "start": start,
        "end": end,
        "allDay": item.all_day,
        "url": item.url,
        "backgroundColor": item.colour,
        "borderColor": item.colour,
        "editable": item.editable,
        "durationEditable": item.editable and item.type == "entry",
        "classNames": classes,
        "extendedProps": {
            "type": item.type,
            "publicId": item.public_id,
            "kind": item.kind,
            "status": item.status,
            "statusLabel": item.status_label,
            "campaign": item.campaign,
            "accounts": item.accounts,
        },
    }


# --- The iCalendar feed ---------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_feed_token(actor: User) -> tuple[CalendarFeedToken, str]:
    """Give the actor a new feed secret (revoking the old one); return it with its plaintext."""
    if not actor.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing the content calendar.")
    now = timezone.now()
    CalendarFeedToken.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = CalendarFeedToken.objects.create(user=actor, token_hash=_hash(raw), created_at=now)
    audit.record(actor, "calendar_feed.token_created", token, organisation=actor.organisation)
    return token, raw


@transaction.atomic
def revoke_feed_tokens(actor: User) -> int:
    """Stop the actor's feed URL from working; return how many secrets were revoked."""
    revoked = CalendarFeedToken.objects.filter(user=actor, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(
            actor,
            "calendar_feed.token_revoked",
            None,
            organisation=actor.organisation,
            object_type="calendar_feed",
            object_id=str(actor.public_id),
        )
    return revoked


def active_feed_token(user: User) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()


def user_for_feed_token(raw: str) -> User:
    """Return the person whose live feed secret this is, or raise NotFound."""
    if not raw.startswith(FEED_TOKEN_PREFIX) or len(raw) > 100:
        raise NotFound("No such calendar feed.")
    token = (
        CalendarFeedToken.objects.select_related("user", "user__organisation")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or not token.user.can(Cap.PUBLISHING_VIEW):
        raise NotFound("No such calendar feed.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=10):
        CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def ical_feed(user: User, *, base_url: str, now: dt.datetime | None = None) -> bytes:
    """Return the user's calendar (entries and posts) as an iCalendar document."""
    now = now or timezone.now()
    zone = user.organisation.zone
    items = calendar_items(
        user,
        start=now - dt.timedelta(days=FEED_PAST_DAYS),
        end=now + dt.timedelta(days=FEED_FUTURE_DAYS),
    )
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Rapport//Content calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{user.organisation.name} content calendar")
    cal.add("x-wr-timezone", str(zone))
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for item in items:
        cal.add_component(_vevent(item, zone, base_url, now))
    return cal.to_ical()


def _vevent(
    item: CalendarItem, zone: zoneinfo.ZoneInfo, base_url: str, now: dt.datetime
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{item.uid}@rapport")
    event.add("dtstamp", now)
    prefix = "Post" if item.type == "post" else item.status_label
    if item.failed:
        prefix = "FAILED post"
    event.add("summary", f"{prefix}: {item.title}")
    if item.all_day:
        first = item.start.astimezone(zone).date()
        event.add("dtstart", first)
        last = item.end.astimezone(zone).date() if item.end else first + dt.timedelta(days=1)
        event.add("dtend", last)
    else:
        event.add("dtstart", item.start)
        event.add("dtend", item.end or item.start + POST_BLOCK)
    lines = []
    if item.type == "post":
        lines.append(f"Status: {item.status_label}")
        if item.accounts:
            lines.append(f"Accounts: {item.accounts}")
    if item.campaign:
        lines.append(f"Campaign: {item.campaign}")
    if item.notes:
        lines.append(item.notes)
    if lines:
        event.add("description", "\n".join(lines))
    event.add("categories", [item.status_label if item.type == "entry" else "Post"])
    if item.url:
        event.add("url", base_url.rstrip("/") + item.url)
    if item.type == "post" and item.status in ("draft", "in_review", "changes_requested"):
        event.add("status", "TENTATIVE")
    else:
        event.add("status", "CONFIRMED")
    return event


def campaigns_for_filter(viewer: User) -> list[Campaign]:
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing campaigns.")
    return list(
        Campaign.objects.filter(organisation_id=viewer.organisation_id, archived=False).order_by(
            "name"
        )
    )


def social_accounts(viewer: User) -> list[Channel]:
    """Return the organisation's social accounts (channels that can publish)."""
    return list(
        Channel.objects.filter(
            organisation_id=viewer.organisation_id,
            is_active=True,
            kind__in=list(PLATFORM_COLOURS),
        ).order_by("name")
    )


def entry_kinds() -> Iterable[tuple[str, str]]:
    return EntryKind.choices
