"""Field types shared by the API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator


def _aware(value: dt.datetime) -> dt.datetime:
    # A time without an offset is read as UTC, so it can be compared with the
    # aware datetimes the database stores instead of failing half-way through.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
"""A datetime from the client: ISO 8601, UTC when no offset is given."""
