"""Fixtures for the posts backend tests: social accounts on a live sandbox, assets, a customer.

Imported by name from the test modules that use them (the package has no
conftest of its own, so the library helper's fixtures and these stay apart).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from rapport.accounts.models import Organisation, User
from rapport.channels import services as channels
from rapport.channels.models import Channel
from rapport.publishing.models import Asset, AssetKind
from rapport.sandbox import services as sandbox
from rapport.sandbox.models import SandboxAccount

BRAND_TOKEN = "publishing-test-brand-token"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The sandbox's rate-limit counters live in the cache.
    cache.clear()
    yield
    cache.clear()


def png_bytes(colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


def make_image_asset(org: Organisation, owner: User | None = None, **fields: Any) -> Asset:
    asset = Asset(
        organisation=org,
        kind=AssetKind.IMAGE,
        title=fields.pop("title", "Autumn latte"),
        alt_text="A latte with a leaf drawn in the foam",
        mime_type="image/png",
        owner=owner,
        **fields,
    )
    data = png_bytes()
    asset.file.save("latte.png", ContentFile(data), save=False)
    asset.size = len(data)
    asset.save()
    return asset


@pytest.fixture
def brand(db: Any) -> SandboxAccount:
    return sandbox.create_account(
        username="emberandoak", display_name="Ember & Oak", is_brand=True, access_token=BRAND_TOKEN
    )


@pytest.fixture
def account(ada: User, brand: SandboxAccount) -> Channel:
    """Northwind's sandbox account, pointing nowhere (for tests that never publish)."""
    return channels.create_channel(
        ada,
        name="Sandbox social",
        kind="sandbox",
        config={"base_url": "http://sandbox.invalid/sandbox"},
        secrets={"access_token": BRAND_TOKEN},
    ).channel


@pytest.fixture
def live_account(
    transactional_db: Any, live_server: Any, ada: User, brand: SandboxAccount
) -> Channel:
    """Northwind's sandbox account on the live test server: publishing goes over real HTTP."""
    return channels.create_channel(
        ada,
        name="Sandbox social",
        kind="sandbox",
        config={"base_url": f"{live_server.url}/sandbox"},
        secrets={"access_token": BRAND_TOKEN},
    ).channel


@pytest.fixture
def image(org: Organisation, mara: User) -> Asset:
    return make_image_asset(org, mara)


def soon(minutes: float = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)
