"""Channel pages: the list with health, the channel page, adding, checking, pausing, removing."""

from __future__ import annotations

from rapport.channels import registry
from rapport.channels.models import Channel, ChannelHealth
from tests.channels.conftest import TOKEN


def test_the_list_shows_each_channel_with_its_health(web_as, ana, social):
    Channel.objects.filter(pk=social.pk).update(health=ChannelHealth.AUTH_REQUIRED)

    page = web_as(ana).get("/channels/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "Social" in body and "Needs authorisation" in body and "health-auth_required" in body
    assert "Add a channel" not in body  # analysts read only


def test_the_sidebar_links_to_channels(web_as, alice):
    assert 'href="/channels/"' in web_as(alice).get("/").content.decode()


def test_the_channel_page_shows_status_without_secrets(web_as, ada, social):
    page = web_as(ada).get(f"/channels/{social.public_id}/")

    body = page.content.decode()
    assert page.status_code == 200
    for text in ("Last success", "Last error", "Messages today", "Check connection", "Pause"):
        assert text in body
    assert "access_token" in body and TOKEN not in body


def test_an_admin_adds_a_channel_from_the_form(web_as, ada):
    answer = web_as(ada).post(
        "/channels/new/",
        {
            "name": "Mastodon",
            "kind": "mastodon",
            "sync_interval_seconds": 60,
            "base_url": "https://mastodon.example",
            "hashtags": "#emberandoak coffee",
            "access_token": TOKEN,
        },
    )

    channel = Channel.objects.get(name="Mastodon")
    assert answer.status_code == 302 and answer["Location"].endswith(f"{channel.public_id}/")
    assert channel.config == {
        "base_url": "https://mastodon.example",
        "hashtags": ["emberandoak", "coffee"],
    }
    assert registry.secrets_of(channel) == {"access_token": TOKEN}


def test_a_missing_token_is_shown_as_a_form_error(web_as, ada):
    answer = web_as(ada).post(
        "/channels/new/",
        {
            "name": "M",
            "kind": "mastodon",
            "sync_interval_seconds": 60,
            "base_url": "https://m.example",
        },
    )

    assert answer.status_code == 200 and "needs: access_token" in answer.content.decode()
    assert not Channel.objects.exists()


def test_saving_settings_with_an_empty_secret_keeps_the_stored_one(web_as, ada, social):
    web_as(ada).post(
        f"/channels/{social.public_id}/",
        {"name": "Social media", "sync_interval_seconds": 30, "base_url": "https://m.example"},
    )

    social.refresh_from_db()
    assert social.name == "Social media" and social.sync_interval_seconds == 30
    assert registry.secrets_of(social) == {"access_token": TOKEN}


def test_check_connection_answers_in_place(web_as, ada, social, platform):
    answer = web_as(ada).post(
        f"/channels/{social.public_id}/check/", headers={"HX-Request": "true"}
    )

    assert answer.status_code == 200 and "Connected" in answer.content.decode()


def test_pause_then_resume_from_the_page(web_as, ada, social):
    client = web_as(ada)

    client.post(f"/channels/{social.public_id}/pause/")
    social.refresh_from_db()
    assert social.is_paused
    client.post(f"/channels/{social.public_id}/pause/")
    social.refresh_from_db()
    assert not social.is_paused


def test_others_cannot_manage_and_outsiders_see_nothing(web_as, ana, charlie, social):
    assert web_as(ana).get("/channels/new/").status_code == 403
    assert web_as(ana).post(f"/channels/{social.public_id}/pause/").status_code == 403
    assert web_as(ana).post(f"/channels/{social.public_id}/remove/").status_code == 403
    assert web_as(charlie).get(f"/channels/{social.public_id}/").status_code == 404
    assert web_as(charlie).post(f"/channels/{social.public_id}/remove/").status_code == 404
    assert Channel.objects.filter(pk=social.pk, is_active=True).exists()


def test_remove_from_the_page(web_as, ada, social):
    answer = web_as(ada).post(f"/channels/{social.public_id}/remove/")

    assert answer.status_code == 302 and not Channel.objects.filter(pk=social.pk).exists()


def test_a_webhook_added_without_a_polling_interval_gets_the_default(web_as, ada):
    answer = web_as(ada).post("/channels/new/", {"name": "Shop", "kind": "webhook"})

    channel = Channel.objects.get(name="Shop")
    assert answer.status_code == 302 and channel.sync_interval_seconds == 60
    assert set(registry.secrets_of(channel)) == {"webhook_secret"}


def test_a_bad_polling_interval_is_a_form_error(web_as, ada):
    answer = web_as(ada).post(
        "/channels/new/", {"name": "Shop", "kind": "webhook", "sync_interval_seconds": "often"}
    )

    assert answer.status_code == 200 and "Enter a whole number" in answer.content.decode()
    assert not Channel.objects.exists()


def test_the_settings_form_offers_only_the_fields_of_the_channels_kind(web_as, ada, social):
    page = web_as(ada).get(f"/channels/{social.public_id}/").content.decode()

    assert 'name="access_token"' in page and 'name="base_url"' in page
    assert 'name="webhook_secret"' not in page and 'name="imap_host"' not in page
    assert "Next check" in page


def test_a_pushed_channel_has_no_polling_settings(web_as, ada):
    web_as(ada).post("/channels/new/", {"name": "Shop", "kind": "webhook"})
    channel = Channel.objects.get(name="Shop")

    page = web_as(ada).get(f"/channels/{channel.public_id}/").content.decode()

    assert 'name="webhook_secret"' in page and 'name="sync_interval_seconds"' not in page
    assert "Next check" not in page
