# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Compliance checks on public text, on posts, and on the inbox's public replies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox import services as inbox
from rapport.inbox.models import Conversation, Message
from rapport.publishing import services
from rapport.publishing.compliance import check_text, phone_numbers, shouting
from rapport.publishing.constraints import check_variant, graphemes, length
from rapport.publishing.models import AssetSource, Campaign
from rapport.publishing.services import VariantInput
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    account,
    brand,
    make_image_asset,
)


def codes(text: str, **kwargs) -> dict[str, str]:
    return {f.code: f.severity for f in check_text(text, **kwargs)}


@pytest.mark.parametrize(
    "text,code",
    [
        ("Ring 020 7946 0958 for bookings", "personal_phone"),
        ("Call +1 (415) 555-0132 today", "personal_phone"),
        ("Write to maya.okafor@example.com", "personal_email"),
        ("Delivered to 221b Baker Street yesterday", "personal_address"),
        ("We are at SW1A 1AA", "personal_address"),
        ("Your order #482913 has shipped", "order_number"),
        ("Refund for order number AB-20931 issued", "order_number"),
    ],
)
def test_personal_details_in_public_text_are_found(text, code):
    assert code in codes(text)


def test_private_text_is_not_flagged_for_personal_details():
    assert (
        codes("Your order #482913 ships to 12 High Street; call 020 7946 0958", public=False) == {}
    )


@pytest.mark.parametrize(
    "text",
    [
        "Our new flat white costs 3.50 and opens at 7:30 on 12/11/2026",
        "50% off all week, 2 for 1 on Tuesdays",
        "Season 2026 starts with 300 new seats",
    ],
)
def test_ordinary_numbers_are_not_personal_details(text):
    assert not {"personal_phone", "personal_address", "order_number"} & set(codes(text))
    assert phone_numbers(text) == []


def test_spam_patterns_are_warnings():
    stuffed = "Buy now " + " ".join(f"#tag{n}" for n in range(8))
    links = " ".join(f"https://x.test/{n}" for n in range(5))

    assert codes(stuffed)["hashtag_stuffing"] == "warning"
    assert codes(links)["link_stuffing"] == "warning"
    assert codes("THIS IS THE BEST COFFEE IN THE WHOLE TOWN")["excessive_capitals"] == "warning"
    assert not shouting("Visit NASA and the BBC in London this weekend with friends")


def test_banned_words_match_whole_words_only():
    assert codes("That's cheap coffee", banned_words=["cheap"]) == {"banned_word": "blocking"}
    assert codes("Cheapside branch opens", banned_words=["cheap"]) == {}
    assert codes("guaranteed results", banned_words=[("guaranteed", False)]) == {
        "banned_word": "warning"
    }


def test_platform_limits():
    assert graphemes("e\u0301") == 1 and graphemes("\U0001f1ec\U0001f1e7") == 1
    assert length("mastodon", "see https://example.com/" + "a" * 100) == len("see ") + 23
    assert [f.code for f in check_variant("bluesky", text="hi", media_kinds=["video"])] == [
        "media_kind"
    ]
    assert {f.code for f in check_variant("instagram", text="hi https://x.test")} == {
        "media_required",
        "link_not_clickable",
    }
    assert check_variant("sandbox", text="a" * 500) == []
    assert [f.code for f in check_variant("sandbox", text="a" * 490, link="https://x.test/")] == [
        "too_long"
    ]


def test_assets_need_licence_attribution_and_permission(org, mara, account):
    today = timezone.localdate()
    expired = make_image_asset(
        org,
        mara,
        title="Stock photo",
        source=AssetSource.LICENSED,
        licence="Stock Co standard",
        licence_expires_on=today - dt.timedelta(days=1),
    )
    unlicensed = make_image_asset(org, mara, title="CC photo", source=AssetSource.CREATIVE_COMMONS)
    credited = make_image_asset(
        org,
        mara,
        title="Credited",
        attribution_required=True,
        attribution_text="Photo: Jo Bloggs",
    )
    ugc = make_image_asset(org, mara, title="Fan photo", source=AssetSource.UGC)
    post = services.create_post(
        mara,
        variants=[
            VariantInput(
                channel=account,
                text="Autumn in the shop",
                asset_ids=[
                    expired.public_id,
                    unlicensed.public_id,
                    credited.public_id,
                    ugc.public_id,
                ],
            )
        ],
    )

    found = {f.code for f in services.check_post(post) if f.severity == "blocking"}

    assert found == {
        "asset_licence_expired",
        "asset_no_licence",
        "asset_attribution_missing",
        "ugc_no_permission",
    }
    services.update_post(
        mara,
        post,
        variants=[
            VariantInput(
                channel=account,
                text="Autumn in the shop (Photo: Jo Bloggs)",
                asset_ids=[credited.public_id],
            )
        ],
    )
    assert [f for f in services.check_post(post) if f.blocking] == []


def test_a_competition_without_terms_is_blocked(org, mara, account):
    campaign = services.create_campaign(mara, name="Bake-off", kind="promotion")
    post = services.create_post(
        mara,
        campaign=campaign,
        variants=[VariantInput(channel=account, text="Win a year of free coffee!")],
    )
    assert "promotion_without_terms" in {f.code for f in services.check_post(post)}

    services.update_campaign(
        mara, Campaign.objects.get(pk=campaign.pk), terms="UK entrants over 18.",
        terms_url="https://x.test/terms",
    )  # fmt: skip
    codes_now = {f.code: f.severity for f in services.check_post(post)}
    assert codes_now == {"promotion_terms_not_linked": "warning"}


def test_the_same_text_on_two_accounts_is_flagged(ada, mara, account):
    from rapport.channels import services as channels

    second = channels.create_channel(
        ada,
        name="Second account",
        kind="mastodon",
        config={"base_url": "https://m.test"},
        secrets={"access_token": "t"},
    ).channel
    text = "Our autumn menu is here, come and try it"
    post = services.create_post(
        mara,
        variants=[
            VariantInput(channel=account, text=text),
            VariantInput(channel=second, text=text),
        ],
    )

    assert "repeated_text" in {f.code for f in services.check_post(post)}


def test_organisation_banned_words_block_scheduling(morgan, mara, account, api_as):
    api_as(morgan).post("/publishing/banned-words", {"word": "cheapest", "reason": "Policy 4.2"})
    post = services.create_post(
        mara, variants=[VariantInput(channel=account, text="The cheapest latte in town")]
    )
    services.submit_for_review(mara, post)

    with pytest.raises(Exception) as refused:
        services.schedule_post(mara, post, at=timezone.now() + dt.timedelta(hours=1))

    assert getattr(refused.value, "code", "") == "compliance_blocked"
    assert "cheapest" in str(refused.value)


# --- The inbox's public replies ------------------------------------------------------------------


@pytest.fixture
def conversation(account) -> Conversation:
    event = InboundEvent(
        platform="sandbox",
        external_id="777",
        kind=EventKind.MENTION,
        text="@emberandoak where is my order?",
        author_handle="maya",
        author_name="Maya",
        created_at=timezone.now(),
        thread_id="777",
    )
    inbox.ingest(account, [event])
    return Conversation.objects.get()


def test_a_public_reply_with_a_phone_number_is_refused(conversation, alice, api_as):
    path = f"/conversations/{conversation.public_id}/messages"
    api = api_as(alice)

    refused = api.post(path, {"text": "Call me on 020 7946 0958", "public": True})

    assert refused.status_code == 400, refused.json_body
    assert refused.json_body["code"] == "compliance_blocked"
    assert "phone number" in refused.json_body["message"]
    assert Message.objects.filter(direction="out").count() == 0

    private = api.post(path, {"text": "Call me on 020 7946 0958", "public": False})
    assert private.status_code == 201, private.json_body
