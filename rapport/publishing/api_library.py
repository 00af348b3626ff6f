"""/api/v1/publishing/ endpoints for the asset library, platform research and the calendar."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["publishing"])
