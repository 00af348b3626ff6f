"""/api/v1/channels: admins write, the organisation reads, outsiders see nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rapport.accounts.models import AuditEntry
from rapport.channels import registry, services
from rapport.channels.models import Channel
from tests.channels.conftest import TOKEN, event

CONFIG: dict[str, Any] = {"base_url": "https://mastodon.example/", "hashtags": ["emberandoak"]}
SOCIAL: dict[str, Any] = {
    "name": "Mastodon",
    "kind": "mastodon",
    "config": CONFIG,
    "secrets": {"access_token": TOKEN},
}


def test_an_admin_adds_a_channel_and_the_token_is_stored_encrypted(api_as, ada):
    answer = api_as(ada).post("/channels", SOCIAL)

    assert answer.status_code == 201, answer.json_body
    body = answer.json_body
    assert body["kind"] == "mastodon" and body["health"] == "ok"
    assert body["config"] == {"base_url": "https://mastodon.example", "hashtags": ["emberandoak"]}
    assert body["secrets_set"] == ["access_token"]
    channel = Channel.objects.get(public_id=body["id"])
    assert TOKEN not in channel.secrets_encrypted
    assert registry.secrets_of(channel) == {"access_token": TOKEN}


def test_secrets_never_appear_in_api_output_or_the_audit_log(api_as, ada):
    client = api_as(ada)
    created = client.post("/channels", SOCIAL).json_body
    client.patch(f"/channels/{created['id']}", {"secrets": {"access_token": "rotated-TOKEN-2"}})

    outputs = [
        json.dumps(created),
        client.get("/channels").content.decode(),
        client.get(f"/channels/{created['id']}").content.decode(),
        json.dumps(list(AuditEntry.objects.values("changes", "object_label"))),
    ]

    for text in outputs:
        assert TOKEN not in text and "rotated-TOKEN-2" not in text
    update = AuditEntry.objects.get(action="channel.update")
    assert update.changes == {"secrets": [None, ["access_token"]]}


def test_everyone_in_the_organisation_reads_channels(api_as, ada, ana, alice, social):
    for user in (ana, alice):
        answer = api_as(user).get("/channels")
        assert answer.status_code == 200
        assert [c["name"] for c in answer.json()] == ["Social"]


def test_an_analyst_cannot_change_channels(api_as, ana, social):
    client = api_as(ana)

    assert client.post("/channels", SOCIAL).status_code == 403
    assert client.patch(f"/channels/{social.public_id}", {"name": "x"}).status_code == 403
    assert client.post(f"/channels/{social.public_id}/pause").status_code == 403
    assert client.post(f"/channels/{social.public_id}/check").status_code == 403
    assert client.delete(f"/channels/{social.public_id}").status_code == 403
    assert Channel.objects.get(pk=social.pk).name == "Social"


def test_an_outsider_sees_nothing(api_as, charlie, social):
    client = api_as(charlie)

    assert client.get("/channels").json() == []
    assert client.get(f"/channels/{social.public_id}").status_code == 404
    assert client.patch(f"/channels/{social.public_id}", {"name": "x"}).status_code == 404
    assert client.post(f"/channels/{social.public_id}/pause").status_code == 404
    assert client.delete(f"/channels/{social.public_id}").status_code == 404


def test_pause_and_resume(api_as, ada, social):
    client = api_as(ada)

    paused = client.post(f"/channels/{social.public_id}/pause").json_body
    resumed = client.post(f"/channels/{social.public_id}/resume").json_body

    assert paused["paused"] and paused["health"] == "paused" and paused["next_sync_at"] is None
    assert not resumed["paused"] and resumed["health"] == "ok" and resumed["next_sync_at"]


def test_check_connection_says_what_happened(api_as, ada, social, platform):
    answer = api_as(ada).post(f"/channels/{social.public_id}/check")

    assert answer.status_code == 200
    assert answer.json_body["ok"] is True and "Connected" in answer.json_body["message"]


def test_check_connection_reports_a_refused_token(api_as, ada, social, platform):
    from rapport.connectors.base import AuthRequired

    platform.fetch_failures = [AuthRequired("The access token is invalid")]

    body = api_as(ada).post(f"/channels/{social.public_id}/check").json_body

    assert body["ok"] is False and "refused" in body["message"]


def test_a_channel_without_conversations_is_deleted(api_as, ada, social):
    assert api_as(ada).delete(f"/channels/{social.public_id}").status_code == 204

    assert not Channel.objects.filter(pk=social.pk).exists()


def test_a_channel_with_conversations_is_archived_and_its_secrets_destroyed(
    api_as, ada, social, platform
):
    platform.events = [event(1)]
    services.sync_channel(social.pk)

    assert api_as(ada).delete(f"/channels/{social.public_id}").status_code == 204

    channel = Channel.objects.get(pk=social.pk)
    assert not channel.is_active and channel.secrets_encrypted == ""
    assert api_as(ada).get(f"/channels/{social.public_id}").status_code == 404
    assert api_as(ada).post("/channels", {**SOCIAL, "name": "Social"}).status_code == 201


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**SOCIAL, "secrets": {}}, "missing_settings"),
        ({**SOCIAL, "config": {"base_url": "ftp://x"}}, "bad_url"),
        ({**SOCIAL, "config": {**CONFIG, "colour": "red"}}, "unknown_config"),
        ({**SOCIAL, "secrets": {"password": "x"}}, "unknown_secret"),
        ({**SOCIAL, "sync_interval_seconds": 1}, "bad_interval"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(api_as, ada, payload, code):
    answer = api_as(ada).post("/channels", payload)

    assert answer.status_code == 400 and answer.json_body["code"] == code
    assert not Channel.objects.exists()


def test_a_duplicate_name_is_a_conflict(api_as, ada, social):
    answer = api_as(ada).post("/channels", {**SOCIAL, "name": "social"})

    assert answer.status_code == 409 and answer.json_body["code"] == "name_taken"


def test_the_list_costs_a_fixed_number_of_queries(
    api_as, ada, social, django_assert_max_num_queries
):
    client = api_as(ada)
    for n in range(5):
        services.create_channel(ada, name=f"Form {n}", kind="webform")

    with django_assert_max_num_queries(6):
        answer = client.get("/channels")

    assert len(answer.json()) == 6
