"""The signed inbound webhook: one message per event however often it is delivered."""

from __future__ import annotations

import json
import time

import pytest

from rapport.channels import services
from rapport.connectors import webhook
from rapport.inbox.models import Conversation, Message

SECRET = "whsec_test_secret_for_northwind"


@pytest.fixture
def hook(ada):
    return services.create_channel(
        ada, name="Shop webhook", kind="webhook", secrets={"webhook_secret": SECRET}
    ).channel


def _body(**overrides):
    event = {
        "external_id": "order-review-77",
        "kind": "review",
        "text": "The grinder stopped after two weeks.",
        "author_handle": "maya@example.com",
        "author_email": "maya@example.com",
        "created_at": "2026-11-20T10:00:00Z",
        "rating": 2,
    }
    return json.dumps({**event, **overrides}).encode()


def _post(client, channel, body, headers):
    return client.generic(
        "POST",
        f"/channels/{channel.public_id}/webhook",
        body,
        content_type="application/json",
        headers=headers,
    )


def test_a_body_delivered_three_times_is_one_message(client, hook):
    body = _body()
    answers = [_post(client, hook, body, webhook.sign(SECRET, body)) for _ in range(3)]

    assert [a.status_code for a in answers] == [202, 200, 200]
    assert answers[0].json() == {"created": 1, "duplicates": 0}
    assert answers[2].json() == {"created": 0, "duplicates": 1}
    message = Message.objects.get(channel=hook)
    assert message.rating == 2.0 and message.external_id == "order-review-77"
    assert Conversation.objects.filter(channel=hook).count() == 1


def test_a_bad_signature_is_refused_and_nothing_is_written(client, hook):
    body = _body()

    answer = _post(client, hook, body, webhook.sign("not-the-secret", body))

    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
    assert not Message.objects.exists()


def test_an_old_timestamp_is_refused_even_with_a_good_signature(client, hook):
    body = _body()
    headers = webhook.sign(SECRET, body, timestamp=int(time.time()) - 3600)

    answer = _post(client, hook, body, headers)

    assert answer.status_code == 401 and answer.json()["code"] == "stale_request"
    assert not Message.objects.exists()


def test_a_malformed_body_is_refused_with_the_reason(client, hook):
    body = b'{"external_id": "x", "kind": "review"'

    answer = _post(client, hook, body, webhook.sign(SECRET, body))

    assert answer.status_code == 400 and answer.json()["code"] == "malformed_body"
    assert "not JSON" in answer.json()["message"]
    assert not Message.objects.exists()


def test_a_missing_field_is_named(client, hook):
    body = _body(text="")

    answer = _post(client, hook, body, webhook.sign(SECRET, body))

    assert answer.status_code == 400 and "text" in answer.json()["message"]
    assert not Message.objects.exists()


def test_unsigned_requests_and_unknown_webhooks_are_refused(client, hook, ada):
    body = _body()
    other = services.create_channel(ada, name="Form", kind="webform").channel

    assert _post(client, hook, body, {}).status_code == 401
    assert _post(client, other, body, webhook.sign(SECRET, body)).status_code == 404
    assert client.get(f"/channels/{hook.public_id}/webhook").status_code == 405
    assert not Message.objects.exists()


def test_a_paused_webhook_refuses_deliveries(client, hook, ada):
    services.pause_channel(ada, hook)
    body = _body()

    assert _post(client, hook, body, webhook.sign(SECRET, body)).status_code == 401
    assert not Message.objects.exists()


def test_a_generated_secret_is_returned_once_and_works(client, ada):
    created = services.create_channel(ada, name="Generated", kind="webhook")
    body = _body()

    answer = _post(client, created.channel, body, webhook.sign(created.webhook_secret, body))

    assert created.webhook_secret.startswith("whsec_") and answer.status_code == 202
