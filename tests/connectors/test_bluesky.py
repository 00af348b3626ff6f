"""The Bluesky adapter through the real atproto SDK, against a small XRPC server on loopback.

Bluesky has no sandbox of its own, so this server plays a PDS for the few
XRPC methods the adapter calls, with Bluesky's JSON shapes and errors.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from rapport.connectors import (
    AuthRequired,
    EventKind,
    MediaUpload,
    Permanent,
    RateLimited,
    ReplyTarget,
    Transient,
    Unsupported,
)
from rapport.connectors.bluesky import BlueskyConnector, tid_for

# The SDK uploads blobs with httpx's deprecated `data=bytes`; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

ME = "did:plc:brand"
MAYA = "did:plc:maya"


def _jwt(subject: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": subject, "exp": int(time.time()) + 3600, "scope": "com.atproto.access"}
    return f"{part({'alg': 'HS256', 'typ': 'at+jwt'})}.{part(claims)}.c2lnbmF0dXJl"


def _author(did: str, handle: str, name: str = "") -> dict[str, Any]:
    return {"did": did, "handle": handle, "displayName": name}


class Pds:
    """The state of the fake PDS: records by URI, notifications, and switches for failures."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.fail_next: tuple[int, dict[str, str], dict[str, Any]] | None = None
        self.creates = 0
        self.clock = 0

    def post(self, did: str, handle: str, text: str, reply_to: str | None = None) -> str:
        self.clock += 1
        uri = f"at://{did}/app.bsky.feed.post/3k{self.clock:011d}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": f"2025-03-14T09:{self.clock:02d}:00.000Z",
        }
        if reply_to:
            parent = self.records[reply_to]
            root = parent["value"].get("reply", {}).get("root") or {
                "uri": reply_to,
                "cid": parent["cid"],
            }
            record["reply"] = {"root": root, "parent": {"uri": reply_to, "cid": parent["cid"]}}
        self.records[uri] = {
            "uri": uri,
            "cid": f"bafy{self.clock:020d}",
            "value": record,
            "author": _author(did, handle, handle.split(".")[0].title()),
        }
        if did != ME:
            reason = "reply" if reply_to and reply_to.startswith(f"at://{ME}/") else "mention"
            self.notifications.insert(
                0,
                {
                    "uri": uri,
                    "cid": self.records[uri]["cid"],
                    "author": self.records[uri]["author"],
                    "reason": reason,
                    "record": record,
                    "isRead": False,
                    "indexedAt": f"2025-03-14T09:{self.clock:02d}:01.000Z",
                },
            )
        return uri

    def post_view(self, uri: str) -> dict[str, Any]:
        entry = self.records[uri]
        replies = sum(
            1
            for r in self.records.values()
            if r["value"].get("reply", {}).get("parent", {}).get("uri") == uri
        )
        return {
            "uri": uri,
            "cid": entry["cid"],
            "author": entry["author"],
            "record": entry["value"],
            "indexedAt": entry["value"].get("createdAt", "2025-03-14T09:00:00Z"),
            "likeCount": 3,
            "repostCount": 1,
            "quoteCount": 1,
            "replyCount": replies,
        }


def _handler(pds: Pds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            name = url.path.removeprefix("/xrpc/")
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if pds.fail_next and name != "com.atproto.server.createSession":
                status, headers, body = pds.fail_next
                pds.fail_next = None
                return self._answer(status, body, headers)
            if name == "com.atproto.server.createSession":
                sent = json.loads(raw)
                if sent.get("password") != "app-password":
                    return self._answer(
                        401,
                        {
                            "error": "AuthenticationRequired",
                            "message": "Invalid identifier or password",
                        },
                    )
                return self._answer(
                    200,
                    {
                        "did": ME,
                        "handle": "emberandoak.test",
                        "accessJwt": _jwt(ME),
                        "refreshJwt": _jwt(ME),
                    },
                )
            if name == "app.bsky.actor.getProfile":
                return self._answer(
                    200,
                    {
                        **_author(ME, "emberandoak.test", "Ember & Oak"),
                        "followersCount": 12,
                        "followsCount": 3,
                        "postsCount": 40,
                    },
                )
            if name == "app.bsky.notification.listNotifications":
                start = int(query.get("cursor", 0))
                limit = int(query.get("limit", 50))
                page = pds.notifications[start : start + limit]
                more = start + limit < len(pds.notifications)
                body = {"notifications": page, **({"cursor": str(start + limit)} if more else {})}
                return self._answer(200, body)
            if name == "app.bsky.feed.getPosts":
                uris = parse_qs(url.query).get("uris", [])
                posts = [pds.post_view(u) for u in uris if u in pds.records]
                return self._answer(200, {"posts": posts})
            if name == "com.atproto.repo.getRecord":
                uri = f"at://{query['repo']}/{query['collection']}/{query['rkey']}"
                if uri not in pds.records:
                    return self._answer(
                        400, {"error": "RecordNotFound", "message": "Could not locate record"}
                    )
                entry = pds.records[uri]
                return self._answer(200, {"uri": uri, "cid": entry["cid"], "value": entry["value"]})
            if name in ("com.atproto.repo.createRecord", "com.atproto.repo.putRecord"):
                sent = json.loads(raw)
                uri = f"at://{sent['repo']}/{sent['collection']}/{sent['rkey']}"
                if name.endswith("createRecord"):
                    pds.creates += 1
                    if uri in pds.records:
                        return self._answer(
                            400, {"error": "InvalidRequest", "message": "Record already exists"}
                        )
                pds.records[uri] = {
                    "uri": uri,
                    "cid": f"bafyrec{len(pds.records)}",
                    "value": sent["record"],
                    "author": _author(ME, "emberandoak.test"),
                }
                return self._answer(200, {"uri": uri, "cid": pds.records[uri]["cid"]})
            if name == "com.atproto.repo.uploadBlob":
                blob = {
                    "$type": "blob",
                    "ref": {"$link": "bafkreiblob"},
                    "mimeType": self.headers.get("Content-Type") or "image/png",
                    "size": len(raw),
                }
                return self._answer(200, {"blob": blob})
            return self._answer(404, {"error": "MethodNotImplemented", "message": name})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def pds() -> Iterator[tuple[Pds, str]]:
    state = Pds()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def bluesky(pds) -> Iterator[BlueskyConnector]:
    connector = BlueskyConnector("emberandoak.test", "app-password", base_url=pds[1], timeout=5)
    yield connector
    connector.close()


def test_mentions_arrive_oldest_first_and_the_cursor_resumes(pds, bluesky):
    state, _ = pds
    first = state.post(MAYA, "maya.test", "@emberandoak.test where is my order?")
    second = state.post(MAYA, "maya.test", "@emberandoak.test hello again")

    result = bluesky.fetch(None)
    third = state.post(MAYA, "maya.test", "@emberandoak.test third time")
    later = bluesky.fetch(result.next_cursor)

    assert [e.external_id for e in result.events] == [first, second]
    event = result.events[0]
    assert event.kind == EventKind.MENTION and event.author_handle == "maya.test"
    assert event.text == "@emberandoak.test where is my order?"
    assert event.url.startswith("https://bsky.app/profile/maya.test/post/")
    assert [e.external_id for e in later.events] == [third]
    assert bluesky.fetch(later.next_cursor).events == ()


def test_a_fetch_is_bounded_by_its_limit(pds, bluesky):
    state, _ = pds
    uris = [state.post(MAYA, "maya.test", f"@emberandoak.test q{n}") for n in range(5)]

    first = bluesky.fetch(None, limit=3)
    rest = bluesky.fetch(first.next_cursor, limit=10)

    assert [e.external_id for e in first.events] == uris[:3]
    assert [e.external_id for e in rest.events] == uris[3:]


def test_a_reply_threads_under_the_root_and_is_idempotent(pds, bluesky):
    state, _ = pds
    ours = bluesky.publish("New roast today!", idempotency_key="launch")
    comment = state.post(MAYA, "maya.test", "ooh is it fruity?", reply_to=ours.external_id)
    event = bluesky.fetch(None).events[0]

    sent = bluesky.reply(ReplyTarget.from_event(event), "Very!", idempotency_key="r-1")
    again = bluesky.reply(ReplyTarget.from_event(event), "Very!", idempotency_key="r-1")

    assert event.kind == EventKind.COMMENT and event.thread_id == ours.external_id
    assert sent.external_id == again.external_id
    assert sent.external_id.endswith(tid_for("r-1"))
    record = state.records[sent.external_id]["value"]
    assert record["reply"]["root"]["uri"] == ours.external_id
    assert record["reply"]["parent"]["uri"] == comment


def test_publish_with_an_image_profile_and_metrics(pds, bluesky):
    state, _ = pds
    photo = MediaUpload(b"\x89PNG\r\n\x1a\nfake", "image/png", "p.png", "Latte")

    post = bluesky.publish("Latte art", idempotency_key="p1", media=[photo])
    profile = bluesky.update_profile(display_name="Ember & Oak", bio="Roasters", avatar=photo)
    metrics = bluesky.metrics([post.external_id])

    embed = state.records[post.external_id]["value"]["embed"]
    assert embed["images"][0]["alt"] == "Latte"
    assert profile.display_name == "Ember & Oak" and profile.bio == "Roasters"
    assert metrics.followers == 12
    assert metrics.posts[post.external_id].favourites == 3
    assert metrics.posts[post.external_id].boosts == 2


def test_failures_are_typed(pds, bluesky):
    state, _ = pds
    bluesky.did()
    reset = int(time.time()) + 90

    state.fail_next = (429, {"ratelimit-reset": str(reset)}, {"error": "RateLimitExceeded"})
    with pytest.raises(RateLimited) as limited:
        bluesky.fetch(None)
    state.fail_next = (502, {}, {"error": "UpstreamFailure"})
    with pytest.raises(Transient):
        bluesky.fetch(None)
    state.fail_next = (400, {}, {"error": "InvalidRequest", "message": "bad"})
    with pytest.raises(Permanent):
        bluesky.fetch(None)

    assert int(limited.value.reset_at.timestamp()) == reset


def test_a_wrong_password_requires_auth(pds):
    connector = BlueskyConnector("emberandoak.test", "nope", base_url=pds[1], timeout=5)

    with pytest.raises(AuthRequired):
        connector.fetch(None)


def test_private_replies_are_not_supported(bluesky):
    with pytest.raises(Unsupported):
        bluesky.reply(ReplyTarget("at://x/y/z"), "hi", idempotency_key="k", private=True)


def test_record_keys_are_valid_tids():
    key = tid_for("anything")

    assert len(key) == 13 and key[0] in "234567abcdefghij"
    assert key == tid_for("anything") != tid_for("something else")


def test_find_own_post_looks_up_the_record_its_key_made(pds, bluesky):
    state, _ = pds
    ours = bluesky.publish("New roast today!", idempotency_key="launch")

    found = bluesky.find_own_post("New roast today!", idempotency_key="launch")
    assert found is not None and (found.external_id, found.url) == (ours.external_id, ours.url)
    assert bluesky.find_own_post("New roast today!", idempotency_key="never-sent") is None
    assert bluesky.find_own_post("New roast today!") is None  # no key, nothing to look up
