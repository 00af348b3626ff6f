"""Fixtures for the sandbox network: a brand with a token, customers, an API client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from rapport.sandbox import services
from rapport.sandbox.models import SandboxAccount

BRAND_TOKEN = "test-brand-token"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Rate-limit counters live in the cache, keyed by account id: start each test at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def brand(db: Any) -> SandboxAccount:
    return services.create_account(
        username="emberandoak",
        display_name="Ember & Oak Coffee",
        is_brand=True,
        access_token=BRAND_TOKEN,
    )


@pytest.fixture
def customer_factory(db: Any):
    """Return a factory: customer_factory("maya") -> an account with token "token-maya"."""

    def make(username: str, display_name: str = "") -> SandboxAccount:
        return services.create_account(
            username=username,
            display_name=display_name or username.title(),
            access_token=f"token-{username}",
        )

    return make


class SandboxClient:
    """A test client for /sandbox/api/ that sends a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/sandbox/api{path}", params, headers=self.headers)

    def post(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/sandbox/api{path}",
            data=json.dumps(data or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def post_form(self, path: str, data: Any) -> Any:
        return self.client.post(f"/sandbox/api{path}", data=data, headers=self.headers)


@pytest.fixture
def api():
    """Return a factory: api("token") -> SandboxClient."""
    return SandboxClient
