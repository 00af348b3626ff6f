"""Delivery of replies: claimed once, posted once per idempotency key, even across timeouts."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from rapport.channels import services, tasks
from rapport.channels.models import Delivery
from rapport.connectors.base import Permanent, RateLimited, Transient
from rapport.inbox import services as inbox
from rapport.inbox.models import Conversation, DeliveryStatus, Message, Notification
from tests.channels.conftest import event, later, when


def _conversation(social, platform):
    platform.events = [event(1)]
    services.sync_channel(social.pk)
    return Conversation.objects.get(channel=social)


def test_a_reply_is_posted_under_the_customers_message(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="On its way today!")

    assert services.deliver_message(reply.pk) == "sent"

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT and reply.external_id == "post-1"
    assert platform.posts == [("1001", "On its way today!", reply.idempotency_key)]


def test_a_claimed_reply_cannot_be_claimed_again(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="Hello")

    first = services.claim_delivery(reply.pk)
    second = services.claim_delivery(reply.pk)

    assert first is not None and second is None
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENDING


def test_a_timeout_is_reconciled_before_any_retry_so_one_post_goes_out(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="Refund issued.")
    platform.lose_reply_answers = 1  # it posts, but the answer never reaches us

    assert services.deliver_message(reply.pk) == "retrying"

    delivery = Delivery.objects.get(message=reply)
    assert delivery.outcome_unknown and when(delivery.next_attempt_at) > timezone.now()
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SCHEDULED
    assert services.deliver_message(reply.pk) == "skipped"  # not before the retry time

    assert services.deliver_message(reply.pk, now=later()) == "sent"

    reply.refresh_from_db()
    assert len(platform.posts) == 1 and platform.reply_calls == 1
    assert reply.delivery_status == DeliveryStatus.SENT and reply.external_id == "post-1"


def test_a_timeout_before_posting_retries_with_the_same_key(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="Sorry about that")
    platform.reply_failures = [Transient("Connection reset before the request was sent")]

    services.deliver_message(reply.pk)
    assert services.deliver_message(reply.pk, now=later()) == "sent"

    assert platform.posts == [("1001", "Sorry about that", reply.idempotency_key)]


def test_a_rate_limited_reply_waits_for_the_reset(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="Checking now")
    reset = timezone.now() + dt.timedelta(minutes=3)
    platform.reply_failures = [RateLimited("slow down", reset_at=reset)]

    assert services.deliver_message(reply.pk) == "retrying"

    delivery = Delivery.objects.get(message=reply)
    assert when(delivery.next_attempt_at) > reset and not delivery.outcome_unknown
    assert services.due_delivery_ids() == []
    assert services.due_delivery_ids(reset + dt.timedelta(minutes=1)) == [reply.pk]


def test_a_refused_reply_fails_and_tells_its_author(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="x" * 10)
    platform.reply_failures = [Permanent("Validation failed: Text character limit exceeded")]

    assert services.deliver_message(reply.pk) == "failed"

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "character limit" in reply.delivery_error
    assert Notification.objects.filter(user=alice, kind="delivery_failed").exists()


def test_a_worker_that_died_mid_send_leaves_an_unknown_outcome_that_is_reconciled(
    social, platform, alice
):
    reply = inbox.reply(alice, _conversation(social, platform), text="Thanks for waiting")
    services.claim_delivery(reply.pk)
    platform.posts.append(("1001", "Thanks for waiting", reply.idempotency_key))  # it got out

    assert services.recover_stuck_deliveries(later(600)) == 1
    assert services.deliver_message(reply.pk, now=later(700)) == "sent"

    assert len(platform.posts) == 1 and platform.reply_calls == 0


def test_the_periodic_job_sends_waiting_replies_once(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="Hi!")

    assert tasks.deliver_scheduled_messages.call() == 1
    assert tasks.deliver_scheduled_messages.call() == 0

    assert len(platform.posts) == 1
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENT


def test_a_reply_on_a_web_form_goes_out_by_email(ada, alice, client):
    services.create_channel(ada, name="Web form", kind="webform")
    client.post(
        f"/contact/{ada.organisation.slug}/",
        {"name": "Maya", "email": "maya@example.com", "subject": "Beans", "message": "Decaf?"},
    )
    conversation = Conversation.objects.get()
    mail.outbox.clear()
    reply = inbox.reply(alice, conversation, text="Yes, Swiss Water decaf.")

    assert services.deliver_message(reply.pk) == "sent"

    assert [m.to for m in mail.outbox] == [["maya@example.com"]]
    assert mail.outbox[0].subject == "Re: Beans"


def test_the_platform_is_searched_only_after_an_unknown_outcome(social, platform, alice):
    reply = inbox.reply(alice, _conversation(social, platform), text="On its way.")
    platform.reply_failures = [RateLimited("slow down", reset_at=timezone.now())]

    assert services.deliver_message(reply.pk) == "retrying"  # refused: outcome known
    assert services.deliver_message(reply.pk, now=later()) == "sent"

    assert platform.lookups == 0 and len(platform.posts) == 1
