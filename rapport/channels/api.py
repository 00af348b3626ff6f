"""/api/v1/channels: everyone in the organisation reads; admins add, change, pause and remove."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from rapport.accounts.models import User
from rapport.channels import selectors, services
from rapport.channels.schemas import (
    ChannelCreatedOut,
    ChannelIn,
    ChannelOut,
    ChannelPatchIn,
    CheckOut,
)

router = Router(tags=["channels"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _one(actor: User, channel_id: uuid.UUID) -> Any:
    channel = selectors.get_channel_for_user(actor, channel_id)
    return selectors.with_messages_today([channel], actor)[0]


@router.get("/channels", response=list[ChannelOut], summary="List the organisation's channels")
def list_channels(request: HttpRequest) -> Any:
    actor = _actor(request)
    return selectors.with_messages_today(selectors.channels_visible_to(actor), actor)


@router.post("/channels", response={201: ChannelCreatedOut}, summary="Add a channel (admins)")
def create_channel(request: HttpRequest, payload: ChannelIn) -> Any:
    created = services.create_channel(_actor(request), **payload.dict())
    channel = _one(_actor(request), created.channel.public_id)
    channel.webhook_secret = created.webhook_secret or None
    return Status(201, channel)


@router.get("/channels/{channel_id}", response=ChannelOut)
def get_channel(request: HttpRequest, channel_id: uuid.UUID) -> Any:
    return _one(_actor(request), channel_id)


@router.patch("/channels/{channel_id}", response=ChannelOut, summary="Change a channel (admins)")
def update_channel(request: HttpRequest, channel_id: uuid.UUID, payload: ChannelPatchIn) -> Any:
    channel = selectors.get_channel_for_user(_actor(request), channel_id)
    services.update_channel(_actor(request), channel, **payload.dict(exclude_unset=True))
    return _one(_actor(request), channel_id)


@router.post("/channels/{channel_id}/pause", response=ChannelOut, summary="Pause (admins)")
def pause_channel(request: HttpRequest, channel_id: uuid.UUID) -> Any:
    channel = selectors.get_channel_for_user(_actor(request), channel_id)
    services.pause_channel(_actor(request), channel)
    return _one(_actor(request), channel_id)


@router.post("/channels/{channel_id}/resume", response=ChannelOut, summary="Resume (admins)")
def resume_channel(request: HttpRequest, channel_id: uuid.UUID) -> Any:
    channel = selectors.get_channel_for_user(_actor(request), channel_id)
    services.resume_channel(_actor(request), channel)
    return _one(_actor(request), channel_id)


@router.post(
    "/channels/{channel_id}/check", response=CheckOut, summary="Check the connection (admins)"
)
def check_channel(request: HttpRequest, channel_id: uuid.UUID) -> Any:
    channel = selectors.get_channel_for_user(_actor(request), channel_id)
    return services.check_connection(_actor(request), channel)


@router.delete("/channels/{channel_id}", response={204: None}, summary="Remove (admins)")
def remove_channel(request: HttpRequest, channel_id: uuid.UUID) -> Any:
    channel = selectors.get_channel_for_user(_actor(request), channel_id)
    services.remove_channel(_actor(request), channel)
    return Status(204, None)
