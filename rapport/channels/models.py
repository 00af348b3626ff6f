"""Channels: configured connections to the places customers talk."""

from __future__ import annotations

import uuid

from django.db import models

from rapport.accounts.models import Organisation, TimeStamped


class ChannelKind(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    SANDBOX = "sandbox", "Sandbox social network"
    BLUESKY = "bluesky", "Bluesky"
    EMAIL = "email", "Email"
    REVIEWS = "reviews", "Review feed"
    WEBHOOK = "webhook", "Inbound webhook"
    WEBFORM = "webform", "Web form"
    PHONE = "phone", "Phone (logged by agents)"


class ChannelHealth(models.TextChoices):
    OK = "ok", "Working"
    PAUSED = "paused", "Paused"
    DEGRADED = "degraded", "Failing"
    AUTH_REQUIRED = "auth_required", "Needs authorisation"
    SILENT = "silent", "Unusually silent"


class Channel(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="channels"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    # Public platforms: replies there are visible to everyone, so compliance checks apply.
    is_public = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True)
    cursor = models.CharField(max_length=500, blank=True)
    health = models.CharField(
        max_length=20, choices=ChannelHealth.choices, default=ChannelHealth.OK
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Credentials (tokens, passwords, the webhook signing secret) as one Fernet-encrypted
    # JSON object: see rapport.lib.crypto. Never logged, never returned by the API.
    secrets_encrypted = models.TextField(blank=True)
    sync_interval_seconds = models.PositiveIntegerField(default=60)
    # When the next sync is due; null: not polled (paused, needs authorisation, or a
    # kind with nothing to fetch). A worker claims a sync by moving it forward.
    next_sync_at = models.DateTimeField(null=True, blank=True)
    # Failed syncs in a row; reset by a success.
    failure_count = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    # When it was last resumed: a silence is counted from here, not across the pause.
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="channel_name_unique")
        ]
        indexes = [models.Index(fields=["next_sync_at"], name="channel_next_sync")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Delivery(TimeStamped):
    """The sending of one outbound message: its attempts, next try and any unknown outcome.

    A message is claimed for sending on `Message.delivery_status` (scheduled ->
    sending); this row keeps what the message model has no room for. When an
    attempt timed out, `outcome_unknown` is set and the next attempt first
    looks for our own post on the platform before posting again.
    """

    message = models.OneToOneField(
        "inbox.Message", on_delete=models.CASCADE, related_name="delivery"
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    outcome_unknown = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"delivery of message {self.message_id}"
