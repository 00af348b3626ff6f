"""Review feeds: RSS or Atom entries (read with feedparser) become review events.

A rating is taken from the feed when it carries one: an element whose name
ends in "rating" (`<rating>`, `<g:rating>`, `<review:rating>`, `<gd:rating
value=".." max="..">`), else a star string or "4/5" / "4 out of 5" in the
title. Ratings are scaled to 0-5.

The cursor remembers the newest entry time seen (and the ids seen at exactly
that time) and the server's ETag and Last-Modified, so an unchanged feed costs
one conditional request.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import feedparser
import requests

from rapport.connectors.base import (
    DEFAULT_TIMEOUT,
    AuthRequired,
    FetchResult,
    MediaUpload,
    Metrics,
    Permanent,
    PostResult,
    ProfileInfo,
    RateLimited,
    ReplyTarget,
    Transient,
    Unsupported,
)
from rapport.connectors.events import EventKind, InboundEvent
from rapport.connectors.text import clean_text, html_to_text

MAX_FEED_BYTES = 5 * 1024 * 1024
_STARS = re.compile(r"([★]{1,5})([☆]{0,5})")
_OUT_OF = re.compile(r"\b(\d(?:[.,]\d)?)\s*(?:/|out of)\s*(5|10)\b", re.IGNORECASE)


class FeedConnector:
    """One RSS or Atom feed of reviews, read over HTTP."""

    def __init__(
        self,
        url: str,
        *,
        platform: str = "reviews",
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise Permanent("A feed URL must start with https:// or http://.")
        self.url = url
        self.platform = platform
        self.timeout = timeout
        self.session = session or requests.Session()

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        """Return up to `limit` entries published at or after the cursor's time, oldest first."""
        state = _decode_cursor(cursor)
        headers = {"User-Agent": "Rapport feed reader", "Accept": "application/atom+xml, */*"}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        body, response_headers = self._download(headers)
        if body is None:
            return FetchResult(events=(), next_cursor=cursor)
        since = _parse_iso(state.get("since"))
        already = set(state.get("seen") or [])
        fresh = [
            e
            for e in parse_feed(body, platform=self.platform)
            if e.created_at > since or (e.created_at == since and e.external_id not in already)
        ]
        events = sorted(fresh, key=lambda event: event.created_at)[: max(0, limit)]
        if events:
            newest = events[-1].created_at
            same_time = [e.external_id for e in events if e.created_at == newest]
            state["seen"] = same_time + (list(already) if newest == since else [])
            state["since"] = newest.isoformat()
        # A feed read only in part must be asked for in full next time.
        complete = len(events) < limit
        for name, header in (("etag", "ETag"), ("modified", "Last-Modified")):
            if complete and response_headers.get(header):
                state[name] = response_headers[header]
            else:
                state.pop(name, None)
        return FetchResult(events=tuple(events), next_cursor=json.dumps(state, sort_keys=True))

    def _download(self, headers: Mapping[str, str]) -> tuple[bytes | None, Mapping[str, str]]:
        try:
            with self.session.get(
                self.url, headers=dict(headers), timeout=self.timeout, stream=True
            ) as response:
                status = response.status_code
                if status == 304:
                    return None, response.headers
                if status in (401, 403):
                    raise AuthRequired(f"The feed refused access ({status}).", status=status)
                if status == 429:
                    raise RateLimited(
                        "The feed asks us to slow down.",
                        reset_at=_retry_after(response.headers.get("Retry-After")),
                    )
                if status >= 500:
                    raise Transient(f"The feed server failed ({status}).", status=status)
                if status >= 400:
                    raise Permanent(f"The feed answered {status}.", status=status)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > MAX_FEED_BYTES:
                        raise Permanent(f"The feed is larger than {MAX_FEED_BYTES} bytes.")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers
        except requests.RequestException as exc:
            raise Transient(f"Cannot read the feed: {exc}") from exc

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = False
    ) -> PostResult:
        raise Unsupported("A review feed is read-only: answer the review on its own site.")

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        raise Unsupported("A review feed is read-only.")

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        """Return None: nothing is ever posted to a feed."""
        return None

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        raise Unsupported("A review feed has no profile.")

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        raise Unsupported("A review feed has no audience metrics.")


def parse_feed(body: bytes, *, platform: str = "reviews") -> list[InboundEvent]:
    """Return the entries of an RSS or Atom document as review events."""
    parsed = feedparser.parse(body)
    if not parsed.entries and parsed.get("bozo"):
        raise Permanent(f"Not a readable feed: {parsed.get('bozo_exception')}")
    return [_event(entry, platform) for entry in parsed.entries]


def _event(entry: Mapping[str, Any], platform: str) -> InboundEvent:
    title = clean_text(str(entry.get("title") or ""))
    contents = entry.get("content") or []
    markup = str(contents[0].get("value", "")) if contents else str(entry.get("summary") or "")
    author_name, author_email = author_of(entry)
    link = str(entry.get("link") or "")
    external_id = str(entry.get("id") or link or title)
    return InboundEvent(
        platform=platform,
        external_id=external_id[:255],
        kind=EventKind.REVIEW,
        text=html_to_text(markup) or title,
        author_handle=author_name or author_email or "anonymous",
        author_name=author_name,
        author_email=author_email,
        created_at=_entry_time(entry),
        thread_id=external_id[:255],
        url=link,
        subject=title,
        is_public=True,
        rating=rating_of(entry),
    )


_EMAIL = re.compile(r"(?:mailto:)?([^\s@()<>\"',;:]+@[^\s@()<>\"',;:]+\.[^\s@()<>\"',;:]+)", re.I)


def author_of(entry: Mapping[str, Any]) -> tuple[str, str]:
    """Return the entry author's (name, email); either may be empty.

    RSS writes `<author>jo@example.test (Jo Bloggs)</author>`, and feeds in
    the wild also write `Jo Bloggs <jo@…>`, `Jo Bloggs (jo@…)`, `mailto:`
    forms, a bare address, a bare name or `(Jo Bloggs)`. feedparser's
    `author_detail` splits the common forms but garbles the rest, so the
    raw text is read here; Atom's separate name and email come from
    `author_detail` when there is no raw text.
    """
    detail = entry.get("author_detail") or {}
    raw = clean_text(str(entry.get("author") or ""))
    if not raw:
        raw = clean_text(" ".join(str(detail.get(k) or "") for k in ("name", "email")))
    found = _EMAIL.search(raw)
    address = ""
    if found:
        local, _, domain = found.group(1).rpartition("@")
        address = f"{local}@{domain.lower()}"
        raw = raw[: found.start()] + raw[found.end() :]
    name = raw
    # What is left around the address: "()", "<>", quotes, a stray comma.
    for _ in range(3):
        name = name.strip().strip(",;").strip()
        name = re.sub(r"^\(\s*\)|\(\s*\)$|^<\s*>|<\s*>$", "", name).strip()
        if len(name) >= 2 and (name[0], name[-1]) in {("(", ")"), ('"', '"'), ("'", "'")}:
            name = name[1:-1]
    if "<" in name:
        name = html_to_text(name)  # markup in a name (the address is already out of it)
    if not address and detail.get("email"):
        candidate = _EMAIL.fullmatch(str(detail["email"]).strip())
        address = candidate.group(1) if candidate else ""
    return name.strip()[:200], address[:254]


def rating_of(entry: Mapping[str, Any]) -> float | None:
    """Return the entry's rating on a 0-5 scale, or None when it carries none."""
    for key, value in entry.items():
        if not key.lower().endswith("rating"):
            continue
        scale = 5.0
        if isinstance(value, Mapping):
            scale = _number(value.get("max")) or 5.0
            value = value.get("value", value.get("rating"))
        number = _number(value)
        if number is not None and 0 <= number <= scale:
            return round(number * 5.0 / scale, 2)
    title = str(entry.get("title") or "")
    stars = _STARS.search(title)
    if stars:
        return float(len(stars.group(1)))
    out_of = _OUT_OF.search(title)
    if out_of:
        number = float(out_of.group(1).replace(",", "."))
        scale = float(out_of.group(2))
        if number <= scale:
            return round(number * 5.0 / scale, 2)
    return None


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None


def _entry_time(entry: Mapping[str, Any]) -> dt.datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)
    return dt.datetime.now(dt.UTC)


def _decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        decoded = json.loads(cursor)
    except json.JSONDecodeError:
        raise Permanent(f"Unreadable feed cursor {cursor[:60]!r}.") from None
    if not isinstance(decoded, dict):
        raise Permanent(f"Unreadable feed cursor {cursor[:60]!r}.")
    return decoded


def _parse_iso(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value)


def _retry_after(value: str | None) -> dt.datetime:
    now = time.time()
    if value and value.strip().isdigit():
        return dt.datetime.fromtimestamp(now + int(value), tz=dt.UTC)
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError):
            pass
    return dt.datetime.fromtimestamp(now + 60, tz=dt.UTC)
