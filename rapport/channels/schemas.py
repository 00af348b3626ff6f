"""API schemas for channels: explicit fields in and out. Secrets are write-only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Schema

from rapport.channels import selectors

KindName = Literal[
    "mastodon", "sandbox", "bluesky", "email", "reviews", "webhook", "webform", "phone"
]


class ChannelOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str
    is_public: bool
    config: dict[str, Any]
    health: str
    paused: bool
    sync_interval_seconds: int
    next_sync_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_error: str
    failure_count: int
    messages_today: int = 0
    # Which secrets are stored, by name only: values never leave the server.
    secrets_set: list[str]
    webhook_url: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_paused(obj: Any) -> bool:
        return obj.paused_at is not None

    @staticmethod
    def resolve_secrets_set(obj: Any) -> list[str]:
        return selectors.secret_names(obj)

    @staticmethod
    def resolve_webhook_url(obj: Any) -> str | None:
        if obj.kind != "webhook":
            return None
        return reverse("channels:webhook", args=[obj.public_id])


class ChannelCreatedOut(ChannelOut):
    # Only when Rapport generated the signing secret of a webhook channel: shown once.
    webhook_secret: str | None = None


class ChannelIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: KindName
    config: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    is_public: bool | None = None
    sync_interval_seconds: int = 60


class ChannelPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    config: dict[str, Any] | None = None
    secrets: dict[str, str] | None = None
    is_public: bool | None = None
    sync_interval_seconds: int | None = None


class CheckOut(Schema):
    ok: bool
    message: str
