"""Fixtures for the connector tests: a sandbox brand behind a live HTTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
def make_connector(sandbox_url: str) -> Iterator[Callable[..., MastodonConnector]]:
    """Return a factory for adapters pointed at the sandbox; their connections close after."""
    made: list[MastodonConnector] = []

    def make(token: str = BRAND_TOKEN, **options: Any) -> MastodonConnector:
        options.setdefault("timeout", 10)
        made.append(MastodonConnector(options.pop("url", sandbox_url), token, **options))
        return made[-1]

    yield make
    # A kept-alive connection left open would be closed by the live server's
    # request thread after the test database has gone.
    for connector in made:
        connector.close()


@pytest.fixture
def connector(sandbox_brand: SandboxAccount, make_connector: Any) -> MastodonConnector:
    """The Mastodon adapter, pointed at the sandbox as the brand, with short timeouts."""
    return make_connector(platform="sandbox")
