"""Mastodon's JSON shapes for sandbox objects: accounts, statuses, notifications, media.

Everything a page needs is loaded in a fixed number of queries per page
(counts, mentions, tags, media, viewer's favourites), never one per status.
Status text is stored plain and turned into Mastodon-style HTML here: escaped
first, then links, mentions and hashtags added around the escaped text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils.html import escape

from rapport.sandbox.models import (
    SandboxAccount,
    SandboxFavourite,
    SandboxFollow,
    SandboxMedia,
    SandboxNotification,
    SandboxStatus,
    SandboxTag,
)

VERSION = "4.3.0"
_TOKENS = re.compile(
    r"(?P<url>https?://[^\s<>\"]+)"
    r"|(?<![\w@/])@(?P<mention>[A-Za-z0-9_]{1,30})(?:@[\w.-]+)?"
    r"|(?<![\w#&/])#(?P<tag>\w*[^\W\d_]\w*)"
)
_MEDIA_TYPES = {"image": "image", "video": "video"}


def iso(value: dt.datetime | None) -> str | None:
    """Format a time the way Mastodon does: UTC with milliseconds and a Z."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def content_html(text: str, root: str, known: Iterable[str] = ()) -> str:
    """Render plain status text as Mastodon's HTML: paragraphs, links, mentions, hashtags."""
    usernames = {name.lower() for name in known}
    paragraphs = []
    for paragraph in re.split(r"\n{2,}", text.strip()):
        pieces: list[str] = []
        position = 0
        for match in _TOKENS.finditer(paragraph):
            pieces.append(str(escape(paragraph[position : match.start()])))
            position = match.end()
            if url := match.group("url"):
                safe = escape(url)
                pieces.append(f'<a href="{safe}" rel="nofollow noopener noreferrer">{safe}</a>')
            elif (name := match.group("mention")) and name.lower() in usernames:
                href = escape(f"{root}@{name}")
                pieces.append(
                    f'<span class="h-card"><a href="{href}" class="u-url mention">'
                    f"@<span>{escape(name)}</span></a></span>"
                )
            elif tag := match.group("tag"):
                href = escape(f"{root}tags/{tag.lower()}")
                pieces.append(
                    f'<a href="{href}" class="mention hashtag" rel="tag">'
                    f"#<span>{escape(tag)}</span></a>"
                )
            else:
                pieces.append(str(escape(match.group(0))))
        pieces.append(str(escape(paragraph[position:])))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


def note_html(note: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in note.splitlines() if line.strip())


class Renderer:
    """Render sandbox objects as a viewer sees them, with absolute URLs for this request."""

    def __init__(self, request: HttpRequest, viewer: SandboxAccount | None) -> None:
        self.root = request.build_absolute_uri("/sandbox/")
        self.viewer = viewer
        # Accounts rendered in this request: a notification's sender is usually also its
        # status's author, and a page of a busy thread repeats a few authors many times.
        self._accounts: dict[int, dict[str, Any]] = {}

    # --- Accounts --------------------------------------------------------------------------

    def accounts(self, accounts: Iterable[SandboxAccount]) -> dict[int, dict[str, Any]]:
        unique = {account.pk: account for account in accounts}
        missing = {pk: account for pk, account in unique.items() if pk not in self._accounts}
        if missing:
            self._accounts.update(self._render_accounts(missing))
        return {pk: self._accounts[pk] for pk in unique}

    def _render_accounts(self, unique: dict[int, SandboxAccount]) -> dict[int, dict[str, Any]]:
        ids = list(unique)
        followers = dict(
            SandboxFollow.objects.filter(target_id__in=ids)
            .values("target_id")
            .annotate(n=Count("id"))
            .values_list("target_id", "n")
        )
        following = dict(
            SandboxFollow.objects.filter(follower_id__in=ids)
            .values("follower_id")
            .annotate(n=Count("id"))
            .values_list("follower_id", "n")
        )
        posts = {
            row["account_id"]: row
            for row in SandboxStatus.objects.filter(account_id__in=ids)
            .values("account_id")
            .annotate(n=Count("id"), last=Max("created_at"))
        }
        rendered = {}
        for pk, account in unique.items():
            last = posts.get(pk, {}).get("last")
            rendered[pk] = self._account(
                account,
                followers=followers.get(pk, 0),
                following=following.get(pk, 0),
                statuses=posts.get(pk, {}).get("n", 0),
                last_status_at=last.date().isoformat() if last else None,
            )
        return rendered

    def account(self, account: SandboxAccount, *, with_source: bool = False) -> dict[str, Any]:
        data = dict(self.accounts([account])[account.pk])  # a copy: the cache is shared
        if with_source:
            data["source"] = {
                "privacy": "public",
                "sensitive": False,
                "language": "",
                "note": account.note,
                "fields": [],
                "follow_requests_count": 0,
            }
        return data

    def _account(
        self,
        account: SandboxAccount,
        *,
        followers: int,
        following: int,
        statuses: int,
        last_status_at: str | None,
    ) -> dict[str, Any]:
        url = f"{self.root}@{account.username}"
        avatar = self.media_url(account.avatar_id) if account.avatar_id else self._static("avatar")
        header = self.media_url(account.header_id) if account.header_id else self._static("header")
        return {
            "id": str(account.pk),
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "locked": False,
            "bot": account.bot,
            "discoverable": True,
            "indexable": True,
            "group": False,
            "created_at": iso(
                account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
            ),
            "note": note_html(account.note),
            "url": url,
            "uri": url,
            "avatar": avatar,
            "avatar_static": avatar,
            "header": header,
            "header_static": header,
            "followers_count": followers,
            "following_count": following,
            "statuses_count": statuses,
            "last_status_at": last_status_at,
            "emojis": [],
            "fields": [],
        }

    def _static(self, name: str) -> str:
        return self.root.replace("/sandbox/", f"/static/sandbox/{name}.svg")

    def media_url(self, media_id: int) -> str:
        return f"{self.root}media/{media_id}"

    # --- Media -------------------------------------------------------------------------------

    def media(self, item: SandboxMedia) -> dict[str, Any]:
        url = self.media_url(item.pk)
        kind = item.mime_type.split("/", 1)[0]
        return {
            "id": str(item.pk),
            "type": "gifv" if item.mime_type == "image/gif" else _MEDIA_TYPES.get(kind, "unknown"),
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "text_url": None,
            "meta": {},
            "description": item.description or None,
            "blurhash": None,
        }

    # --- Statuses ---------------------------------------------------------------------------

    def statuses(self, statuses: Sequence[SandboxStatus]) -> list[dict[str, Any]]:
        """Render statuses (and what they boost) with a fixed number of queries."""
        everything = {s.pk: s for s in statuses}
        originals = [s.reblog_of for s in statuses if s.reblog_of_id and s.reblog_of]
        everything.update({s.pk: s for s in originals})
        ids = list(everything)
        if not ids:
            return []
        replies = _counts(SandboxStatus.objects.filter(in_reply_to_id__in=ids), "in_reply_to_id")
        boosts = _counts(SandboxStatus.objects.filter(reblog_of_id__in=ids), "reblog_of_id")
        favourites = _counts(SandboxFavourite.objects.filter(status_id__in=ids), "status_id")
        mine_faved: set[int] = set()
        mine_boosted: set[int] = set()
        if self.viewer is not None:
            mine_faved = set(
                SandboxFavourite.objects.filter(account=self.viewer, status_id__in=ids).values_list(
                    "status_id", flat=True
                )
            )
            mine_boosted = {
                pk
                for pk in SandboxStatus.objects.filter(
                    account=self.viewer, reblog_of_id__in=ids
                ).values_list("reblog_of_id", flat=True)
                if pk is not None
            }
        mentions: dict[int, list[SandboxAccount]] = defaultdict(list)
        links = SandboxStatus.mentions.through.objects.filter(sandboxstatus_id__in=ids)
        for link in links.select_related("sandboxaccount"):
            mentions[link.sandboxstatus_id].append(link.sandboxaccount)
        tags: dict[int, list[str]] = defaultdict(list)
        for status_id, name in SandboxTag.objects.filter(status_id__in=ids).values_list(
            "status_id", "name"
        ):
            tags[status_id].append(name)
        media: dict[int, list[SandboxMedia]] = defaultdict(list)
        for item in SandboxMedia.objects.filter(status_id__in=ids).defer("data").order_by("id"):
            assert item.status_id is not None
            media[item.status_id].append(item)
        parent_ids = {s.in_reply_to_id for s in everything.values() if s.in_reply_to_id}
        parent_authors = dict(
            SandboxStatus.objects.filter(pk__in=parent_ids).values_list("pk", "account_id")
        )
        authors = self.accounts(s.account for s in everything.values())

        def one(status: SandboxStatus) -> dict[str, Any]:
            pk = status.pk
            url = f"{self.root}@{status.account.username}/{pk}"
            in_reply_to = status.in_reply_to_id
            return {
                "id": str(pk),
                "uri": url,
                "url": url,
                "created_at": iso(status.created_at),
                "edited_at": None,
                "account": authors[status.account_id],
                "content": content_html(status.text, self.root, (a.username for a in mentions[pk])),
                "visibility": status.visibility,
                "sensitive": status.sensitive,
                "spoiler_text": status.spoiler_text,
                "media_attachments": [self.media(item) for item in media[pk]],
                "application": None,
                "mentions": [
                    {
                        "id": str(a.pk),
                        "username": a.username,
                        "acct": a.username,
                        "url": f"{self.root}@{a.username}",
                    }
                    for a in mentions[pk]
                ],
                "tags": [{"name": n, "url": f"{self.root}tags/{n}"} for n in sorted(tags[pk])],
                "emojis": [],
                "reblogs_count": boosts.get(pk, 0),
                "favourites_count": favourites.get(pk, 0),
                "replies_count": replies.get(pk, 0),
                "in_reply_to_id": str(in_reply_to) if in_reply_to else None,
                "in_reply_to_account_id": (
                    str(parent_authors[in_reply_to]) if in_reply_to in parent_authors else None
                ),
                "reblog": one(everything[status.reblog_of_id]) if status.reblog_of_id else None,
                "poll": None,
                "card": None,
                "language": status.language or None,
                "favourited": pk in mine_faved,
                "reblogged": pk in mine_boosted,
                "muted": False,
                "bookmarked": False,
                "pinned": False,
                "filtered": [],
            }

        return [one(status) for status in statuses]

    def status(self, status: SandboxStatus) -> dict[str, Any]:
        return self.statuses([status])[0]

    # --- Notifications ------------------------------------------------------------------------

    def notifications(self, notes: Sequence[SandboxNotification]) -> list[dict[str, Any]]:
        statuses = {n.status.pk: n.status for n in notes if n.status is not None}
        rendered = {s["id"]: s for s in self.statuses(list(statuses.values()))}
        accounts = self.accounts(n.from_account for n in notes)
        return [
            {
                "id": str(n.pk),
                "type": n.type,
                "group_key": f"ungrouped-{n.pk}",
                "created_at": iso(n.created_at),
                "account": accounts[n.from_account_id],
                "status": rendered.get(str(n.status_id)) if n.status_id else None,
            }
            for n in notes
        ]


def _counts(queryset: Any, field: str) -> dict[int, int]:
    return dict(queryset.values(field).annotate(n=Count("id")).values_list(field, "n"))


def instance_v1(request: HttpRequest) -> dict[str, Any]:
    host = request.get_host()
    return {
        "uri": host,
        "title": "Rapport sandbox",
        "short_description": "A simulated social network for practice and tests.",
        "description": "A simulated social network, built into Rapport.",
        "email": "",
        "version": VERSION,
        "urls": {},
        "stats": {
            "user_count": SandboxAccount.objects.count(),
            "status_count": SandboxStatus.objects.count(),
            "domain_count": 1,
        },
        "thumbnail": None,
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": _configuration(),
        "contact_account": None,
        "rules": [],
    }


def instance_v2(request: HttpRequest) -> dict[str, Any]:
    return {
        "domain": request.get_host(),
        "title": "Rapport sandbox",
        "version": VERSION,
        "source_url": "",
        "description": "A simulated social network, built into Rapport.",
        "usage": {"users": {"active_month": SandboxAccount.objects.count()}},
        "thumbnail": {"url": ""},
        "languages": ["en"],
        "configuration": _configuration(),
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": "", "account": None},
        "rules": [],
        "api_versions": {"mastodon": 2},
    }


def _configuration() -> dict[str, Any]:
    return {
        "statuses": {"max_characters": 500, "max_media_attachments": 4},
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
            "image_size_limit": 8 * 1024 * 1024,
        },
    }
