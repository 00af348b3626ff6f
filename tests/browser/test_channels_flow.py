"""An admin connects channels in the browser: adds them, checks them, pauses and resumes them."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Mapping

import pytest
from playwright.sync_api import Page, expect

from rapport.channels.models import Channel
from rapport.connectors import webhook
from rapport.sandbox import services as sandbox
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD

BRAND_TOKEN = "browser-test-brand-token"


@pytest.fixture(autouse=True)
def _sandbox_on(settings):
    settings.RAPPORT_SANDBOX_ENABLED = True


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/?next=/channels/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Channels")).to_be_visible()


def _deliver(url: str, secret: str, event: Mapping[str, object]) -> int:
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **webhook.sign(secret, body)},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
        return int(answer.status)


def test_admin_adds_checks_pauses_and_resumes_a_webhook_channel(page: Page, live_server, ada):
    _log_in(page, live_server.url, ada.email)
    page.get_by_role("link", name="Add a channel").click()

    page.get_by_label("Name").fill("Shop orders")
    page.get_by_label("Kind").select_option("webhook")
    # Only the fields of the chosen kind are offered.
    expect(page.get_by_label("Access token")).to_be_hidden()
    expect(page.get_by_label("Webhook signing secret")).to_be_visible()
    expect(page.get_by_label("Check every (seconds)")).to_be_hidden()  # pushed, not polled
    page.screenshot(path=str(ARTIFACTS / "channels-add.png"), full_page=True)
    page.get_by_role("button", name="Add channel").click()

    expect(page.get_by_role("heading", name="Shop orders")).to_be_visible()
    secret_flash = page.locator(".flash", has_text="Signing secret").inner_text()
    secret = re.search(r"whsec_[\w-]+", secret_flash)
    assert secret is not None
    page.get_by_role("button", name="Check connection").click()
    expect(page.locator("#check-result")).to_contain_text("Waiting for signed POST requests")

    channel = Channel.objects.get(name="Shop orders")
    address = f"{live_server.url}/channels/{channel.public_id}/webhook"
    event = {
        "external_id": "order-1001",
        "kind": "review",
        "text": "The grinder arrived with a dent in it.",
        "author_handle": "maya@example.com",
        "created_at": "2026-11-23T09:00:00Z",
    }
    assert _deliver(address, secret.group(0), event) == 202
    page.reload()
    status = page.locator("section.card", has=page.get_by_role("heading", name="Status"))
    expect(status.get_by_role("row", name=re.compile("Messages today"))).to_contain_text("1")
    expect(status.get_by_role("row", name=re.compile("Last success"))).to_contain_text("just now")

    page.get_by_role("button", name="Pause").click()
    expect(page.locator("h1 .badge")).to_have_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("h1 .badge")).to_have_text("Working")
    page.screenshot(path=str(ARTIFACTS / "channels-detail.png"), full_page=True)

    page.get_by_role("link", name="← Channels").click()
    row = page.get_by_role("row", name=re.compile("Shop orders"))
    expect(row).to_contain_text("Inbound webhook")
    expect(row).to_contain_text("Working")
    expect(row.locator("td").nth(3)).to_have_text("just now")
    expect(row.locator("td").nth(5)).to_have_text("1")


def test_admin_connects_the_sandbox_and_the_check_names_the_account(page: Page, live_server, ada):
    sandbox.create_account(
        username="emberandoak",
        display_name="Ember & Oak Coffee",
        is_brand=True,
        access_token=BRAND_TOKEN,
    )
    _log_in(page, live_server.url, ada.email)
    page.get_by_role("link", name="Add a channel").click()

    page.get_by_label("Name").fill("Social (sandbox)")
    page.get_by_label("Kind").select_option("sandbox")
    expect(page.get_by_label("Webhook signing secret")).to_be_hidden()
    page.get_by_label("Server address").fill(f"{live_server.url}/sandbox")
    page.get_by_label("Access token").fill(BRAND_TOKEN)
    page.get_by_role("button", name="Add channel").click()
    page.get_by_role("button", name="Check connection").click()

    expect(page.locator("#check-result")).to_contain_text("Connected as @emberandoak")
    page.screenshot(path=str(ARTIFACTS / "channels-sandbox.png"), full_page=True)
    page.get_by_role("link", name="← Channels").click()
    page.screenshot(path=str(ARTIFACTS / "channels-list.png"), full_page=True)
    expect(page.get_by_role("row", name=re.compile("Social"))).to_contain_text("Sandbox")
