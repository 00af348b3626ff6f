"""Review feeds over HTTP on loopback: RSS and Atom entries become reviews with ratings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from rapport.connectors import AuthRequired, EventKind, Permanent, RateLimited, Transient
from rapport.connectors.feeds import FeedConnector, parse_feed, rating_of

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel><title>Reviews of Ember &amp; Oak</title>
<item><guid>r1</guid><title>Great beans</title><link>https://reviews.test/r1</link>
<author>jo@example.test (Jo Bloggs)</author><pubDate>Mon, 06 Jan 2025 10:00:00 +0000</pubDate>
<description>&lt;p&gt;Loved it &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<g:rating>4</g:rating></item>
<item><guid>r2</guid><title>&#9733;&#9733;&#9734;&#9734;&#9734; Cold coffee</title>
<pubDate>Tue, 07 Jan 2025 09:00:00 +0000</pubDate>
<description>Lukewarm flat white.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:gd="http://schemas.google.com/g/2005">
<title>Reviews</title><id>urn:reviews</id><updated>2025-02-01T00:00:00Z</updated>
<entry><id>urn:review:7</id><title>Rated 8/10: lovely staff</title>
<updated>2025-02-01T08:00:00Z</updated><author><name>Kemi</name></author>
<content type="html">&lt;b&gt;Aoife&lt;/b&gt; was brilliant</content></entry>
<entry><id>urn:review:8</id><title>Fine</title><updated>2025-02-02T08:00:00Z</updated>
<author><name>Leo</name></author><summary>ok</summary><gd:rating value="3" max="5"/></entry>
</feed>"""


class _Feed(BaseHTTPRequestHandler):
    replies: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        type(self).seen.append(dict(self.headers))
        status, headers, body = type(self).replies.pop(0)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def feed_server() -> Iterator[tuple[str, type[_Feed]]]:
    handler = type("Handler", (_Feed,), {"replies": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/reviews.rss", handler
    server.shutdown()
    server.server_close()


def test_rss_entries_become_reviews_with_ratings_and_safe_text(feed_server):
    url, handler = feed_server
    handler.replies.append((200, {"ETag": '"v1"'}, RSS))

    result = FeedConnector(url, timeout=5).fetch(None)

    first, second = result.events
    assert (first.kind, first.external_id, first.rating) == (EventKind.REVIEW, "r1", 4.0)
    assert first.text == "Loved it" and first.subject == "Great beans"
    assert first.author_name == "Jo Bloggs" and first.author_email == "jo@example.test"
    assert first.url == "https://reviews.test/r1" and first.is_public
    assert second.rating == 2.0 and second.text == "Lukewarm flat white."


def test_an_unchanged_feed_costs_one_conditional_request(feed_server):
    url, handler = feed_server
    handler.replies += [(200, {"ETag": '"v1"'}, RSS), (304, {}, b"")]
    connector = FeedConnector(url, timeout=5)

    first = connector.fetch(None)
    second = connector.fetch(first.next_cursor)

    assert second.events == () and second.next_cursor == first.next_cursor
    assert handler.seen[1]["If-None-Match"] == '"v1"'


def test_the_cursor_returns_only_entries_from_its_time_on(feed_server):
    url, handler = feed_server
    handler.replies += [(200, {}, RSS), (200, {}, RSS)]
    connector = FeedConnector(url, timeout=5)

    first = connector.fetch(None, limit=1)
    second = connector.fetch(first.next_cursor)

    assert [e.external_id for e in first.events] == ["r1"]
    assert [e.external_id for e in second.events] == ["r2"]


def test_atom_feeds_and_scaled_ratings():
    events = parse_feed(ATOM)

    assert [(e.external_id, e.rating) for e in events] == [
        ("urn:review:7", 4.0),
        ("urn:review:8", 3.0),
    ]
    assert events[0].text == "Aoife was brilliant" and events[0].author_handle == "Kemi"


@pytest.mark.parametrize(
    ("entry", "rating"),
    [
        ({"rating": "5"}, 5.0),
        ({"review_rating": "4,5"}, 4.5),
        ({"gd_rating": {"value": "8", "max": "10"}}, 4.0),
        ({"title": "★★★☆☆ meh"}, 3.0),
        ({"title": "4 out of 5, would return"}, 4.0),
        ({"title": "No stars here"}, None),
        ({"rating": "lots"}, None),
    ],
)
def test_ratings_are_read_from_the_common_places(entry, rating):
    assert rating_of(entry) == rating


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (500, {}, Transient),
        (503, {}, Transient),
        (401, {}, AuthRequired),
        (404, {}, Permanent),
        (429, {"Retry-After": "120"}, RateLimited),
        (200, {}, Permanent),  # not a feed at all
    ],
)
def test_failures_are_typed(feed_server, status, headers, error):
    url, handler = feed_server
    handler.replies.append((status, headers, b"<html><p>oops</p>"))

    with pytest.raises(error):
        FeedConnector(url, timeout=5).fetch(None)


def test_an_unreachable_feed_is_transient_and_a_bad_url_permanent():
    with pytest.raises(Transient):
        FeedConnector("http://127.0.0.1:9/feed", timeout=2).fetch(None)
    with pytest.raises(Permanent):
        FeedConnector("file:///etc/passwd")


def test_rss_authors_are_split_into_name_and_email_in_every_form_feeds_use():
    body = (Path(__file__).parent / "feeds" / "authors.rss").read_bytes()

    authors = [(e.author_name, e.author_email, e.author_handle) for e in parse_feed(body)]

    assert authors == [
        ("Jo Bloggs", "jo@example.test", "Jo Bloggs"),
        ("Zoë Ó Briain", "ZOE@example.test", "Zoë Ó Briain"),
        ("Kemi Adeyemi", "kemi@example.test", "Kemi Adeyemi"),
        ("Bloggs, Jo", "jo.b@example.test", "Bloggs, Jo"),
        ("Leo Martin", "", "Leo Martin"),
        ("", "sam@example.test", "sam@example.test"),
        ("Aoife Byrne", "", "Aoife Byrne"),
        ("Jo (JB) Bloggs", "jo@example.test", "Jo (JB) Bloggs"),
        ("", "", "anonymous"),
        ("Mia", "mia@example.test", "Mia"),
    ]


def test_atom_authors_keep_their_separate_name_and_email():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Reviews</title><id>urn:r</id>
<updated>2025-02-01T00:00:00Z</updated>
<entry><id>urn:r:1</id><title>Good</title><updated>2025-02-01T08:00:00Z</updated>
<author><name>Kemi Adeyemi</name><email>kemi@example.test</email></author>
<summary>Good.</summary></entry></feed>"""

    (entry,) = parse_feed(body)

    assert (entry.author_name, entry.author_email) == ("Kemi Adeyemi", "kemi@example.test")
