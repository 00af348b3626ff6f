"""Bluesky through the atproto SDK: mentions, replies and quotes in; replies, posts, profile out.

Bluesky's notification list runs newest first with an opaque paging cursor
and no "since", so the cursor here is the `indexedAt` time of the newest
notification already returned (with the URIs seen at exactly that time): a
fetch walks back from the newest until it reaches it.

Posting is idempotent: the record key of a post is derived from the
idempotency key (a valid TID, the form Bluesky's post records use), and the
record is looked up before it is created, so a retry finds the first post.
Direct messages live in Bluesky's separate chat service and are not handled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from atproto import Client
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

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
    Unsupported,
)
from rapport.connectors.events import EventKind, InboundEvent, MediaRef
from rapport.connectors.text import clean_text

T = TypeVar("T")
POST = "app.bsky.feed.post"
PROFILE = "app.bsky.actor.profile"
_REASONS = {"mention", "reply", "quote"}
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_PAGE = 100  # listNotifications' maximum
_MAX_PAGES = 20


class BlueskyConnector:
    """One Bluesky account, signed in with an app password."""

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        base_url: str = "https://bsky.social",
        platform: str = "bluesky",
        timeout: float = DEFAULT_TIMEOUT,
        web_url: str = "https://bsky.app",
    ) -> None:
        self.platform = platform
        self.handle = handle
        self._password = app_password
        self.web_url = web_url.rstrip("/")
        self.client = Client(base_url=base_url, request=Request(timeout=timeout))
        self._did: str | None = None

    def close(self) -> None:
        self.client.request.close()

    # --- Calls and errors ----------------------------------------------------------------

    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except ConnectorError:
            raise
        except RateLimitExceededError as exc:
            raise RateLimited(f"Rate limited: {exc}", reset_at=_reset_at(exc)) from exc
        except (UnauthorizedError, LoginRequiredError) as exc:
            raise AuthRequired(f"Bluesky refused the credentials: {exc}", status=401) from exc
        except (NetworkError, InvokeTimeoutError) as exc:
            raise Transient(f"Cannot reach Bluesky: {exc}", status=_status(exc)) from exc
        except BadRequestError as exc:
            if "ExpiredToken" in str(exc) or "InvalidToken" in str(exc):
                raise AuthRequired(f"The Bluesky session expired: {exc}", status=400) from exc
            raise Permanent(f"Bluesky refused the request: {exc}", status=400) from exc
        except RequestErrorBase as exc:
            status = _status(exc)
            error = Transient if status is None or status >= 500 else Permanent
            raise error(f"Bluesky error: {exc}", status=status) from exc
        except AtProtocolError as exc:
            raise Permanent(f"Bluesky: {exc}") from exc

    def did(self) -> str:
        """Sign in once and return the account's DID."""
        if self._did is None:
            profile = self._call(self.client.login, self.handle, self._password)
            if profile is None:  # a PDS without app.bsky: ask the session itself
                self._did = str(self._call(self.client.com.atproto.server.get_session).did)
            else:
                self._did = str(profile.did)
        return self._did

    # --- Reading ------------------------------------------------------------------------------

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        """Return up to `limit` new mentions, replies and quotes, oldest first."""
        me = self.did()
        state = _decode_cursor(cursor)
        since = state.get("since", "")
        already = set(state.get("seen", []))
        found: list[Any] = []
        page_cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = self._call(
                self.client.app.bsky.notification.list_notifications,
                params={"limit": _PAGE, "cursor": page_cursor} if page_cursor else {"limit": _PAGE},
            )
            reached = False
            for note in page.notifications:
                if note.indexed_at < since or (note.indexed_at == since and note.uri in already):
                    reached = True
                    break
                if note.reason in _REASONS and note.author.did != me:
                    found.append(note)
            page_cursor = page.cursor
            if reached or not page_cursor or not since and len(found) >= limit:
                break
        found.sort(key=lambda note: (note.indexed_at, note.uri))
        chosen = found[: max(0, limit)]
        if chosen:
            newest = chosen[-1].indexed_at
            same = [n.uri for n in chosen if n.indexed_at == newest]
            state = {"since": newest, "seen": same + (list(already) if newest == since else [])}
        events = tuple(self._event(note, me) for note in chosen)
        return FetchResult(events=events, next_cursor=json.dumps(state) if state else None)

    def _event(self, note: Any, me: str) -> InboundEvent:
        record = note.record
        reply = getattr(record, "reply", None)
        parent_uri = reply.parent.uri if reply else None
        root_uri = reply.root.uri if reply else note.uri
        if note.reason == "reply" and parent_uri == root_uri and _author_of(root_uri) == me:
            kind = EventKind.COMMENT
        elif note.reason == "reply":
            kind = EventKind.REPLY
        else:
            kind = EventKind.MENTION
        author = note.author
        created = _datetime(getattr(record, "created_at", None) or note.indexed_at)
        return InboundEvent(
            platform=self.platform,
            external_id=note.uri,
            kind=kind,
            text=clean_text(str(getattr(record, "text", "") or "")),
            author_handle=str(author.handle),
            author_name=clean_text(str(author.display_name or "")),
            created_at=created,
            thread_id=root_uri,
            parent_id=parent_uri,
            url=f"{self.web_url}/profile/{author.handle}/post/{note.uri.rsplit('/', 1)[-1]}",
            is_public=True,
            language=(getattr(record, "langs", None) or [None])[0],
            media=_media(getattr(record, "embed", None)),
            metadata={"cid": str(note.cid), "reason": str(note.reason), "did": str(author.did)},
        )

    # --- Writing ------------------------------------------------------------------------------

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = False
    ) -> PostResult:
        """Reply under the target post, in its thread."""
        if private:
            raise Unsupported("Bluesky direct messages are not supported: reply in public.")
        posts = self._call(self.client.get_posts, [target.external_id]).posts
        if not posts:
            raise Permanent("The post to answer is gone.", status=404)
        parent = posts[0]
        parent_ref = {"uri": parent.uri, "cid": parent.cid}
        existing = getattr(parent.record, "reply", None)
        root_ref = {"uri": existing.root.uri, "cid": existing.root.cid} if existing else parent_ref
        record = {"reply": {"root": root_ref, "parent": parent_ref}}
        return self._create_post(text, idempotency_key, record)

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        """Publish a post, with up to four images."""
        extra: dict[str, Any] = {}
        if media:
            images = []
            for item in media[:4]:
                blob = self._call(self.client.upload_blob, item.data).blob
                images.append({"alt": item.description, "image": blob.model_dump(by_alias=True)})
            extra["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        if spoiler_text:
            extra["labels"] = {
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{"val": "graphic-media"}],
            }
        return self._create_post(text, idempotency_key, extra)

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        """Return the post that the idempotency key made, if it exists (see the protocol).

        Our posts' record keys derive from their idempotency keys, so the
        lookup is exact; without a key there is nothing to look up.
        """
        if not idempotency_key:
            return None
        return self._existing(self.did(), POST, tid_for(idempotency_key))

    def _create_post(self, text: str, idempotency_key: str, extra: Mapping[str, Any]) -> PostResult:
        repo = self.did()
        rkey = tid_for(idempotency_key)
        earlier = self._existing(repo, POST, rkey)
        if earlier is not None:
            return earlier
        record = {
            "$type": POST,
            "text": text,
            "createdAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            **extra,
        }
        try:
            created = self._call(
                self.client.com.atproto.repo.create_record,
                {"repo": repo, "collection": POST, "rkey": rkey, "record": record},
            )
        except ConnectorError:
            # A retry that raced the first attempt: the first post is the answer.
            earlier = self._existing(repo, POST, rkey)
            if earlier is not None:
                return earlier
            raise
        return self._result(created.uri)

    def _existing(self, repo: str, collection: str, rkey: str) -> PostResult | None:
        try:
            found = self._call(
                self.client.com.atproto.repo.get_record,
                {"repo": repo, "collection": collection, "rkey": rkey},
            )
        except Permanent:
            return None
        return self._result(found.uri)

    def _result(self, uri: str) -> PostResult:
        rkey = uri.rsplit("/", 1)[-1]
        return PostResult(
            external_id=uri,
            url=f"{self.web_url}/profile/{self.handle}/post/{rkey}",
            created_at=dt.datetime.now(dt.UTC),
        )

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        """Change the display name, description, avatar or banner."""
        repo = self.did()
        try:
            current = self._call(
                self.client.com.atproto.repo.get_record,
                {"repo": repo, "collection": PROFILE, "rkey": "self"},
            )
            profile = _plain(current.value)
        except Permanent:
            profile = {"$type": PROFILE}
        if display_name is not None:
            profile["displayName"] = display_name
        if bio is not None:
            profile["description"] = bio
        for name, upload in (("avatar", avatar), ("banner", header)):
            if upload is not None:
                blob = self._call(self.client.upload_blob, upload.data).blob
                profile[name] = blob.model_dump(by_alias=True)
        self._call(
            self.client.com.atproto.repo.put_record,
            {"repo": repo, "collection": PROFILE, "rkey": "self", "record": profile},
        )
        return ProfileInfo(
            handle=self.handle,
            display_name=str(profile.get("displayName", "")),
            bio=str(profile.get("description", "")),
        )

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        """Return followers and the likes, reposts and replies of each post still there."""
        profile = self._call(self.client.get_profile, self.did())
        posts: dict[str, PostMetrics] = {}
        ids = list(post_ids)
        for start in range(0, len(ids), 25):  # getPosts takes at most 25 URIs
            for post in self._call(self.client.get_posts, ids[start : start + 25]).posts:
                posts[post.uri] = PostMetrics(
                    favourites=post.like_count or 0,
                    boosts=(post.repost_count or 0) + (post.quote_count or 0),
                    replies=post.reply_count or 0,
                )
        return Metrics(
            followers=profile.followers_count or 0,
            following=profile.follows_count or 0,
            posts_count=profile.posts_count or 0,
            posts=posts,
        )


# --- Helpers ------------------------------------------------------------------------------------


def tid_for(idempotency_key: str) -> str:
    """Return a valid record key (a TID) that is always the same for the same key."""
    number = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    number &= (1 << 63) - 1  # a TID's top bit is zero
    return "".join(_TID_ALPHABET[(number >> shift) & 31] for shift in range(60, -1, -5))


def _author_of(uri: str) -> str:
    # at://did:plc:xyz/app.bsky.feed.post/rkey
    return uri.removeprefix("at://").split("/", 1)[0]


def _decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        decoded = json.loads(cursor)
    except json.JSONDecodeError:
        raise Permanent(f"Unreadable Bluesky cursor {cursor[:60]!r}.") from None
    if not isinstance(decoded, dict):
        raise Permanent(f"Unreadable Bluesky cursor {cursor[:60]!r}.")
    return decoded


def _datetime(value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _media(embed: Any) -> tuple[MediaRef, ...]:
    images = getattr(embed, "images", None) or []
    refs = []
    for image in images:
        blob = getattr(image, "image", None)
        ref = getattr(getattr(blob, "ref", None), "link", "") or ""
        refs.append(
            MediaRef(
                url=f"blob:{ref}",
                mime_type=str(getattr(blob, "mime_type", "") or ""),
                description=clean_text(str(getattr(image, "alt", "") or "")),
                size=getattr(blob, "size", None),
            )
        )
    return tuple(refs)


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    dumped = value.model_dump(by_alias=True, exclude_none=True)
    return dict(dumped)


def _status(exc: RequestErrorBase) -> int | None:
    return exc.response.status_code if exc.response is not None else None


def _reset_at(exc: RequestErrorBase) -> dt.datetime:
    headers = exc.response.headers if exc.response is not None else {}
    reset = str(headers.get("ratelimit-reset", ""))
    if reset.isdigit():
        return dt.datetime.fromtimestamp(int(reset), tz=dt.UTC)
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
