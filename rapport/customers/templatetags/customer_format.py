"""Template filters for customer pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


@register.filter
def iso_datetime(value: str | None) -> str:
    """Format an ISO 8601 timestamp from an export for people: "2026-05-03 14:02"."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "Y-m-d H:i")


@register.filter
def web_link(url: str | None) -> str:
    """Return the URL if it is an http(s) address, else nothing: never a javascript: link."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""
