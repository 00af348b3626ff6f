"""The normalised inbound event every adapter produces and `inbox.services.ingest` takes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    MENTION = "mention"
    COMMENT = "comment"
    REPLY = "reply"
    DIRECT_MESSAGE = "direct_message"
    REVIEW = "review"
    EMAIL = "email"
    FORM = "form"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An attachment or media item as the platform describes it (not yet downloaded)."""

    url: str
    mime_type: str = ""
    description: str = ""
    size: int | None = None
    filename: str = ""


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One thing a customer said somewhere, in the same shape for every platform.

    `external_id` is unique per channel and is what makes ingest idempotent.
    `thread_id` names the platform's thread (a root status id, the first
    Message-ID of an email thread); `parent_id` the message this one answers.
    Automated mail (auto-replies, bounces) sets `is_automated` so it never
    opens a conversation.
    """

    platform: str
    external_id: str
    kind: EventKind
    text: str
    author_handle: str
    created_at: dt.datetime
    author_name: str = ""
    author_email: str = ""
    thread_id: str | None = None
    parent_id: str | None = None
    url: str = ""
    subject: str = ""
    is_public: bool = True
    rating: float | None = None
    language: str | None = None
    is_automated: bool = False
    media: tuple[MediaRef, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
