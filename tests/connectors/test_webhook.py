"""Inbound webhooks: HMAC signatures with a replay window, and bodies parsed with clear errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from rapport.connectors.events import EventKind
from rapport.connectors.webhook import (
    BadSignature,
    MalformedBody,
    StaleRequest,
    parse_events,
    sign,
    verify,
)

NOW = 1_767_225_600
BODY = json.dumps(
    {
        "events": [
            {
                "external_id": "form-1",
                "kind": "form",
                "text": "Do you cater for weddings?\u202e",
                "author_handle": "sam@example.test",
                "author_email": "sam@example.test",
                "created_at": "2026-01-01T10:00:00Z",
                "subject": "Catering",
                "is_public": False,
                "metadata": {"form": "contact"},
            },
            {
                "external_id": "rev-9",
                "kind": "review",
                "text": "Lovely beans",
                "author_handle": "jo",
                "created_at": "2026-01-01T11:00:00+01:00",
                "rating": 4.5,
                "media": [{"url": "https://cdn.example.test/p.jpg", "mime_type": "image/jpeg"}],
            },
        ]
    }
).encode()


def _headers(secret="s3cret", body=BODY, at=NOW):
    headers = sign(secret, body, timestamp=at)
    return {
        "timestamp": headers["X-Rapport-Timestamp"],
        "signature": headers["X-Rapport-Signature"],
    }


def test_a_signed_request_verifies_and_parses():
    assert verify("s3cret", BODY, now=NOW + 10, **_headers()) == NOW

    events = parse_events(BODY, platform="web")

    assert [e.kind for e in events] == [EventKind.FORM, EventKind.REVIEW]
    assert events[0].text == "Do you cater for weddings?"  # the bidi override is gone
    assert events[0].is_public is False and events[0].metadata == {"form": "contact"}
    assert events[1].rating == 4.5 and events[1].media[0].mime_type == "image/jpeg"
    assert events[1].created_at.utcoffset() == dt.timedelta(hours=1)
    assert {e.platform for e in events} == {"web"}


def test_a_rotated_secret_still_verifies():
    assert verify(["new", "s3cret"], BODY, now=NOW, **_headers("s3cret")) == NOW


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "signature": "v1=" + "0" * 64},
        lambda h: {**h, "signature": h["signature"].replace("v1=", "v0=")},
        lambda h: {**h, "signature": ""},
        lambda h: {**h, "timestamp": "yesterday"},
        lambda h: {**h, "timestamp": str(NOW + 1)},
    ],
)
def test_a_bad_signature_is_refused(tamper):
    with pytest.raises(BadSignature):
        verify("s3cret", BODY, now=NOW, **tamper(_headers()))


def test_a_changed_body_is_refused():
    with pytest.raises(BadSignature, match="does not match"):
        verify("s3cret", BODY + b" ", now=NOW, **_headers())


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_request_outside_the_replay_window_is_refused(skew):
    with pytest.raises(StaleRequest):
        verify("s3cret", BODY, now=NOW + skew, **_headers())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "event object"),
        (b'{"events": {}}', "events: must be a list"),
        (b'{"events": [1]}', r"events\[0\]: must be an object"),
        (b'{"kind": "mention"}', r"event.external_id: is required"),
        (
            b'{"external_id": "1", "kind": "tweet", "text": "x", "author_handle": "a", '
            b'"created_at": "2026-01-01T00:00:00Z"}',
            "'tweet' is not one of",
        ),
        (
            b'{"external_id": "1", "kind": "mention", "text": "x", "author_handle": "a", '
            b'"created_at": "2026-01-01T00:00:00"}',
            "needs a time zone",
        ),
        (
            b'{"external_id": "1", "kind": "review", "text": "x", "author_handle": "a", '
            b'"created_at": "2026-01-01T00:00:00Z", "rating": 11}',
            "rating: must be a number from 0 to 5",
        ),
        (
            b'{"external_id": "1", "kind": "mention", "text": "x", "author_handle": "a", '
            b'"created_at": "2026-01-01T00:00:00Z", "media": [{"url": "javascript:alert(1)"}]}',
            r"media\[0\].url: must be an http\(s\) URL",
        ),
        (b'{"events": [' + b'{"x": 1},' * 600 + b'{"x": 1}]}', "at most 500 events"),
        (b"{" + b" " * 1_000_001 + b"}", "larger than"),
    ],
)
def test_a_malformed_body_names_what_is_wrong(body, message):
    with pytest.raises(MalformedBody, match=message) as raised:
        parse_events(body)

    assert raised.value.code == "malformed_body" and raised.value.status == 400
