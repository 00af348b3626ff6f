"""State changes for channels: configure, pause, remove, check, sync, receive and deliver.

Admin-facing services take the acting user first, check rights, run in a
transaction and write the audit log, which names the secrets that changed but
never their values. The worker-facing ones (`sync_channel`, `deliver_message`)
take ids and claim their row with a conditional UPDATE that only one worker
can win, so several workers never sync one channel or send one reply at once.

Exactly once, inbound: the cursor is saved in the same transaction as the
messages, so a crash anywhere before the commit re-fetches from the old cursor
and ingest's dedupe on (channel, external id) absorbs what was seen before.

Exactly once, outbound: every reply carries its idempotency key to the
platform. An attempt that timed out has an unknown outcome; before trying
again we look for our own post on the platform and, where it is there, record
it instead of posting again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import secrets as secrets_module
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Cap, Role
from rapport.accounts.services import require
from rapport.channels import registry, silence
from rapport.channels.models import Channel, ChannelHealth, ChannelKind, Delivery
from rapport.connectors import webhook
from rapport.connectors.base import (
    AuthRequired,
    ConnectorError,
    Permanent,
    PostResult,
    RateLimited,
    ReplyTarget,
    Transient,
)
from rapport.connectors.events import EventKind, InboundEvent
from rapport.customers.models import Identity
from rapport.inbox.models import Conversation, DeliveryStatus, Direction, Message, Notification
from rapport.inbox.services import IngestResult, ingest
from rapport.lib import crypto
from rapport.lib.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

FETCH_LIMIT = 200
# A claimed sync that has not finished after this long is claimable again: its worker died.
SYNC_LEASE = dt.timedelta(minutes=5)
# Failed syncs in a row before the channel is flagged and the admins are told.
FAILURES_BEFORE_DEGRADED = 5
MAX_BACKOFF = dt.timedelta(hours=1)
MIN_INTERVAL_SECONDS = 10
# A reply claimed for sending and not finished after this long: its worker died mid-call.
DELIVERY_LEASE = dt.timedelta(minutes=5)
MAX_DELIVERY_ATTEMPTS = 8
DELIVERY_RETRY_BASE = dt.timedelta(seconds=30)

_AUDITED_FIELDS = ("name", "kind", "is_public", "config", "sync_interval_seconds")


# --- Configuration -------------------------------------------------------------------


def _clean_config(kind: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = registry.SPECS[kind]
    config = dict(config or {})
    unknown = sorted(set(config) - set(spec.config))
    if unknown:
        raise DomainError(
            f"Unknown settings for a {ChannelKind(kind).label} channel: {', '.join(unknown)}.",
            code="unknown_config",
        )
    for name in ("base_url", "url"):
        value = str(config.get(name) or "").strip()
        if value and not value.startswith(("https://", "http://")):
            raise DomainError(f"{name} must start with https:// or http://.", code="bad_url")
        if value:
            config[name] = value.rstrip("/") if name == "base_url" else value
    if "hashtags" in config:
        tags = config["hashtags"]
        if isinstance(tags, str):
            tags = tags.replace(",", " ").split()
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise DomainError("hashtags must be a list of words.", code="bad_hashtags")
        config["hashtags"] = [t.lstrip("#").strip() for t in tags if t.strip("# ")]
    return config


def _check_complete(kind: str, config: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
    spec = registry.SPECS[kind]
    missing = [name for name in spec.required_config if not str(config.get(name) or "").strip()]
    missing += [name for name in spec.required_secrets if not secrets.get(name)]
    if missing:
        raise DomainError(
            f"A {ChannelKind(kind).label} channel needs: {', '.join(missing)}.",
            code="missing_settings",
            details=missing,
        )


def _clean_secrets(kind: str, secrets: Mapping[str, str] | None) -> dict[str, str]:
    spec = registry.SPECS[kind]
    secrets = {k: str(v) for k, v in (secrets or {}).items()}
    unknown = sorted(set(secrets) - set(spec.secrets))
    if unknown:
        raise DomainError(
            f"Unknown secrets for a {ChannelKind(kind).label} channel: {', '.join(unknown)}.",
            code="unknown_secret",
        )
    return secrets


def _check_name(organisation_id: int, name: str, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise DomainError("A channel needs a name.", code="name_required")
    clash = Channel.objects.filter(organisation_id=organisation_id, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise Conflict(f"There is already a channel called {name!r}.", code="name_taken")
    return name[:100]


def _check_interval(seconds: int) -> int:
    if seconds < MIN_INTERVAL_SECONDS or seconds > 86400:
        raise DomainError(
            f"The sync interval must be between {MIN_INTERVAL_SECONDS} seconds and a day.",
            code="bad_interval",
        )
    return seconds


@dataclass
class CreatedChannel:
    channel: Channel
    # The webhook signing secret when Rapport generated it: shown once, never again.
    webhook_secret: str = ""


@transaction.atomic
def create_channel(
    actor: User | None,
    *,
    name: str,
    kind: str,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    is_public: bool | None = None,
    sync_interval_seconds: int = 60,
    organisation: Organisation | None = None,
    now: dt.datetime | None = None,
) -> CreatedChannel:
    """Add a channel to the actor's organisation (admins); `actor=None` is for setup code.

    A webhook channel without a signing secret gets a generated one, returned
    once in the result.
    """
    if actor is not None:
        require(actor, Cap.CHANNELS_MANAGE)
        organisation = actor.organisation
    assert organisation is not None
    if kind not in ChannelKind.values:
        raise DomainError(f"Unknown channel kind {kind!r}.", code="unknown_kind")
    name = _check_name(organisation.pk, name)
    config = _clean_config(kind, config)
    secrets = _clean_secrets(kind, secrets)
    generated = ""
    if kind == ChannelKind.WEBHOOK and not secrets.get("webhook_secret"):
        generated = secrets["webhook_secret"] = f"whsec_{secrets_module.token_urlsafe(32)}"
    _check_complete(kind, config, secrets)
    now = now or timezone.now()
    channel = Channel.objects.create(
        organisation=organisation,
        name=name,
        kind=kind,
        is_public=registry.SPECS[kind].public if is_public is None else is_public,
        config=config,
        secrets_encrypted=crypto.encrypt_json(secrets),
        sync_interval_seconds=_check_interval(sync_interval_seconds),
        next_sync_at=now if kind in registry.FETCHING_KINDS else None,
    )
    audit.record(
        actor,
        "channel.create",
        channel,
        organisation=organisation,
        changes={
            **{
                field: [None, value]
                for field, value in audit.snapshot(channel, _AUDITED_FIELDS).items()
            },
            "secrets": [None, sorted(secrets)],
        },
    )
    return CreatedChannel(channel, generated)


@transaction.atomic
def update_channel(
    actor: User | None,
    channel: Channel,
    *,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    is_public: bool | None = None,
    sync_interval_seconds: int | None = None,
    now: dt.datetime | None = None,
) -> Channel:
    """Change a channel's settings (admins); named secrets are replaced, others kept.

    New credentials or settings clear a failure state and schedule a sync now.
    `actor=None` is for setup code (the demo seed).
    """
    if actor is not None:
        require(actor, Cap.CHANNELS_MANAGE)
    channel = _locked(actor, channel)
    before = audit.snapshot(channel, _AUDITED_FIELDS)
    if name is not None:
        channel.name = _check_name(channel.organisation_id, name, exclude=channel.pk)
    if config is not None:
        channel.config = _clean_config(channel.kind, {**channel.config, **config})
    stored = registry.secrets_of(channel) if secrets else {}
    changed_secrets: list[str] = []
    if secrets:
        given = _clean_secrets(channel.kind, secrets)
        changed_secrets = sorted(k for k, v in given.items() if stored.get(k) != v)
        stored.update(given)
        channel.secrets_encrypted = crypto.encrypt_json({k: v for k, v in stored.items() if v})
    if is_public is not None:
        channel.is_public = is_public
    if sync_interval_seconds is not None:
        channel.sync_interval_seconds = _check_interval(sync_interval_seconds)
    if secrets or config is not None:
        _check_complete(channel.kind, channel.config, stored or registry.secrets_of(channel))
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(channel, _AUDITED_FIELDS))
    if changed_secrets:
        changes["secrets"] = [None, changed_secrets]
    if (changed_secrets or "config" in changes) and not channel.is_paused:
        # Someone fixed the settings: try again at once, from a clean slate.
        channel.health = ChannelHealth.OK
        channel.failure_count = 0
        if channel.kind in registry.FETCHING_KINDS:
            channel.next_sync_at = now or timezone.now()
    channel.save()
    if changes:
        audit.record(actor, "channel.update", channel, changes=changes)
    return channel


@transaction.atomic
def pause_channel(actor: User, channel: Channel, *, now: dt.datetime | None = None) -> Channel:
    """Stop syncing a channel until it is resumed (admins); replies wait too."""
    require(actor, Cap.CHANNELS_MANAGE)
    channel = _locked(actor, channel)
    if channel.is_paused:
        return channel
    before = channel.health
    channel.paused_at = now or timezone.now()
    channel.health = ChannelHealth.PAUSED
    channel.next_sync_at = None
    channel.save()
    audit.record(actor, "channel.pause", channel, changes={"health": [before, channel.health]})
    return channel


@transaction.atomic
def resume_channel(actor: User, channel: Channel, *, now: dt.datetime | None = None) -> Channel:
    """Start syncing a paused (or failing) channel again now (admins)."""
    require(actor, Cap.CHANNELS_MANAGE)
    channel = _locked(actor, channel)
    before = channel.health
    channel.paused_at = None
    channel.resumed_at = now or timezone.now()
    channel.health = ChannelHealth.OK
    channel.failure_count = 0
    channel.next_sync_at = (
        (now or timezone.now()) if channel.kind in registry.FETCHING_KINDS else None
    )
    channel.save()
    audit.record(actor, "channel.resume", channel, changes={"health": [before, channel.health]})
    return channel


@transaction.atomic
def remove_channel(actor: User, channel: Channel, *, now: dt.datetime | None = None) -> None:
    """Remove a channel (admins); its stored credentials are destroyed.

    A channel whose conversations are still in the inbox is archived rather
    than deleted, so the history stays readable; its name is freed for reuse.
    """
    require(actor, Cap.CHANNELS_MANAGE)
    channel = _locked(actor, channel)
    label = str(channel)
    if not Conversation.objects.filter(channel=channel).exists():
        audit.record(actor, "channel.remove", channel, changes={"archived": [None, False]})
        channel.delete()
        return
    now = now or timezone.now()
    suffix = f" (removed {now:%Y-%m-%d} {channel.public_id.hex[:6]})"
    channel.name = f"{channel.name[: 100 - len(suffix)]}{suffix}"
    channel.is_active = False
    channel.secrets_encrypted = ""
    channel.paused_at = now
    channel.health = ChannelHealth.PAUSED
    channel.next_sync_at = None
    channel.save()
    audit.record(
        actor,
        "channel.remove",
        channel,
        object_label=label,
        changes={"archived": [None, True]},
    )


def _locked(actor: User | None, channel: Channel) -> Channel:
    found = Channel.objects.select_for_update().filter(pk=channel.pk, is_active=True).first()
    if found is None or (actor is not None and found.organisation_id != actor.organisation_id):
        raise NotFound("No such channel.")
    return found


# --- Check connection -------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def check_connection(actor: User, channel: Channel) -> ConnectionCheck:
    """Try the channel's credentials against its platform now; say what happened (admins)."""
    require(actor, Cap.CHANNELS_MANAGE)
    if channel.organisation_id != actor.organisation_id:
        raise NotFound("No such channel.")
    result = _check(channel)
    audit.record(actor, "channel.check", channel, changes={"ok": [None, result.ok]})
    return result


def _check(channel: Channel) -> ConnectionCheck:
    if channel.kind == ChannelKind.WEBHOOK:
        path = reverse("channels:webhook", args=[channel.public_id])
        return ConnectionCheck(True, f"Waiting for signed POST requests at {path}.")
    if channel.kind == ChannelKind.WEBFORM:
        path = reverse("channels:contact", args=[channel.organisation.slug])
        return ConnectionCheck(True, f"The contact form is open at {path}.")
    if channel.kind not in registry.FETCHING_KINDS:
        return ConnectionCheck(True, "Nothing to connect to: agents log these by hand.")
    connector = None
    try:
        connector = registry.build_connector(channel)
        me = getattr(connector, "me", None)
        if callable(me):
            account = me()
            handle = account.get("acct") or account.get("username") or "?"
            return ConnectionCheck(True, f"Connected as @{handle}.")
        fetched = connector.fetch(channel.cursor or None, limit=1)
        return ConnectionCheck(True, f"Connected; {len(fetched.events)} new item(s) waiting.")
    except RateLimited as exc:
        return ConnectionCheck(False, f"The platform asks us to wait until {exc.reset_at:%H:%M}.")
    except AuthRequired as exc:
        return ConnectionCheck(False, f"The credentials were refused: {exc.message}")
    except ConnectorError as exc:
        return ConnectionCheck(False, exc.message)
    except crypto.SecretUnreadable as exc:
        return ConnectionCheck(False, str(exc))
    finally:
        registry.close(connector)


# --- Sync ----------------------------------------------------------------------------------


def claim_sync(channel_id: int, *, now: dt.datetime | None = None) -> Channel | None:
    """Claim a due sync of the channel for this worker; None when not due or taken.

    The claim moves `next_sync_at` a lease ahead with a conditional UPDATE on
    the value we read: of two workers, only one can match it.
    """
    now = now or timezone.now()
    channel = (
        Channel.objects.select_related("organisation")
        .filter(pk=channel_id, is_active=True, paused_at__isnull=True, next_sync_at__lte=now)
        .first()
    )
    if channel is None:
        return None
    won = Channel.objects.filter(pk=channel.pk, next_sync_at=channel.next_sync_at).update(
        next_sync_at=now + SYNC_LEASE
    )
    if won != 1:
        # Nothing got updated: another worker claimed this sync first.
        return None
    channel.next_sync_at = now + SYNC_LEASE
    return channel


def sync_channel(channel_id: int, *, now: dt.datetime | None = None) -> str:
    """Fetch what is new on a due channel and ingest it; return what happened.

    "skipped" (not due, paused, or another worker has it), "synced",
    "rate_limited", "retrying", "auth_required" or "failed".
    """
    now = now or timezone.now()
    channel = claim_sync(channel_id, now=now)
    if channel is None:
        return "skipped"
    connector = None
    try:
        connector = registry.build_connector(channel)
        result = connector.fetch(channel.cursor or None, limit=FETCH_LIMIT)
        with transaction.atomic():
            ingested = ingest(
                channel,
                result.events,
                cursor=result.next_cursor,
                attachments=result.attachments,
                now=now,
            )
            _record_success(
                channel,
                now,
                full_page=len(result.events) >= FETCH_LIMIT,
                traffic=ingested.created > 0,
            )
        return "synced"
    except RateLimited as exc:
        _record_rate_limit(channel, now, exc)
        return "rate_limited"
    except (AuthRequired, crypto.SecretUnreadable) as exc:
        _record_auth_required(channel, now, str(exc))
        return "auth_required"
    except Permanent as exc:
        _record_failure(channel, now, exc.message, permanent=True)
        return "failed"
    except Transient as exc:
        _record_failure(channel, now, exc.message)
        return "retrying"
    except Exception as exc:
        # A bug or an unexpected failure: nothing was committed, so the next sync re-fetches.
        logger.exception("sync of channel %s failed", channel.pk)
        _record_failure(channel, now, f"Unexpected error: {exc.__class__.__name__}: {exc}")
        return "retrying"
    finally:
        registry.close(connector)


def _schedule(channel: Channel) -> QuerySet[Channel]:
    # Only a channel still active and not paused meanwhile by an admin: a pause wins.
    return Channel.objects.filter(pk=channel.pk, is_active=True, paused_at__isnull=True)


def _record_success(channel: Channel, now: dt.datetime, *, full_page: bool, traffic: bool) -> None:
    # A silent channel stays flagged until a customer message arrives; the
    # silence check (check_silent_channels) decides when it goes quiet.
    silent = channel.health == ChannelHealth.SILENT and not traffic
    health = ChannelHealth.SILENT if silent else ChannelHealth.OK
    # A full page means more is waiting: come back at once.
    next_sync = now if full_page else now + dt.timedelta(seconds=channel.sync_interval_seconds)
    updated = _schedule(channel).update(
        health=health,
        failure_count=0,
        last_success_at=now,
        next_sync_at=next_sync,
        updated_at=now,
    )
    if updated and health != channel.health:
        _health_changed(channel, channel.health, health)


def _record_rate_limit(channel: Channel, now: dt.datetime, exc: RateLimited) -> None:
    reset = max(exc.reset_at, now)
    wait = (reset - now).total_seconds()
    # Jitter, so that every channel on one platform does not come back in the same second.
    jitter = dt.timedelta(seconds=random.uniform(1, 5 + wait * 0.1))
    _schedule(channel).update(
        next_sync_at=reset + jitter,
        last_error=f"Rate limited until {reset:%Y-%m-%d %H:%M:%S} UTC: {exc.message}"[:2000],
        last_error_at=now,
        updated_at=now,
    )


def backoff(interval_seconds: int, failures: int) -> dt.timedelta:
    """Return the wait before retry number `failures`: doubling from the interval, jittered."""
    base = min(interval_seconds * 2 ** max(0, failures - 1), MAX_BACKOFF.total_seconds())
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


def _record_failure(
    channel: Channel, now: dt.datetime, message: str, *, permanent: bool = False
) -> None:
    failures = channel.failure_count + 1
    degraded = permanent or failures >= FAILURES_BEFORE_DEGRADED
    health = ChannelHealth.DEGRADED if degraded else channel.health
    # A refusal that will not pass by itself is retried rarely, in case a person fixes it.
    wait = MAX_BACKOFF if permanent else backoff(channel.sync_interval_seconds, failures)
    updated = _schedule(channel).update(
        failure_count=failures,
        health=health,
        next_sync_at=now + wait,
        last_error=message[:2000],
        last_error_at=now,
        updated_at=now,
    )
    if updated and health != channel.health:
        _health_changed(channel, channel.health, health, reason=message)


def _record_auth_required(channel: Channel, now: dt.datetime, message: str) -> None:
    # The stored credentials stay: they may work again (a platform hiccup), and the
    # admin sees which account to reconnect. Syncing stops until someone acts.
    updated = _schedule(channel).update(
        health=ChannelHealth.AUTH_REQUIRED,
        next_sync_at=None,
        last_error=message[:2000],
        last_error_at=now,
        updated_at=now,
    )
    if updated and channel.health != ChannelHealth.AUTH_REQUIRED:
        _health_changed(channel, channel.health, ChannelHealth.AUTH_REQUIRED, reason=message)


_HEALTH_TEXT: dict[str, str] = {
    ChannelHealth.AUTH_REQUIRED: "needs to be reconnected: its credentials were refused",
    ChannelHealth.DEGRADED: "keeps failing",
    ChannelHealth.SILENT: "has been silent for much longer than usual",
    ChannelHealth.OK: "is working again",
}


def _health_changed(channel: Channel, before: str, after: str, *, reason: str = "") -> None:
    """Record a health change and tell the organisation's admins when it needs them."""
    audit.record(
        None,
        "channel.health",
        channel,
        organisation=channel.organisation,
        changes={"health": [before, after]},
    )
    if after == ChannelHealth.OK and before not in (
        ChannelHealth.DEGRADED,
        ChannelHealth.AUTH_REQUIRED,
    ):
        return
    text = f"Channel “{channel.name}” {_HEALTH_TEXT.get(after, after)}"
    if reason and after != ChannelHealth.OK:
        text += f": {reason}"
    notify_admins(channel.organisation_id, text, kind="channel_health")


def notify_admins(organisation_id: int, text: str, *, kind: str) -> int:
    """Notify every active admin of the organisation; return how many were told."""
    now = timezone.now()
    admins = User.objects.filter(
        organisation_id=organisation_id, role=Role.ADMIN, is_active=True
    ).values_list("pk", flat=True)
    made = Notification.objects.bulk_create(
        [Notification(user_id=pk, kind=kind, text=text[:300], created_at=now) for pk in admins]
    )
    return len(made)


def due_channel_ids(now: dt.datetime | None = None, *, limit: int = 500) -> list[int]:
    """Return the ids of channels whose sync is due, the longest-waiting first."""
    now = now or timezone.now()
    return list(
        Channel.objects.filter(is_active=True, paused_at__isnull=True, next_sync_at__lte=now)
        .order_by("next_sync_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Silence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SilenceCheck:
    flagged: int = 0
    cleared: int = 0


def check_silent_channels(now: dt.datetime | None = None) -> SilenceCheck:
    """Flag every channel gone quiet far beyond its normal traffic; clear those that woke up.

    Every kind is judged the same way from its stored messages, so a webhook
    or a form that stops posting is caught as surely as a polled account.
    Failing and unauthorised channels keep their own, louder flag. The admins
    are told once per silence: the flag is set with a conditional UPDATE, and
    only the worker that sets it notifies.
    """
    now = now or timezone.now()
    flagged = cleared = 0
    channels = Channel.objects.select_related("organisation").filter(
        is_active=True,
        paused_at__isnull=True,
        health__in=(ChannelHealth.OK, ChannelHealth.SILENT),
    )
    for channel in channels:
        since = _silent_since(channel, now)
        if since is not None and channel.health == ChannelHealth.OK:
            zone = channel.organisation.zone
            reason = f"no customer message since {since.astimezone(zone):%a %d %b %H:%M}"
            flagged += _set_health(
                channel, ChannelHealth.OK, ChannelHealth.SILENT, now, reason=reason
            )
        elif since is None and channel.health == ChannelHealth.SILENT:
            cleared += _set_health(channel, ChannelHealth.SILENT, ChannelHealth.OK, now)
    return SilenceCheck(flagged, cleared)


def channel_is_silent(channel: Channel, now: dt.datetime) -> bool:
    """Return whether nothing has come in on the channel for far longer than its normal traffic."""
    return _silent_since(channel, now) is not None


def _silent_since(channel: Channel, now: dt.datetime) -> dt.datetime | None:
    """Return since when the channel has been abnormally quiet, or None when it is not."""
    inbound = Message.objects.filter(
        organisation_id=channel.organisation_id, channel_id=channel.pk, direction=Direction.INBOUND
    )
    last = inbound.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is None:
        return None  # a channel that never had traffic has no normal to fall from
    # Time spent paused is not silence: count from the resume when it came later.
    quiet_since = max(last, channel.resumed_at) if channel.resumed_at else last
    if now - quiet_since < silence.FLOOR:
        return None
    # Normal is the four weeks before it went quiet, so a long silence stays flagged.
    hours = list(
        inbound.filter(created_at__gte=last - silence.HISTORY)
        .annotate(hour=TruncHour("created_at", tzinfo=dt.UTC))
        .order_by()
        .values_list("hour", flat=True)
        .distinct()
    )
    start = max(last - silence.HISTORY, min(channel.created_at, *hours))
    profile = silence.learn(hours, start=start, end=last, zone=channel.organisation.zone)
    return quiet_since if silence.is_silent(profile, last_active=quiet_since, now=now) else None


def _set_health(
    channel: Channel, before: str, after: str, now: dt.datetime, *, reason: str = ""
) -> int:
    with transaction.atomic():
        changed = _schedule(channel).filter(health=before).update(health=after, updated_at=now)
        if changed:
            _health_changed(channel, before, after, reason=reason)
    return changed


def _traffic_arrived(channel: Channel, now: dt.datetime) -> None:
    """Record that a pushed message came in: the channel works and is no longer silent."""
    _schedule(channel).update(last_success_at=now)
    if channel.health == ChannelHealth.SILENT:
        _set_health(channel, ChannelHealth.SILENT, ChannelHealth.OK, now)


# --- Inbound pushes: webhooks and the web form --------------------------------------------


def receive_webhook(
    channel: Channel,
    body: bytes,
    *,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> IngestResult:
    """Verify a signed webhook request and ingest its events; raise WebhookError to refuse it.

    A body delivered again (a sender's retry) is absorbed by ingest's dedupe.
    """
    if channel.kind != ChannelKind.WEBHOOK or not channel.is_active or channel.is_paused:
        raise webhook.BadSignature("This channel does not accept webhooks.")
    try:
        secret = registry.secrets_of(channel).get("webhook_secret", "")
    except crypto.SecretUnreadable:
        logger.error("the signing secret of webhook channel %s cannot be decrypted", channel.pk)
        secret = ""
    if not secret:
        raise webhook.BadSignature("This channel has no signing secret.")
    webhook.verify(secret, body, timestamp=timestamp, signature=signature, now=now)
    events = webhook.parse_events(body)
    result = ingest(channel, events)
    if result.created:
        _traffic_arrived(channel, timezone.now())
    else:
        # A delivery with nothing new (a retry, an empty batch) still proves the sender works.
        _schedule(channel).update(last_success_at=timezone.now())
    return result


def webform_channel(organisation_slug: str) -> Channel:
    """Return the organisation's active web form channel, or raise NotFound."""
    channel = (
        Channel.objects.select_related("organisation")
        .filter(
            organisation__slug=organisation_slug,
            kind=ChannelKind.WEBFORM,
            is_active=True,
            paused_at__isnull=True,
        )
        .order_by("id")
        .first()
    )
    if channel is None:
        raise NotFound("There is no contact form here.")
    return channel


def submit_contact_form(
    channel: Channel,
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Open (or add to) a conversation from a web form and mail the sender a confirmation.

    The same text from the same address on the same day is one message, so a
    double-clicked submit opens one conversation.
    """
    now = now or timezone.now()
    digest = hashlib.sha256(f"{email.lower()}\n{subject}\n{message}".encode()).hexdigest()[:24]
    event = InboundEvent(
        platform="webform",
        external_id=f"form-{now:%Y%m%d}-{digest}",
        kind=EventKind.FORM,
        text=message,
        author_handle=email,
        author_email=email,
        author_name=name,
        subject=subject,
        is_public=False,
        created_at=now,
    )
    with transaction.atomic():
        result = ingest(channel, [event], now=now)
        _traffic_arrived(channel, now)
        if result.created:
            organisation = channel.organisation.name
            transaction.on_commit(
                lambda: _send_confirmation(organisation, name=name, email=email, subject=subject)
            )
    return result


def _send_confirmation(organisation: str, *, name: str, email: str, subject: str) -> None:
    body = (
        f"Hello {name or 'there'},\n\n"
        f"Thank you for contacting {organisation}. We have your message"
        f"{f' about “{subject}”' if subject else ''} and will answer by email soon.\n\n"
        f"{organisation}\n"
    )
    try:
        send_mail(
            f"We received your message – {organisation}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    except Exception:
        # The message is safely in the inbox; a lost confirmation must not undo it.
        logger.exception("the contact form confirmation to a customer could not be sent")


# --- Outbound delivery ------------------------------------------------------------------


def due_delivery_ids(now: dt.datetime | None = None, *, limit: int = 500) -> list[int]:
    """Return the ids of outbound messages waiting to be sent whose attempt is due."""
    now = now or timezone.now()
    return list(
        Message.objects.filter(
            direction=Direction.OUTBOUND,
            delivery_status=DeliveryStatus.SCHEDULED,
            channel__is_active=True,
            channel__paused_at__isnull=True,
        )
        .filter(
            Q(delivery__isnull=True)
            | Q(delivery__next_attempt_at__isnull=True)
            | Q(delivery__next_attempt_at__lte=now)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def recover_stuck_deliveries(now: dt.datetime | None = None) -> int:
    """Put back replies whose sender died mid-attempt, marked outcome unknown; return how many."""
    now = now or timezone.now()
    stuck = list(
        Delivery.objects.filter(
            message__delivery_status=DeliveryStatus.SENDING, claimed_at__lt=now - DELIVERY_LEASE
        ).values_list("pk", "message_id")
    )
    recovered = 0
    for delivery_id, message_id in stuck:
        with transaction.atomic():
            won = Message.objects.filter(
                pk=message_id, delivery_status=DeliveryStatus.SENDING
            ).update(delivery_status=DeliveryStatus.SCHEDULED)
            if won:
                Delivery.objects.filter(pk=delivery_id).update(
                    outcome_unknown=True, next_attempt_at=now, claimed_at=None
                )
                recovered += 1
    return recovered


def claim_delivery(message_id: int, *, now: dt.datetime | None = None) -> Delivery | None:
    """Claim a due outbound message for sending (scheduled -> sending); None when not ours."""
    now = now or timezone.now()
    delivery = Delivery.objects.filter(message_id=message_id).first()
    if delivery and delivery.next_attempt_at and delivery.next_attempt_at > now:
        return None
    won = Message.objects.filter(
        pk=message_id,
        direction=Direction.OUTBOUND,
        delivery_status=DeliveryStatus.SCHEDULED,
    ).update(delivery_status=DeliveryStatus.SENDING)
    if won != 1:
        # Nothing got updated: sent already, or another worker is sending it.
        return None
    # Only the worker that won the claim gets here, so this cannot race.
    delivery, _ = Delivery.objects.get_or_create(message_id=message_id)
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    delivery.refresh_from_db()
    return delivery


def deliver_message(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one outbound reply through its channel, at most once on the platform.

    Returns "skipped" (not due or not ours), "sent", "retrying" or "failed".
    """
    now = now or timezone.now()
    delivery = claim_delivery(message_id, now=now)
    if delivery is None:
        return "skipped"
    message = Message.objects.select_related("channel__organisation", "conversation").get(
        pk=message_id
    )
    channel = message.channel
    if channel.kind == ChannelKind.PHONE:
        return _sent(message, delivery, PostResult(external_id=f"logged-{message.public_id}"))
    if channel.kind == ChannelKind.WEBFORM:
        return _deliver_by_mail(message, delivery, now)
    connector = None
    try:
        target = reply_target(message)
        connector = registry.build_connector(channel)
        key = message.idempotency_key or f"rapport-{message.public_id}"
        if delivery.outcome_unknown:
            # The last attempt may have posted: look before posting again.
            found = connector.find_own_post(
                message.text, in_reply_to=target.external_id, idempotency_key=key
            )
            if found is not None:
                return _sent(message, delivery, found)
        posted = connector.reply(
            target, message.text, idempotency_key=key, private=not message.is_public
        )
        return _sent(message, delivery, posted)
    except RateLimited as exc:
        # Refused before anything was posted: the outcome is known, just wait.
        return _retry(message, delivery, now, exc.message, at=exc.reset_at, unknown=False)
    except (AuthRequired, crypto.SecretUnreadable) as exc:
        _record_auth_required(channel, now, str(exc))
        return _retry(message, delivery, now, str(exc), unknown=False)
    except Permanent as exc:
        return _failed(message, delivery, exc.message)
    except Transient as exc:
        # A timeout or a dropped connection: the post may or may not exist now.
        return _retry(message, delivery, now, exc.message, unknown=True)
    except Exception as exc:
        logger.exception("delivery of message %s failed", message.pk)
        return _retry(message, delivery, now, f"{exc.__class__.__name__}: {exc}", unknown=True)
    finally:
        registry.close(connector)


def reply_target(message: Message) -> ReplyTarget:
    """Return what the platform needs to thread `message` under the customer's latest one."""
    conversation = message.conversation
    inbound = Message.objects.filter(
        conversation_id=conversation.pk,
        direction=Direction.INBOUND,
        external_id__isnull=False,
        created_at__lte=message.created_at,
    ).order_by("-sent_at", "-id")
    parent = (
        inbound.first()
        or Message.objects.filter(
            conversation_id=conversation.pk, direction=Direction.INBOUND, external_id__isnull=False
        )
        .order_by("-sent_at", "-id")
        .first()
    )
    if parent is None or not parent.external_id:
        raise Permanent("There is no customer message on the platform to reply to.")
    handles = _handles(conversation.customer_id, message.channel.kind)
    references = list(
        Message.objects.filter(conversation_id=conversation.pk, external_id__isnull=False)
        .order_by("sent_at", "id")
        .values_list("external_id", flat=True)[:20]
    )
    return ReplyTarget(
        external_id=parent.external_id,
        author_handle=handles.get("handle", ""),
        author_email=handles.get("email", ""),
        subject=parent.subject or conversation.subject,
        thread_id=conversation.thread_key or None,
        is_public=parent.is_public,
        references=tuple(ref for ref in references if ref and ref != parent.external_id),
    )


def _handles(customer_id: int | None, kind: str) -> dict[str, str]:
    if customer_id is None:
        return {}
    found: dict[str, str] = {}
    for platform, handle in Identity.objects.filter(customer_id=customer_id).values_list(
        "platform", "handle"
    ):
        if platform == "email":
            found.setdefault("email", handle)
        elif platform == kind:
            found.setdefault("handle", handle)
    return found


def _deliver_by_mail(message: Message, delivery: Delivery, now: dt.datetime) -> str:
    """Answer a web form by email, from the organisation's address."""
    email = _handles(message.conversation.customer_id, "email").get("email", "")
    if not email:
        return _failed(message, delivery, "The customer left no email address to answer.")
    subject = message.conversation.subject or "Your message"
    try:
        send_mail(
            f"Re: {subject}",
            message.text,
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    except Exception as exc:
        # An SMTP failure may still have queued the mail: treat as unknown, like a timeout.
        return _retry(message, delivery, now, f"Mail not sent: {exc}", unknown=True)
    return _sent(message, delivery, PostResult(external_id=f"mail-{message.public_id}"))


def _sent(message: Message, delivery: Delivery, posted: PostResult) -> str:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            delivery_status=DeliveryStatus.SENT,
            external_id=posted.external_id[:500] or None,
            url=posted.url[:1000],
            delivery_error="",
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            outcome_unknown=False, claimed_at=None, next_attempt_at=None, last_error=""
        )
    return "sent"


def _failed(message: Message, delivery: Delivery, error: str) -> str:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            delivery_status=DeliveryStatus.FAILED, delivery_error=error[:2000]
        )
        Delivery.objects.filter(pk=delivery.pk).update(claimed_at=None, last_error=error[:2000])
    _notify_author(message, f"A reply could not be sent: {error}")
    return "failed"


def _retry(
    message: Message,
    delivery: Delivery,
    now: dt.datetime,
    error: str,
    *,
    unknown: bool,
    at: dt.datetime | None = None,
) -> str:
    if delivery.attempts >= MAX_DELIVERY_ATTEMPTS:
        note = " (the last attempt's outcome is unknown)" if unknown else ""
        return _failed(
            message, delivery, f"Gave up after {delivery.attempts} attempts{note}: {error}"
        )
    wait = backoff(int(DELIVERY_RETRY_BASE.total_seconds()), delivery.attempts)
    next_attempt = max(at, now) + dt.timedelta(seconds=random.uniform(1, 5)) if at else now + wait
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            # Once unknown, stays unknown until we have looked on the platform.
            outcome_unknown=delivery.outcome_unknown or unknown,
            next_attempt_at=next_attempt,
            claimed_at=None,
            last_error=error[:2000],
        )
        Message.objects.filter(pk=message.pk, delivery_status=DeliveryStatus.SENDING).update(
            delivery_status=DeliveryStatus.SCHEDULED, delivery_error=error[:2000]
        )
    return "retrying"


def _notify_author(message: Message, text: str) -> None:
    if message.author_user_id is None:
        return
    Notification.objects.create(
        user_id=message.author_user_id,
        conversation_id=message.conversation_id,
        kind="delivery_failed",
        text=text[:300],
        created_at=timezone.now(),
    )
