"""The one small protocol every platform adapter follows, its value types and its errors.

Adapters raise only the typed errors below, so the Django side (channels) can
decide once what to do: wait until `RateLimited.reset_at`, ask a person to
reconnect on `AuthRequired`, retry later on `Transient`, give up on `Permanent`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from rapport.connectors.events import InboundEvent

# Every network call an adapter makes is bounded by this many seconds unless the
# adapter is configured otherwise: a hung platform must never hang a worker.
DEFAULT_TIMEOUT = 15.0


# --- Errors ----------------------------------------------------------------------


class ConnectorError(Exception):
    """A platform call failed; subclasses say what the caller should do about it."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(ConnectorError):
    """The platform asks us to slow down; try again at `reset_at` (timezone-aware)."""

    def __init__(self, message: str, *, reset_at: dt.datetime, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.reset_at = reset_at


class AuthRequired(ConnectorError):
    """The credentials are missing, expired or revoked: a person must reconnect the channel."""


class Transient(ConnectorError):
    """A network failure or server error that is likely to pass: retry with backoff."""


class Permanent(ConnectorError):
    """The platform refused the request itself (bad input, gone, forbidden): do not retry."""


class Unsupported(Permanent):
    """The platform has no such operation (an email inbox cannot publish a post)."""


# --- Values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchResult:
    """New events, oldest first, and the cursor to pass to the next fetch.

    `attachments` carries downloaded bytes for media whose `MediaRef.url` is a
    content address (`sha256:<hex>`), for platforms such as email where the
    media has no URL of its own.
    """

    events: tuple[InboundEvent, ...]
    next_cursor: str | None
    attachments: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What an adapter needs to know about the message it answers."""

    external_id: str
    author_handle: str = ""
    author_email: str = ""
    subject: str = ""
    thread_id: str | None = None
    is_public: bool = True
    references: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, event: InboundEvent) -> ReplyTarget:
        references = tuple(event.metadata.get("references", "").split())
        return cls(
            external_id=event.external_id,
            author_handle=event.author_handle,
            author_email=event.author_email,
            subject=event.subject,
            thread_id=event.thread_id,
            is_public=event.is_public,
            references=references,
        )


@dataclass(frozen=True, slots=True)
class MediaUpload:
    """A file to attach to a post or set as an avatar or header."""

    data: bytes
    mime_type: str
    filename: str = "upload"
    description: str = ""


@dataclass(frozen=True, slots=True)
class PostResult:
    """What the platform made of a reply or a post."""

    external_id: str
    url: str = ""
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    handle: str
    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    header_url: str = ""


@dataclass(frozen=True, slots=True)
class PostMetrics:
    favourites: int = 0
    boosts: int = 0
    replies: int = 0
    impressions: int | None = None  # only where the platform reports them


@dataclass(frozen=True, slots=True)
class Metrics:
    """The account's audience and the engagement of the posts asked about."""

    followers: int
    following: int = 0
    posts_count: int = 0
    posts: Mapping[str, PostMetrics] = field(default_factory=dict)


# --- The protocol --------------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """One platform account, seen through the operations Rapport needs."""

    platform: str

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        """Return up to `limit` events newer than `cursor` (None: from the beginning)."""
        ...

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = False
    ) -> PostResult:
        """Answer `target`, in public or privately; one key never posts twice."""
        ...

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        """Publish a new post; one key never posts twice."""
        ...

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        """Return our own recent post with this text, or None when there is none.

        Asked after an attempt whose outcome is unknown (a timeout), before
        posting again. With `in_reply_to`, only replies to that post count;
        without, only top-level posts. A platform that cannot look (SMTP)
        returns None, and the retry relies on the idempotency key alone.
        """
        ...

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        """Change the account's public look; fields left as None stay as they are."""
        ...

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        """Return follower counts and the engagement of the given posts."""
        ...
