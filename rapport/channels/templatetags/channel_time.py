"""Template filters for the channel pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(moment: dt.datetime | None) -> str:
    """Return "just now" within the last minute, else "3 minutes ago" (timesince's words)."""
    if moment is None:
        return ""
    if timezone.now() - moment < dt.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"
