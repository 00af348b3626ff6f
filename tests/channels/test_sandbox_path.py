"""The whole path over real HTTP: a customer posts on the sandbox, sync opens a conversation,
an agent replies, delivery posts it, and the reply is on the customer's thread."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rapport.channels import services
from rapport.channels.models import Channel, ChannelHealth
from rapport.connectors.base import Transient
from rapport.connectors.mastodon import MastodonConnector
from rapport.inbox import services as inbox
from rapport.inbox.models import Conversation, DeliveryStatus, Message
from rapport.sandbox import services as sandbox
from rapport.sandbox.models import SandboxStatus
from tests.channels.conftest import later

BRAND_TOKEN = "channels-test-brand-token"


@pytest.fixture
def live(transactional_db: Any, live_server: Any, ada: Any) -> Any:
    brand = sandbox.create_account(
        username="emberandoak", display_name="Ember & Oak", is_brand=True, access_token=BRAND_TOKEN
    )
    customer = sandbox.create_account(username="maya_okafor", display_name="Maya Okafor")
    channel = services.create_channel(
        ada,
        name="Social (sandbox)",
        kind="sandbox",
        config={"base_url": f"{live_server.url}/sandbox"},
        secrets={"access_token": BRAND_TOKEN},
    ).channel
    return brand, customer, channel


def test_a_customer_post_becomes_a_conversation_and_the_reply_appears_on_the_thread(live, alice):
    brand, customer, channel = live
    posted = sandbox.post_status(customer, text="@emberandoak my oat cortado order never came")

    assert services.sync_channel(channel.pk) == "synced"

    conversation = Conversation.objects.get(channel=channel)
    assert conversation.thread_key == str(posted.pk)
    assert "oat cortado" in Message.objects.get(conversation=conversation).text
    channel.refresh_from_db()
    assert channel.health == ChannelHealth.OK and channel.cursor

    reply = inbox.reply(alice, conversation, text="So sorry Maya, a fresh one is on its way!")
    assert services.deliver_message(reply.pk) == "sent"

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    ours = SandboxStatus.objects.get(pk=int(reply.external_id or 0))
    assert ours.account_id == brand.pk and ours.in_reply_to_id == posted.pk
    page = Client().get(f"/sandbox/@maya_okafor/{posted.pk}")
    assert "a fresh one is on its way" in page.content.decode()
    # Our own reply is not fetched back as a customer message.
    Channel.objects.filter(pk=channel.pk).update(next_sync_at=channel.created_at)
    assert services.sync_channel(channel.pk) == "synced"
    assert Message.objects.filter(channel=channel, direction="in").count() == 1


def test_a_reply_whose_answer_timed_out_is_found_on_the_sandbox_not_posted_again(
    live, alice, monkeypatch
):
    brand, customer, channel = live
    sandbox.post_status(customer, text="@emberandoak do you roast on site?")
    services.sync_channel(channel.pk)
    reply = inbox.reply(alice, Conversation.objects.get(), text="We do, every Tuesday!")
    real_reply = MastodonConnector.reply
    calls = []

    def posts_then_times_out(self: MastodonConnector, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["idempotency_key"])
        real_reply(self, *args, **kwargs)
        raise Transient("Read timed out. (read timeout=15)")

    monkeypatch.setattr(MastodonConnector, "reply", posts_then_times_out)

    assert services.deliver_message(reply.pk) == "retrying"
    assert services.deliver_message(reply.pk, now=later()) == "sent"

    assert calls == [reply.idempotency_key]  # reconciled, not retried
    assert SandboxStatus.objects.filter(account=brand).count() == 1
    reply.refresh_from_db()
    assert reply.external_id == str(SandboxStatus.objects.get(account=brand).pk)


def test_a_revoked_sandbox_token_marks_the_channel_auth_required(live, ada):
    _, _, channel = live
    sandbox.force_faults("unauthorized")

    assert services.sync_channel(channel.pk) == "auth_required"

    channel.refresh_from_db()
    assert channel.health == ChannelHealth.AUTH_REQUIRED
    assert services.check_connection(ada, channel).ok is True  # the fault was used up
