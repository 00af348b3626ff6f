"""Reads of channels that depend on who is asking."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, QuerySet
from django.utils import timezone

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.channels import registry
from rapport.channels.models import Channel
from rapport.inbox.models import Direction, Message
from rapport.lib import crypto
from rapport.lib.errors import NotAllowed, NotFound


def channels_visible_to(viewer: User) -> QuerySet[Channel]:
    """Return the organisation's channels (not removed ones), if the viewer may see channels."""
    if not viewer.can(Cap.CHANNELS_VIEW):
        raise NotAllowed("Your role does not allow seeing channels.")
    return Channel.objects.filter(organisation_id=viewer.organisation_id, is_active=True)


def get_channel_for_user(viewer: User, public_id: str | uuid.UUID) -> Channel:
    try:
        wanted = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
        return channels_visible_to(viewer).select_related("organisation").get(public_id=wanted)
    except (ValueError, Channel.DoesNotExist):
        raise NotFound("No such channel.") from None


def start_of_today(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """Return local midnight today in the organisation's time zone."""
    local = (now or timezone.now()).astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def with_messages_today(channels: Iterable[Channel], viewer: User) -> list[Channel]:
    """Set `messages_today` (inbound messages since local midnight) on each channel; one query."""
    channels = list(channels)
    since = start_of_today(viewer.organisation.zone)
    counts = dict(
        Message.objects.filter(
            channel_id__in=[c.pk for c in channels],
            direction=Direction.INBOUND,
            created_at__gte=since,
        )
        .values("channel_id")
        .annotate(n=Count("id"))
        .values_list("channel_id", "n")
    )
    for channel in channels:
        channel.messages_today = counts.get(channel.pk, 0)  # type: ignore[attr-defined]
    return channels


def secret_names(channel: Channel) -> list[str]:
    """Return which secrets the channel holds (never their values); [] when unreadable."""
    try:
        return sorted(registry.secrets_of(channel))
    except (crypto.SecretUnreadable, ImproperlyConfigured):
        return []
