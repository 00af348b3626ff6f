"""Opaque keyset-pagination cursors: a timestamp and a primary key, base64 in a URL.

Every cursor-paginated list orders by (time, id) descending and resumes after
the last row it returned; the cursor carries exactly those two values.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from rapport.lib.errors import DomainError


def encode_cursor(at: dt.datetime, pk: int) -> str:
    """Return the cursor that resumes a list after the row (at, pk)."""
    raw = json.dumps([at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """Return the (at, pk) a cursor carries; a forged or garbled one is a clear 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = json.loads(base64.urlsafe_b64decode(padded))
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("a cursor's time carries its offset")
        return parsed, int(pk)
    except (ValueError, TypeError):
        # binascii, JSON and Unicode decoding errors are all ValueErrors.
        raise DomainError("The cursor is not valid.", code="bad_cursor") from None
