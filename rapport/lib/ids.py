"""Public ids in URLs and the API."""

from __future__ import annotations

import uuid

from rapport.lib.errors import NotFound


def parse_public_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """Return the UUID a caller gave, or raise NotFound: a malformed id names nothing."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}.") from None
