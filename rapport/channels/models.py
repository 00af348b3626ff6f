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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="channel_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
