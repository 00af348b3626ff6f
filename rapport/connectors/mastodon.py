"""Mastodon (and Rapport's own sandbox, which speaks the same API) through Mastodon.py.

What it reads: mention notifications (mentions, replies and direct messages
all arrive as mentions), direct conversations (a second path for private
mentions that a server's notification filter may hold back), and the hashtag
timelines the channel listens to. What it writes: replies, posts with media,
profile changes. Every request has a timeout; the rate-limit headers are
honoured, so a call that would surely be refused is not made.

Writes and single objects go through Mastodon.py. The listings a sync walks
are read as plain JSON over the same session instead (`_get`): Mastodon.py
casts every response into typed entities, recursively, parsing each date with
dateutil, which measured three quarters of a sandbox sync's time
(benchmarks/sandbox_fetch.py) for objects we only read a few keys of.

The cursor is opaque to callers: a small JSON object with the last seen id of
each stream (`{"n": notification id, "c": last status id of a conversation,
"t:<tag>": status id}`). A bare id is read as a notification id.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
    MastodonVersionError,
)

from rapport.connectors.base import (
    DEFAULT_TIMEOUT,
    AuthRequired,
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
)
from rapport.connectors.events import EventKind, InboundEvent, MediaRef
from rapport.connectors.text import clean_text, html_to_text

T = TypeVar("T")

PAGE_SIZE = 40  # Mastodon's own maximum for notifications and timelines
_ROOT_CACHE_SIZE = 5000
# When a server says "slow down" without saying until when.
_DEFAULT_BACKOFF_SECONDS = 60
_MEDIA_KINDS = {"image": "image/*", "video": "video/*", "gifv": "video/mp4", "audio": "audio/*"}
_RETRYABLE_4XX = {408, 409, 425}
# How many of our latest statuses are searched for a post whose outcome was unknown.
RECENT_OWN_POSTS = 40


class MastodonConnector:
    """One Mastodon account, reached with an access token."""

    def __init__(
        self,
        api_base_url: str,
        access_token: str,
        *,
        platform: str = "mastodon",
        hashtags: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = PAGE_SIZE,
        user_agent: str = "Rapport",
    ) -> None:
        self.platform = platform
        self.hashtags = tuple(tag.lstrip("#").lower() for tag in hashtags if tag.strip("# "))
        self.page_size = max(1, min(page_size, PAGE_SIZE))
        self.client = Mastodon(
            access_token=access_token,
            api_base_url=api_base_url.rstrip("/"),
            request_timeout=timeout,
            # We decide what to do about a 429, never sleep inside a worker.
            ratelimit_method="throw",
            version_check_mode="none",
            user_agent=user_agent,
        )
        self._token = access_token
        self._user_agent = user_agent
        self._timeout = timeout
        self._me: Mapping[str, Any] | None = None
        # status id -> (thread root id, root author's account id); threads are immutable.
        self._roots: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def close(self) -> None:
        """Close the kept-alive HTTP connections (a worker does this when a channel is done)."""
        self.client.session.close()

    # --- Calls and errors --------------------------------------------------------------

    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call Mastodon.py, honouring the rate limit and turning its errors into ours."""
        client = self.client
        known_reset: float | None = client.ratelimit_reset
        if client.ratelimit_remaining <= 0 and known_reset and known_reset > time.time():
            raise RateLimited("The rate limit is used up.", reset_at=_utc(known_reset), status=None)
        try:
            return method(*args, **kwargs)
        except ConnectorError:
            raise
        except MastodonRatelimitError as exc:
            reset: float | None = client.ratelimit_reset
            if reset is None or reset <= time.time():
                reset = time.time() + _DEFAULT_BACKOFF_SECONDS
            raise RateLimited(f"Rate limited: {exc}", reset_at=_utc(reset)) from exc
        except MastodonUnauthorizedError as exc:
            raise AuthRequired(_describe(exc), status=401) from exc
        except (MastodonServerError, MastodonNetworkError) as exc:
            raise Transient(_describe(exc), status=_status(exc)) from exc
        except MastodonNotFoundError as exc:
            raise Permanent(_describe(exc), status=404) from exc
        except MastodonAPIError as exc:
            status = _status(exc)
            if status in _RETRYABLE_4XX:
                raise Transient(_describe(exc), status=status) from exc
            raise Permanent(_describe(exc), status=status) from exc
        except (MastodonIllegalArgumentError, MastodonVersionError) as exc:
            raise Permanent(str(exc)) from exc
        except MastodonError as exc:
            raise Transient(str(exc)) from exc

    def _check_budget(self) -> None:
        client = self.client
        known_reset: float | None = client.ratelimit_reset
        if client.ratelimit_remaining <= 0 and known_reset and known_reset > time.time():
            raise RateLimited("The rate limit is used up.", reset_at=_utc(known_reset), status=None)

    def _get(self, target: str, params: Mapping[str, Any] | None = None) -> tuple[Any, str]:
        """GET `target` (a path under /api or a full URL) as plain JSON; errors are typed.

        Returns the decoded body and the URL of the newer page (`Link:
        rel="prev"`), or "" when there is none. The rate-limit headers update
        the client's counters, so Mastodon.py's calls and these share them.
        """
        self._check_budget()
        client = self.client
        url = target if "://" in target else f"{client.api_base_url}{target}"
        headers = {"Authorization": f"Bearer {self._token}", "User-Agent": self._user_agent}
        try:
            response = client.session.get(
                url, params=params, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise Transient(f"Could not complete request: {exc}") from exc
        self._note_rate_limit(response)
        if response.status_code >= 400:
            raise self._error_for(response)
        try:
            body = response.json()
        except ValueError:
            raise Transient(
                f"The server answered {url} with something other than JSON.",
                status=response.status_code,
            ) from None
        return body, str(response.links.get("prev", {}).get("url") or "")

    def _note_rate_limit(self, response: requests.Response) -> None:
        client, headers = self.client, response.headers
        remaining = headers.get("X-RateLimit-Remaining", "")
        if remaining.strip().lstrip("-").isdigit():
            client.ratelimit_remaining = int(remaining)
            client.ratelimit_lastcall = time.time()
        limit = headers.get("X-RateLimit-Limit", "")
        if limit.strip().isdigit():
            client.ratelimit_limit = int(limit)
        reset = _epoch(headers.get("X-RateLimit-Reset", ""))
        if reset is not None:
            server_now = _epoch(headers.get("Date", ""))
            if server_now is not None:
                reset += time.time() - server_now  # the server's clock may differ from ours
            # Mastodon.py stores a float or None here itself; its annotation says int.
            client.ratelimit_reset = reset if reset > time.time() else None  # type: ignore[assignment]

    def _error_for(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        try:
            detail = str(response.json().get("error") or "")
        except (ValueError, AttributeError):
            detail = ""
        message = f"{status} {response.reason}" + (f": {detail}" if detail else "")
        if status == 429:
            reset = self.client.ratelimit_reset or _retry_after(response.headers)
            return RateLimited(f"Rate limited: {message}", reset_at=_utc(reset))
        if status == 401:
            return AuthRequired(message, status=status)
        if status >= 500 or status in _RETRYABLE_4XX:
            return Transient(message, status=status)
        return Permanent(message, status=status)

    def _walk(self, path: str, params: Mapping[str, Any]) -> Callable[..., Any]:
        """Return a Mastodon.py-like listing call over `_get` for `_drain` (see there)."""

        def listing(**kwargs: Any) -> _Page:
            body, newer = self._get(path, {**params, **kwargs})
            return _Page(body if isinstance(body, list) else [], newer)

        return listing

    def me(self) -> Mapping[str, Any]:
        """Return the account this token belongs to (asked once, then remembered)."""
        if self._me is None:
            self._me = self._call(self.client.account_verify_credentials)
        return self._me

    # --- Reading ------------------------------------------------------------------------

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        """Return up to `limit` new mentions, DMs, replies and tagged posts, oldest first."""
        state = _decode_cursor(cursor)
        me_id = str(self.me()["id"])
        events: list[InboundEvent] = []
        seen: set[str] = set()
        budget = max(0, limit)
        streams: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
            ("n", self._walk("/api/v1/notifications", {"types[]": ["mention"]}), {}),
            ("c", self._walk("/api/v1/conversations", {}), {}),
        ]
        streams += [
            (f"t:{tag}", self._walk(f"/api/v1/timelines/tag/{urllib.parse.quote(tag)}", {}), {})
            for tag in self.hashtags
        ]
        for key, endpoint, params in streams:
            if budget <= 0:
                break
            for item_id, status, source in self._drain(key, endpoint, params, state, budget):
                budget -= 1
                state[key] = item_id
                if status is None or str(status["account"]["id"]) == me_id:
                    continue
                if str(status["id"]) in seen:
                    continue
                seen.add(str(status["id"]))
                events.append(self._event(status, me_id, source))
        events.sort(key=lambda event: (event.created_at, _id_key(event.external_id)))
        return FetchResult(events=tuple(events), next_cursor=_encode_cursor(state))

    def _drain(
        self,
        key: str,
        endpoint: Callable[..., Any],
        params: dict[str, Any],
        state: dict[str, str],
        budget: int,
    ) -> Iterator[tuple[str, Mapping[str, Any] | None, str]]:
        """Yield (cursor id, status, source) for each item after the stream's cursor.

        Walks forward with min_id and the server's `Link: rel="prev"` header,
        asking for no more than the budget left, so nothing fetched is dropped.
        """
        source = {"n": "notification", "c": "conversation"}.get(key, "hashtag")
        request = min(self.page_size, budget)
        page = endpoint(min_id=state.get(key, "0"), limit=request, **params)
        while page.items:
            items = sorted(page.items, key=lambda item: _id_key(_cursor_id(key, item)))
            for item in items:
                status = item.get("status") if key == "n" else item
                if key == "c":
                    status = item.get("last_status")
                yield _cursor_id(key, item), status, source
            budget -= len(items)
            if budget <= 0 or len(items) < request or not page.newer:
                return
            request = min(self.page_size, budget)
            body, newer = self._get(_with_limit(page.newer, request))
            page = _Page(body if isinstance(body, list) else [], newer)

    def _event(self, status: Mapping[str, Any], me_id: str, source: str) -> InboundEvent:
        account = status["account"]
        status_id = str(status["id"])
        parent_id = _str_or_none(status.get("in_reply_to_id"))
        visibility = str(status.get("visibility") or "public")
        root_id, root_author = (status_id, str(account["id"]))
        if parent_id:
            root_id, root_author = self._root_of(status_id, parent_id)
        if visibility == "direct":
            kind = EventKind.DIRECT_MESSAGE
        elif parent_id is None:
            kind = EventKind.MENTION
        elif parent_id == root_id and root_author == me_id:
            kind = EventKind.COMMENT  # a comment under one of the brand's own posts
        else:
            kind = EventKind.REPLY
        metadata = {"visibility": visibility, "account_id": str(account["id"]), "source": source}
        if status.get("spoiler_text"):
            metadata["spoiler_text"] = clean_text(str(status["spoiler_text"]))
        return InboundEvent(
            platform=self.platform,
            external_id=status_id,
            kind=kind,
            text=html_to_text(str(status.get("content") or "")),
            author_handle=str(account.get("acct") or account.get("username") or ""),
            author_name=clean_text(str(account.get("display_name") or "")),
            created_at=_datetime(status.get("created_at")),
            thread_id=root_id,
            parent_id=parent_id,
            url=str(status.get("url") or status.get("uri") or ""),
            is_public=visibility in ("public", "unlisted"),
            language=_str_or_none(status.get("language")),
            media=tuple(_media(item) for item in status.get("media_attachments") or ()),
            metadata=metadata,
        )

    def _root_of(self, status_id: str, parent_id: str) -> tuple[str, str]:
        """Return the thread's root status id and its author, asking the server once per thread."""
        if parent_id in self._roots:
            found = self._roots[parent_id]
        else:
            try:
                context, _ = self._get(f"/api/v1/statuses/{urllib.parse.quote(status_id)}/context")
            except Permanent:
                # The parent was deleted or is hidden from us: thread on the parent.
                return parent_id, ""
            ancestors = list(context.get("ancestors") or [])
            if not ancestors:
                return parent_id, ""
            root = ancestors[0]
            found = (str(root["id"]), str(root["account"]["id"]))
            for ancestor in ancestors:
                self._remember_root(str(ancestor["id"]), found)
        self._remember_root(status_id, found)
        return found

    def _remember_root(self, status_id: str, root: tuple[str, str]) -> None:
        self._roots[status_id] = root
        self._roots.move_to_end(status_id)
        while len(self._roots) > _ROOT_CACHE_SIZE:
            self._roots.popitem(last=False)

    def listen(self, query: str, limit: int = 40) -> list[InboundEvent]:
        """Search public posts for `query` (a word, a phrase or a #hashtag), newest first."""
        me_id = str(self.me()["id"])
        results = self._call(
            self.client.search_v2, query, result_type="statuses", limit=min(limit, PAGE_SIZE)
        )
        statuses = results.get("statuses") or []
        return [
            self._event(status, me_id, "search")
            for status in statuses
            if str(status["account"]["id"]) != me_id
        ]

    # --- Writing ------------------------------------------------------------------------

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = False
    ) -> PostResult:
        """Reply in the target's thread: public, or as a direct message to its author."""
        handle = target.author_handle.lstrip("@")
        body = text if not handle or f"@{handle}".lower() in text.lower() else f"@{handle} {text}"
        visibility = "direct" if private or not target.is_public else "public"
        status = self._call(
            self.client.status_post,
            body,
            in_reply_to_id=target.external_id,
            visibility=visibility,
            idempotency_key=idempotency_key,
        )
        return _post_result(status)

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        """Publish a public post, uploading its media first."""
        media_ids = [
            self._call(
                self.client.media_post,
                io.BytesIO(item.data),
                mime_type=item.mime_type,
                description=item.description or None,
                file_name=item.filename,
            )["id"]
            for item in media
        ]
        status = self._call(
            self.client.status_post,
            text,
            media_ids=media_ids or None,
            visibility="public",
            spoiler_text=spoiler_text or None,
            idempotency_key=idempotency_key,
        )
        return _post_result(status)

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        """Look through the account's latest statuses for this text (see the protocol).

        A reply may have gained an @mention in front of the text, so a reply
        matches when it contains the text; a top-level post must equal it.
        Mastodon keeps an Idempotency-Key for an hour only, so the text is
        what is compared.
        """
        me_id = self.me()["id"]
        statuses = self._call(
            self.client.account_statuses, me_id, limit=RECENT_OWN_POSTS, exclude_reblogs=True
        )
        wanted = _normalised(text)
        for status in statuses or ():
            parent = str(status.get("in_reply_to_id") or "")
            posted = _normalised(html_to_text(str(status.get("content") or "")))
            if in_reply_to is not None:
                if parent == in_reply_to and wanted in posted:
                    return _post_result(status)
            elif not parent and posted == wanted:
                return _post_result(status)
        return None

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        """Change the display name, bio, avatar or header; None leaves a field as it is."""
        account = self._call(
            self.client.account_update_credentials,
            display_name=display_name,
            note=bio,
            avatar=io.BytesIO(avatar.data) if avatar else None,
            avatar_mime_type=avatar.mime_type if avatar else None,
            header=io.BytesIO(header.data) if header else None,
            header_mime_type=header.mime_type if header else None,
        )
        self._me = account
        source = account.get("source") or {}
        return ProfileInfo(
            handle=str(account.get("acct") or ""),
            display_name=str(account.get("display_name") or ""),
            bio=str(source.get("note") or html_to_text(str(account.get("note") or ""))),
            avatar_url=str(account.get("avatar") or ""),
            header_url=str(account.get("header") or ""),
        )

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        """Return followers and the favourites, boosts and replies of each post still there."""
        account = self._call(self.client.account_verify_credentials)
        posts: dict[str, PostMetrics] = {}
        for post_id in post_ids:
            try:
                status = self._call(self.client.status, post_id)
            except Permanent:
                continue  # deleted, or no longer visible to us
            posts[str(post_id)] = PostMetrics(
                favourites=int(status.get("favourites_count") or 0),
                boosts=int(status.get("reblogs_count") or 0),
                replies=int(status.get("replies_count") or 0),
            )
        return Metrics(
            followers=int(account.get("followers_count") or 0),
            following=int(account.get("following_count") or 0),
            posts_count=int(account.get("statuses_count") or 0),
            posts=posts,
        )


# --- Helpers ------------------------------------------------------------------------------


def _decode_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    cursor = cursor.strip()
    if not cursor.startswith("{"):
        return {"n": cursor}
    try:
        decoded = json.loads(cursor)
    except json.JSONDecodeError:
        raise Permanent(f"Unreadable Mastodon cursor {cursor[:60]!r}.") from None
    if not isinstance(decoded, dict):
        raise Permanent(f"Unreadable Mastodon cursor {cursor[:60]!r}.")
    return {str(k): str(v) for k, v in decoded.items()}


def _encode_cursor(state: Mapping[str, str]) -> str | None:
    return json.dumps(dict(sorted(state.items())), separators=(",", ":")) if state else None


def _cursor_id(key: str, item: Mapping[str, Any]) -> str:
    # Mastodon pages conversations by their last status, not by their own id.
    if key == "c":
        last = item.get("last_status")
        return str(last["id"]) if last else str(item["id"])
    return str(item["id"])


def _id_key(value: str) -> tuple[int, str]:
    # Mastodon ids are decimal strings; compare them as numbers.
    return (len(value), value) if value.isdigit() else (0, value)


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def _media(item: Mapping[str, Any]) -> MediaRef:
    kind = str(item.get("type") or "")
    return MediaRef(
        url=str(item.get("url") or item.get("remote_url") or ""),
        mime_type=_MEDIA_KINDS.get(kind, ""),
        description=clean_text(str(item.get("description") or "")),
    )


def _post_result(status: Mapping[str, Any]) -> PostResult:
    return PostResult(
        external_id=str(status["id"]),
        url=str(status.get("url") or ""),
        created_at=_datetime(status.get("created_at")),
    )


@dataclass(frozen=True, slots=True)
class _Page:
    """One page of a listing, as plain dicts, and the URL of the newer page ("" at the end)."""

    items: list[Mapping[str, Any]]
    newer: str


def _with_limit(url: str, limit: int) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "limit"]
    query.append(("limit", str(limit)))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _epoch(value: str) -> float | None:
    """Return a header's time (ISO 8601, HTTP date or Unix seconds) as Unix seconds."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _retry_after(headers: Mapping[str, str]) -> float:
    wait = headers.get("Retry-After", "").strip()
    return time.time() + (int(wait) if wait.isdigit() else _DEFAULT_BACKOFF_SECONDS)


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _status(exc: MastodonError) -> int | None:
    return next((arg for arg in exc.args if isinstance(arg, int)), None)


def _describe(exc: MastodonError) -> str:
    parts = [str(arg) for arg in exc.args if arg not in (None, "")]
    return ": ".join(parts) or exc.__class__.__name__
