"""Fixtures for the connector tests: a sandbox brand behind a live HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from rapport.connectors.mastodon import MastodonConnector
from rapport.sandbox import services
from rapport.sandbox.models import SandboxAccount

BRAND_TOKEN = "connector-test-brand-token"


@pytest.fixture
def sandbox_brand(transactional_db: Any) -> Iterator[SandboxAccount]:
    cache.clear()
    yield services.create_account(
        username="emberandoak", display_name="Ember & Oak", is_brand=True, access_token=BRAND_TOKEN
    )
    cache.clear()


@pytest.fixture
def customer(sandbox_brand: SandboxAccount) -> SandboxAccount:
    return services.create_account(username="maya_okafor", display_name="Maya Okafor")


@pytest.fixture
def sandbox_url(live_server: Any) -> str:
    return f"{live_server.url}/sandbox"


@pytest.fixture
def connector(sandbox_brand: SandboxAccount, sandbox_url: str) -> MastodonConnector:
    """The Mastodon adapter, pointed at the sandbox as the brand, with short timeouts."""
    return MastodonConnector(sandbox_url, BRAND_TOKEN, platform="sandbox", timeout=10)
