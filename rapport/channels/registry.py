"""Build the connector for a channel from its kind, its config and its decrypted secrets.

What each kind needs (config is plain JSON; secrets are encrypted at rest):

| kind              | config                                   | secrets                    |
|-------------------|------------------------------------------|----------------------------|
| sandbox, mastodon | base_url, hashtags (optional list)       | access_token               |
| bluesky           | handle, base_url (optional)              | app_password               |
| email             | address, imap_host, smtp_host, ports ... | password, smtp_password    |
| reviews           | url                                      |                            |
| webhook           |                                          | webhook_secret             |
| webform, phone    |                                          |                            |

Webhooks and web forms push to Rapport and phone calls are logged by agents,
so those kinds have nothing to fetch and no connector.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapport.channels.models import Channel, ChannelKind
from rapport.connectors.base import Connector, Permanent
from rapport.lib import crypto

# Kinds polled by the sync task.
FETCHING_KINDS = frozenset(
    {ChannelKind.SANDBOX, ChannelKind.MASTODON, ChannelKind.BLUESKY, ChannelKind.EMAIL}
    | {ChannelKind.REVIEWS}
)
# Kinds whose replies go out through a connector.
REPLYING_KINDS = frozenset(
    {ChannelKind.SANDBOX, ChannelKind.MASTODON, ChannelKind.BLUESKY, ChannelKind.EMAIL}
)


@dataclass(frozen=True)
class KindSpec:
    """What an admin fills in for a kind: config keys and secret names, required ones first."""

    config: tuple[str, ...] = ()
    required_config: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    required_secrets: tuple[str, ...] = ()
    public: bool = True


SPECS: dict[str, KindSpec] = {
    ChannelKind.SANDBOX: KindSpec(
        ("base_url", "hashtags"), ("base_url",), ("access_token",), ("access_token",)
    ),
    ChannelKind.MASTODON: KindSpec(
        ("base_url", "hashtags"), ("base_url",), ("access_token",), ("access_token",)
    ),
    ChannelKind.BLUESKY: KindSpec(
        ("handle", "base_url"), ("handle",), ("app_password",), ("app_password",)
    ),
    ChannelKind.EMAIL: KindSpec(
        (
            "address",
            "display_name",
            "imap_host",
            "imap_port",
            "imap_ssl",
            "mailbox",
            "username",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
        ),
        ("address", "imap_host", "smtp_host"),
        ("password", "smtp_password"),
        ("password",),
        public=False,
    ),
    ChannelKind.REVIEWS: KindSpec(("url",), ("url",)),
    ChannelKind.WEBHOOK: KindSpec(secrets=("webhook_secret",), required_secrets=()),
    ChannelKind.WEBFORM: KindSpec(public=False),
    ChannelKind.PHONE: KindSpec(public=False),
}


def secrets_of(channel: Channel) -> dict[str, str]:
    """Return the channel's decrypted secrets (raises crypto.SecretUnreadable on a wrong key)."""
    return crypto.decrypt_json(channel.secrets_encrypted)


def build_connector(channel: Channel) -> Connector:
    """Return a connector for the channel, or raise Permanent when the kind fetches nothing."""
    config: Mapping[str, Any] = channel.config or {}
    secrets = secrets_of(channel)
    kind = channel.kind
    if kind in (ChannelKind.SANDBOX, ChannelKind.MASTODON):
        from rapport.connectors.mastodon import MastodonConnector

        return MastodonConnector(
            _required(config, "base_url"),
            _required(secrets, "access_token"),
            platform=kind,
            hashtags=[str(tag) for tag in config.get("hashtags") or ()],
        )
    if kind == ChannelKind.BLUESKY:
        from rapport.connectors.bluesky import BlueskyConnector

        return BlueskyConnector(
            _required(config, "handle"),
            _required(secrets, "app_password"),
            base_url=str(config.get("base_url") or "https://bsky.social"),
        )
    if kind == ChannelKind.EMAIL:
        from rapport.connectors.email import EmailAccount, EmailConnector

        account = EmailAccount(
            address=_required(config, "address"),
            imap_host=_required(config, "imap_host"),
            smtp_host=_required(config, "smtp_host"),
            username=str(config.get("username") or ""),
            password=secrets.get("password", ""),
            imap_port=int(config.get("imap_port") or 993),
            imap_ssl=bool(config.get("imap_ssl", True)),
            mailbox=str(config.get("mailbox") or "INBOX"),
            smtp_port=int(config.get("smtp_port") or 587),
            smtp_security=str(config.get("smtp_security") or "starttls"),
            smtp_username=str(config.get("smtp_username") or ""),
            smtp_password=secrets.get("smtp_password", ""),
            display_name=str(config.get("display_name") or ""),
        )
        return EmailConnector(account)
    if kind == ChannelKind.REVIEWS:
        from rapport.connectors.feeds import FeedConnector

        return FeedConnector(_required(config, "url"))
    raise Permanent(f"A {channel.get_kind_display()} channel has nothing to fetch or send.")


def close(connector: object) -> None:
    """Close a connector's kept-alive connections, where it has any."""
    closer = getattr(connector, "close", None)
    if callable(closer):
        closer()


def _required(values: Mapping[str, Any], name: str) -> str:
    value = str(values.get(name) or "").strip()
    if not value:
        raise Permanent(f"The channel has no {name.replace('_', ' ')} configured.")
    return value
