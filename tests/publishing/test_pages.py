"""The publishing pages, for each role: they render, they refuse outsiders, lists stay cheap."""
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import User
from rapport.channels.models import Channel
from rapport.publishing import calendar as cal
from rapport.publishing import research, services
from rapport.publishing.models import (
    ApprovalRule,
    Asset,
    CalendarEntry,
    Campaign,
    EntryKind,
    Post,
    PostStatus,
    ProfileVersion,
    QueueSlot,
)
from tests.publishing.posts_fixtures import (  # noqa: F401  (fixtures)
    _fresh_cache,
    account,
    brand,
    image,
    make_image_asset,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(mara: User) -> Campaign:
    return services.create_campaign(
        mara,
        name="Autumn menu",
        kind="promotion",
        terms="While stocks last.",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
    )


@pytest.fixture
def post(mara: User, account: Channel, campaign: Campaign, image: Asset) -> Post:
    return services.create_post(
        mara,
        title="Autumn latte launch",
        campaign=campaign,
        variants=[
            services.VariantInput(
                channel=account.public_id,
                text="Our autumn latte is back. While stocks last.",
                asset_ids=(image.public_id,),
            )
        ],
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )


@pytest.fixture
def entry(mara: User, campaign: Campaign) -> CalendarEntry:
    return cal.create_entry(
        mara,
        kind=EntryKind.PROMOTION,
        title="Autumn menu launch",
        starts_at=timezone.localdate() + dt.timedelta(days=1),
        all_day=True,
        campaign=campaign,
    )


def _pages(post: Post, entry: CalendarEntry, campaign: Campaign, asset: Asset) -> list[str]:
    research_record = research.create_research(
        post.author, title="Where we post", brand="Warm café", target_customer="Locals 25-45"
    )
    fact = research.get_profile_for_user(post.author, "mastodon").facts.first()
    assert fact is not None
    return [
        reverse("publishing:post_list"),
        reverse("publishing:review_queue"),
        reverse("publishing:post_detail", args=[post.public_id]),
        reverse("publishing:calendar"),
        reverse("publishing:entry_detail", args=[entry.public_id]),
        reverse("publishing:asset_list"),
        reverse("publishing:asset_detail", args=[asset.public_id]),
        reverse("publishing:research"),
        reverse("publishing:research_compare"),
        reverse("publishing:platform_detail", args=["mastodon"]),
        reverse("publishing:fact_edit", args=[fact.public_id]),
        reverse("publishing:research_detail", args=[research_record.public_id]),
        reverse("publishing:campaign_list"),
        reverse("publishing:settings"),
        reverse("publishing:campaign_detail", args=[campaign.public_id]),
        reverse("publishing:profile_versions", args=[post.variants.first().channel.public_id]),  # type: ignore[union-attr]
    ]


WORK_PAGES = ["compose", "entry_create", "asset_create", "campaign_create"]


@pytest.mark.parametrize("role", ["ada", "morgan", "mara", "sam", "alice", "ana"])
def test_every_page_renders_for_each_role(
    role: str,
    request: Any,
    web_as: Any,
    post: Post,
    entry: CalendarEntry,
    campaign: Campaign,
    image: Asset,
) -> None:
    research.load_starting_set(post.organisation)
    user: User = request.getfixturevalue(role)
    client = web_as(user)

    for url in _pages(post, entry, campaign, image):
        response = client.get(url)
        assert response.status_code == 200, url
    for name in WORK_PAGES:
        response = client.get(reverse(f"publishing:{name}"))
        expected = 200 if role in ("ada", "morgan", "mara") else 403
        assert response.status_code == expected, name


def test_outsider_is_refused_everywhere(
    charlie: User,
    web_as: Any,
    post: Post,
    entry: CalendarEntry,
    campaign: Campaign,
    image: Asset,
) -> None:
    research.load_starting_set(post.organisation)
    client = web_as(charlie)

    for url in _pages(post, entry, campaign, image):
        if url in (
            reverse("publishing:post_list"),
            reverse("publishing:review_queue"),
            reverse("publishing:calendar"),
            reverse("publishing:asset_list"),
            reverse("publishing:research"),
            reverse("publishing:research_compare"),
            reverse("publishing:campaign_list"),
            reverse("publishing:settings"),
        ):
            continue  # their own (empty) organisation's lists
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("publishing:asset_file", args=[image.public_id])).status_code == 404
    # Their own organisation's lists show nothing of Northwind's.
    for name in ("post_list", "review_queue", "asset_list", "campaign_list", "research"):
        html = client.get(reverse(f"publishing:{name}")).content
        assert b"Autumn" not in html and b"Autumn latte" not in html, name


def _compose_data(account: Channel, text: str, **extra: Any) -> dict[str, Any]:
    return {"accounts": [str(account.public_id)], "text": text, "title": "Launch", **extra}


def test_live_check_flags_a_phone_number_and_shows_a_preview(
    mara: User, web_as: Any, account: Channel
) -> None:
    client = web_as(mara)

    flagged = client.post(
        reverse("publishing:compose_check"),
        _compose_data(account, "Call 020 7946 0958 to book!"),
        headers={"HX-Request": "true"},
    )
    clean = client.post(
        reverse("publishing:compose_check"), _compose_data(account, "Book at the counter!")
    )

    assert flagged.status_code == 200
    assert b"finding-blocking" in flagged.content and b"phone number" in flagged.content
    assert b"Call 020 7946 0958 to book!" in flagged.content  # the preview
    assert b"No problems found" in clean.content


def test_live_check_counts_against_the_platform_limit(
    mara: User, web_as: Any, account: Channel
) -> None:
    response = web_as(mara).post(
        reverse("publishing:compose_check"), _compose_data(account, "x" * 520)
    )

    assert b"520 / 500" in response.content
    assert b"counter over" in response.content


def test_composer_saves_a_draft_and_sends_it_for_review(
    mara: User, web_as: Any, account: Channel, image: Asset
) -> None:
    client = web_as(mara)

    response = client.post(
        reverse("publishing:compose"),
        _compose_data(
            account,
            "Autumn latte is back.",
            assets=[str(image.public_id)],
            first_comment="Menu on our site",
            action="submit",
        ),
    )

    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:post_detail", args=[post.public_id])
    variant = post.variants.get()
    assert (variant.text, variant.first_comment, list(variant.assets.all())) == (
        "Autumn latte is back.",
        "Menu on our site",
        [image],
    )
    assert post.status in (PostStatus.IN_REVIEW, PostStatus.APPROVED)


def test_composer_refuses_an_over_long_post_and_keeps_the_text(
    mara: User, web_as: Any, account: Channel
) -> None:
    response = web_as(mara).post(reverse("publishing:compose"), _compose_data(account, "y" * 600))

    assert response.status_code == 400
    assert b"y" * 600 in response.content
    assert not Post.objects.exists()


def test_composer_without_accounts_says_so(mara: User, web_as: Any) -> None:
    response = web_as(mara).post(reverse("publishing:compose"), {"text": "Hello"})

    assert response.status_code == 400
    assert b"Choose at least one account" in response.content


def test_manager_approves_and_schedules_from_the_post_page(
    ada: User, mara: User, morgan: User, web_as: Any, account: Channel
) -> None:
    services.set_approval_rule(ada, account, approver_role="manager")
    post = services.create_post(
        mara, variants=[services.VariantInput(channel=account, text="Pumpkin pie is here.")]
    )
    services.submit_for_review(mara, post)
    client = web_as(morgan)
    when = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    client.post(reverse("publishing:post_review", args=[post.public_id]), {"decision": "approve"})
    client.post(reverse("publishing:post_schedule", args=[post.public_id]), {"at": when})

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    page = client.get(reverse("publishing:post_detail", args=[post.public_id]))
    assert b"Approved" in page.content and b"Scheduled" in page.content


def test_a_past_schedule_time_is_refused_with_a_message(
    mara: User, web_as: Any, account: Channel
) -> None:
    post = services.create_post(
        mara, variants=[services.VariantInput(channel=account, text="Soup of the day.")]
    )
    services.submit_for_review(mara, post)
    client = web_as(mara)
    past = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("publishing:post_schedule", args=[post.public_id]), {"at": past}, follow=True
    )

    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert b"flash-error" in response.content


def test_agents_cannot_review_or_compose(
    alice: User, mara: User, web_as: Any, account: Channel
) -> None:
    post = services.create_post(
        mara, variants=[services.VariantInput(channel=account, text="Hot chocolate.")]
    )
    client = web_as(alice)

    assert (
        client.post(reverse("publishing:compose"), _compose_data(account, "x")).status_code == 403
    )
    assert (
        client.post(reverse("publishing:compose_check"), _compose_data(account, "x")).status_code
        == 403
    )
    client.post(reverse("publishing:post_cancel", args=[post.public_id]), {"reason": "no"})
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_outsider_cannot_act_on_a_post(
    charlie: User, mara: User, web_as: Any, account: Channel
) -> None:
    post = services.create_post(
        mara, variants=[services.VariantInput(channel=account, text="Hot chocolate.")]
    )
    client = web_as(charlie)

    for name in ("post_submit", "post_review", "post_schedule", "post_publish_now", "post_cancel"):
        response = client.post(
            reverse(f"publishing:{name}", args=[post.public_id]), {"reason": "x"}
        )
        assert response.status_code in (404, 302), name
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_lists_keep_their_query_count(
    mara: User,
    web_as: Any,
    account: Channel,
    campaign: Campaign,
    django_assert_max_num_queries: Any,
) -> None:
    client = web_as(mara)
    for n in range(15):
        post = services.create_post(
            mara,
            title=f"Post {n}",
            campaign=campaign,
            variants=[services.VariantInput(channel=account, text=f"Daily special {n}")],
        )
        if n % 2:
            services.submit_for_review(mara, post)

    for name in ("post_list", "review_queue", "campaign_list", "research"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(f"publishing:{name}")).status_code == 200
    with django_assert_max_num_queries(14):
        assert (
            client.get(reverse("publishing:campaign_detail", args=[campaign.public_id])).status_code
            == 200
        )


def test_composer_library_search_returns_matching_media(mara: User, web_as: Any, org: Any) -> None:
    make_image_asset(org, mara, title="Pumpkin pie")
    make_image_asset(org, mara, title="Iced tea")

    response = web_as(mara).get(
        reverse("publishing:asset_list") + "?picker=1&q=pumpkin", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b"Pumpkin pie" in response.content and b"Iced tea" not in response.content
    assert b"<html" not in response.content


def test_manager_sets_an_approval_rule_and_best_times(
    morgan: User, mara: User, web_as: Any, account: Channel
) -> None:
    client = web_as(morgan)

    client.post(
        reverse("publishing:account_rule", args=[account.public_id]),
        {"approvals_required": "2", "approver_role": "manager", "approvers": [str(mara.public_id)]},
    )
    client.post(
        reverse("publishing:account_slots", args=[account.public_id]),
        {"slots": "mon 09:00, Wed 12:30\nfri 8:15"},
    )
    page = client.get(reverse("publishing:settings"))

    rule = ApprovalRule.objects.get(channel=account)
    assert (rule.approvals_required, rule.approver_role) == (2, "manager")
    assert list(rule.approvers.all()) == [mara]
    slots = [(s.weekday, s.time) for s in QueueSlot.objects.filter(channel=account)]
    assert slots == [(0, dt.time(9, 0)), (2, dt.time(12, 30)), (4, dt.time(8, 15))]
    assert b"Mon 09:00, Wed 12:30, Fri 08:15" in page.content


def test_bad_best_times_are_refused_with_a_message(
    mara: User, web_as: Any, account: Channel
) -> None:
    response = web_as(mara).post(
        reverse("publishing:account_slots", args=[account.public_id]),
        {"slots": "someday 25:00"},
        follow=True,
    )

    assert b"flash-error" in response.content
    assert not QueueSlot.objects.exists()


def test_marketers_cannot_change_approval_rules(mara: User, web_as: Any, account: Channel) -> None:
    web_as(mara).post(
        reverse("publishing:account_rule", args=[account.public_id]), {"approvals_required": "1"}
    )

    assert not ApprovalRule.objects.exists()


def test_a_banned_word_shows_in_the_live_check(
    morgan: User, mara: User, web_as: Any, account: Channel
) -> None:
    web_as(morgan).post(
        reverse("publishing:banned_word"),
        {"word": "guaranteed", "reason": "Claims", "blocking": "1"},
    )

    response = web_as(mara).post(
        reverse("publishing:compose_check"), _compose_data(account, "Guaranteed the best latte")
    )

    assert b"finding-blocking" in response.content
    assert b"guaranteed" in response.content.lower()


def test_outsider_cannot_touch_settings(charlie: User, web_as: Any, account: Channel) -> None:
    client = web_as(charlie)

    rule = client.post(reverse("publishing:account_rule", args=[account.public_id]), {})
    slots = client.post(
        reverse("publishing:account_slots", args=[account.public_id]), {"slots": ""}
    )

    assert (rule.status_code, slots.status_code) == (404, 404)
    assert not ApprovalRule.objects.exists()


def test_asset_page_shows_the_licence_expiry_in_the_date_field(
    mara: User, web_as: Any, org: Any
) -> None:
    asset = make_image_asset(org, mara, licence="Stocky", licence_expires_on=dt.date(2026, 12, 18))

    html = web_as(mara).get(reverse("publishing:asset_detail", args=[asset.public_id])).content

    assert b'value="2026-12-18"' in html


def test_a_profile_version_is_recorded_from_its_page(
    mara: User, web_as: Any, account: Channel, image: Asset
) -> None:
    client = web_as(mara)
    url = reverse("publishing:profile_version_create", args=[account.public_id])

    client.post(
        url,
        {
            "display_name": "Ember & Oak",
            "bio": "Coffee, cake, neighbours.",
            "avatar": str(image.public_id),
            "links": "Menu https://example.com/menu\nhttps://example.com",
            "note": "Autumn look",
        },
    )
    page = client.get(reverse("publishing:profile_versions", args=[account.public_id]))

    version = ProfileVersion.objects.get(channel=account)
    assert (version.display_name, version.avatar) == ("Ember & Oak", image)
    assert version.links == [
        {"name": "Menu", "url": "https://example.com/menu"},
        {"name": "", "url": "https://example.com"},
    ]
    assert b"Coffee, cake, neighbours." in page.content and b"Apply" in page.content


def test_a_profile_link_must_be_a_web_address(mara: User, web_as: Any, account: Channel) -> None:
    response = web_as(mara).post(
        reverse("publishing:profile_version_create", args=[account.public_id]),
        {"display_name": "x", "links": "Shop javascript:alert(1)"},
        follow=True,
    )

    assert b"flash-error" in response.content
    assert not ProfileVersion.objects.exists()


def test_outsider_cannot_record_a_profile_version(
    charlie: User, web_as: Any, account: Channel
) -> None:
    response = web_as(charlie).post(
        reverse("publishing:profile_version_create", args=[account.public_id]), {"bio": "x"}
    )

    assert response.status_code == 404
    assert not ProfileVersion.objects.exists()


def test_editing_a_draft_moves_its_planned_time(mara: User, web_as: Any, post: Post) -> None:
    account = post.variants.get().channel
    when = (timezone.now() + dt.timedelta(days=5)).replace(second=0, microsecond=0)
    local = when.astimezone(mara.organisation.zone).strftime("%Y-%m-%dT%H:%M")

    response = web_as(mara).post(
        reverse("publishing:post_edit", args=[post.public_id]),
        _compose_data(account, "Our autumn latte is back. While stocks last.", planned_at=local),
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.scheduled_at == when
