"""Talking to platforms: one adapter per platform, normalised events out.

A pure library: it never imports Django, so it can be tested and reused alone.
Adapters: `mastodon.MastodonConnector` (Mastodon and the built-in sandbox),
`bluesky.BlueskyConnector` (Bluesky, through the atproto SDK),
`email.EmailConnector` (IMAP in, SMTP out), `feeds.FeedConnector` (review
feeds); `webhook` verifies and parses inbound webhook bodies.
"""

from rapport.connectors.base import (
    AuthRequired,
    Connector,
    ConnectorError,
    FetchResult,
    MediaUpload,
    Metrics,
    Permanent,
    PostMetrics,
    PostResult,
    ProfileInfo,
    RateLimited,
    ReplyTarget,
    Transient,
    Unsupported,
)
from rapport.connectors.events import EventKind, InboundEvent, MediaRef

__all__ = [
    "AuthRequired",
    "Connector",
    "ConnectorError",
    "EventKind",
    "FetchResult",
    "InboundEvent",
    "MediaRef",
    "MediaUpload",
    "Metrics",
    "Permanent",
    "PostMetrics",
    "PostResult",
    "ProfileInfo",
    "RateLimited",
    "ReplyTarget",
    "Transient",
    "Unsupported",
]
