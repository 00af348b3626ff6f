"""Talking to platforms: one adapter per platform, normalised events out.

A pure library: it never imports Django, so it can be tested and reused alone.
"""

from rapport.connectors.events import EventKind, InboundEvent, MediaRef

__all__ = ["EventKind", "InboundEvent", "MediaRef"]
