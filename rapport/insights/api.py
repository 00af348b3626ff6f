"""/api/v1/insights/ endpoints."""

from ninja import Router

router = Router(tags=["insights"])
