"""Inbound webhooks, the pure part: HMAC signatures with a replay window, and JSON to events.

A sender signs `"<unix timestamp>." + body` with HMAC-SHA256 and sends

    X-Rapport-Timestamp: 1767225600
    X-Rapport-Signature: v1=<hex digest>[,v1=<hex digest>...]

Several `v1=` values let a sender sign with an old and a new secret while a
secret is being rotated; the receiver may also hold several secrets. A request
older or newer than the replay window is refused even with a good signature,
so a captured request cannot be replayed later. (Replays inside the window are
absorbed by ingest, which dedupes on the event's external id.)

The body is either one event object or `{"events": [...]}`; see `parse_events`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from rapport.connectors.base import Permanent
from rapport.connectors.events import EventKind, InboundEvent, MediaRef
from rapport.connectors.text import clean_text

TIMESTAMP_HEADER = "X-Rapport-Timestamp"
SIGNATURE_HEADER = "X-Rapport-Signature"
REPLAY_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
MAX_EVENTS = 500
MAX_TEXT_CHARS = 20_000
_SCHEME = "v1"


class WebhookError(Permanent):
    """A webhook request that must be refused; `code` is stable for the HTTP answer."""

    code = "webhook_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, status=400)


class BadSignature(WebhookError):
    code = "bad_signature"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = 401


class StaleRequest(WebhookError):
    code = "stale_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = 401


class MalformedBody(WebhookError):
    code = "malformed_body"


# --- Signatures ----------------------------------------------------------------------


def _digest(secret: str | bytes, timestamp: int, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Return the two headers that sign `body` with `secret` now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{_SCHEME}={_digest(secret, timestamp, body)}",
    }


def verify(
    secrets: str | bytes | Iterable[str | bytes],
    body: bytes,
    *,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
    window: int = REPLAY_WINDOW_SECONDS,
) -> int:
    """Check a request's signature and age; return its timestamp or raise a WebhookError."""
    if not timestamp or not signature:
        raise BadSignature(f"The {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required.")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be a Unix time in seconds.") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > window:
        raise StaleRequest(
            f"The request was signed {int(now - sent_at)} seconds from now; "
            f"the limit is {window} seconds either way."
        )
    offered = [
        part.strip()[len(_SCHEME) + 1 :]
        for part in signature.split(",")
        if part.strip().startswith(f"{_SCHEME}=")
    ]
    if not offered:
        raise BadSignature(f"{SIGNATURE_HEADER} has no {_SCHEME}= signature.")
    keys = [secrets] if isinstance(secrets, str | bytes) else list(secrets)
    for key in keys:
        expected = _digest(key, sent_at, body)
        # compare_digest on every candidate: no early exit that times the secret.
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return sent_at
    raise BadSignature("The signature does not match the body.")


# --- Body --------------------------------------------------------------------------------

_REQUIRED = ("external_id", "kind", "text", "author_handle", "created_at")
_OPTIONAL_STRINGS = (
    "author_name",
    "author_email",
    "thread_id",
    "parent_id",
    "url",
    "subject",
    "language",
)


def parse_events(
    body: bytes, *, platform: str = "webhook", max_events: int = MAX_EVENTS
) -> list[InboundEvent]:
    """Parse a JSON body into events, or raise MalformedBody naming the first bad field."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedBody(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("The body is not UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"The body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if isinstance(payload, Mapping) and "events" in payload:
        items = payload["events"]
        where = "events"
        if not isinstance(items, list):
            raise MalformedBody("events: must be a list of event objects.")
    elif isinstance(payload, Mapping):
        items, where = [payload], "event"
    else:
        raise MalformedBody('The body must be an event object or {"events": [...]}.')
    if len(items) > max_events:
        raise MalformedBody(f"{where}: at most {max_events} events in one request.")
    return [
        _event(item, platform, f"{where}[{index}]" if where == "events" else where)
        for index, item in enumerate(items)
    ]


def _event(item: Any, platform: str, where: str) -> InboundEvent:
    if not isinstance(item, Mapping):
        raise MalformedBody(f"{where}: must be an object.")
    for name in _REQUIRED:
        if item.get(name) in (None, ""):
            raise MalformedBody(f"{where}.{name}: is required.")
    strings = {name: _string(item, name, where) for name in _OPTIONAL_STRINGS}
    kind_value = item["kind"]
    try:
        kind = EventKind(kind_value)
    except ValueError:
        allowed = ", ".join(k.value for k in EventKind)
        raise MalformedBody(f"{where}.kind: {kind_value!r} is not one of {allowed}.") from None
    text = _string(item, "text", where)
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedBody(f"{where}.text: longer than {MAX_TEXT_CHARS} characters.")
    is_public = item.get("is_public", True)
    if not isinstance(is_public, bool):
        raise MalformedBody(f"{where}.is_public: must be true or false.")
    return InboundEvent(
        platform=_string(item, "platform", where) or platform,
        external_id=_string(item, "external_id", where)[:255],
        kind=kind,
        text=clean_text(text),
        author_handle=_string(item, "author_handle", where)[:255],
        created_at=_datetime(item["created_at"], f"{where}.created_at"),
        author_name=clean_text(strings["author_name"])[:255],
        author_email=strings["author_email"][:254],
        thread_id=strings["thread_id"] or None,
        parent_id=strings["parent_id"] or None,
        url=strings["url"],
        subject=clean_text(strings["subject"])[:500],
        is_public=is_public,
        rating=_rating(item.get("rating"), f"{where}.rating"),
        language=strings["language"] or None,
        media=_media(item.get("media", []), f"{where}.media"),
        metadata=_metadata(item.get("metadata", {}), f"{where}.metadata"),
    )


def _string(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedBody(f"{where}.{name}: must be a string.")
    return str(value)


def _datetime(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise MalformedBody(f"{where}: must be an ISO 8601 string.")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedBody(f"{where}: {value!r} is not an ISO 8601 date and time.") from None
    if parsed.tzinfo is None:
        raise MalformedBody(f"{where}: needs a time zone (for example 'Z' or '+01:00').")
    return parsed


def _rating(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedBody(f"{where}: must be a number from 0 to 5.")
    if not 0 <= value <= 5:
        raise MalformedBody(f"{where}: must be a number from 0 to 5.")
    return float(value)


def _media(value: Any, where: str) -> tuple[MediaRef, ...]:
    if not isinstance(value, list):
        raise MalformedBody(f"{where}: must be a list.")
    refs = []
    for index, entry in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("url"), str):
            raise MalformedBody(f"{here}: must be an object with a url.")
        if not entry["url"].startswith(("https://", "http://")):
            raise MalformedBody(f"{here}.url: must be an http(s) URL.")
        size = entry.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise MalformedBody(f"{here}.size: must be a whole number of bytes.")
        refs.append(
            MediaRef(
                url=entry["url"],
                mime_type=_string(entry, "mime_type", here),
                description=clean_text(_string(entry, "description", here)),
                size=size,
                filename=clean_text(_string(entry, "filename", here)),
            )
        )
    return tuple(refs)


def _metadata(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise MalformedBody(f"{where}: must be an object of strings.")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise MalformedBody(f"{where}: keys and values must be strings.")
    return dict(value)
