"""/api/v1/surveys/ endpoints."""

from ninja import Router

router = Router(tags=["surveys"])
