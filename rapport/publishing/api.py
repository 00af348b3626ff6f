"""/api/v1/publishing/ endpoints."""

from ninja import Router

router = Router(tags=["publishing"])
