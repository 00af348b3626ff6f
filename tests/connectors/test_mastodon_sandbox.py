"""The Mastodon adapter against the sandbox over real HTTP on loopback, end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rapport.connectors import (
    AuthRequired,
    EventKind,
    MediaUpload,
    RateLimited,
    ReplyTarget,
    Transient,
)
from rapport.sandbox import services
from rapport.sandbox.models import SandboxStatus
from rapport.sandbox.personas import make_photo


def test_a_customer_post_is_fetched_and_the_reply_appears_in_its_thread(
    connector, customer, sandbox_brand
):
    posted = services.post_status(
        customer, text="@emberandoak my flat white was stone cold this morning. Not great."
    )

    result = connector.fetch(None, limit=50)

    assert [e.external_id for e in result.events] == [str(posted.pk)]
    event = result.events[0]
    assert event.kind == EventKind.MENTION
    assert event.platform == "sandbox"
    assert event.author_handle == "maya_okafor" and event.author_name == "Maya Okafor"
    assert event.text == "@emberandoak my flat white was stone cold this morning. Not great."
    assert event.thread_id == str(posted.pk) and event.parent_id is None
    assert event.is_public and event.url.endswith(f"/sandbox/@maya_okafor/{posted.pk}")
    assert event.created_at.tzinfo is not None

    sent = connector.reply(
        ReplyTarget.from_event(event),
        "So sorry, Maya! We'd love to make it right: next one is on us.",
        idempotency_key="reply-1",
    )

    reply = SandboxStatus.objects.get(pk=int(sent.external_id))
    assert reply.in_reply_to_id == posted.pk and reply.account_id == sandbox_brand.pk
    assert reply.text.startswith("@maya_okafor So sorry, Maya!")
    page = Client().get(f"/sandbox/@maya_okafor/{posted.pk}")
    assert "next one is on us" in page.content.decode()
    assert connector.fetch(result.next_cursor).events == ()


def test_a_customer_answer_to_the_brand_threads_under_the_first_post(connector, customer):
    first = services.post_status(customer, text="@emberandoak where is order #EO12345?")
    cursor = connector.fetch(None).next_cursor
    ours = connector.reply(
        ReplyTarget(external_id=str(first.pk), author_handle="maya_okafor"),
        "Looking into it now!",
        idempotency_key="r-1",
    )
    answer = services.post_status(
        customer, text="@emberandoak thanks, it's EO12345", in_reply_to=ours.external_id
    )

    events = connector.fetch(cursor).events

    assert len(events) == 1
    assert events[0].external_id == str(answer.pk)
    assert events[0].kind == EventKind.REPLY
    assert events[0].thread_id == str(first.pk)
    assert events[0].parent_id == ours.external_id


def test_a_comment_under_the_brands_own_post_is_a_comment(connector, customer):
    post = connector.publish("Our new Ethiopia Guji is in!", idempotency_key="launch")
    comment = services.post_status(
        customer, text="@emberandoak ooh, is it fruity?", in_reply_to=post.external_id
    )

    events = connector.fetch(None).events

    assert [(e.external_id, e.kind) for e in events] == [(str(comment.pk), EventKind.COMMENT)]


def test_a_fetch_is_bounded_by_its_limit_and_the_cursor_resumes_without_gaps(
    sandbox_brand, customer, make_connector
):
    connector = make_connector(page_size=5)
    posted = [
        services.post_status(customer, text=f"@emberandoak question number {n}").pk
        for n in range(12)
    ]

    first = connector.fetch(None, limit=7)
    second = connector.fetch(first.next_cursor, limit=50)
    third = connector.fetch(second.next_cursor, limit=50)

    assert [e.external_id for e in first.events] == [str(pk) for pk in posted[:7]]
    assert [e.external_id for e in second.events] == [str(pk) for pk in posted[7:]]
    assert third.events == ()


def test_a_direct_message_is_private_and_a_private_reply_stays_direct(connector, customer):
    services.post_status(
        customer, text="@emberandoak charged twice for order #EO55555", visibility="direct"
    )

    events = connector.fetch(None).events
    connector.reply(
        ReplyTarget.from_event(events[0]), "Refunded, sorry!", idempotency_key="dm-1", private=True
    )

    assert [e.kind for e in events] == [EventKind.DIRECT_MESSAGE]
    assert events[0].is_public is False
    reply = SandboxStatus.objects.get(in_reply_to_id=int(events[0].external_id))
    assert reply.visibility == "direct"


def test_listening_follows_hashtags_and_search_without_a_mention(
    sandbox_brand, customer, make_connector
):
    connector = make_connector(hashtags=["#EmberAndOak"])
    tagged = services.post_status(customer, text="Latte art attempt no. 3 #EmberAndOak")

    events = connector.fetch(None).events
    found = connector.listen("latte art")

    assert [(e.external_id, e.metadata["source"]) for e in events] == [(str(tagged.pk), "hashtag")]
    assert [e.external_id for e in found] == [str(tagged.pk)]


def test_the_same_idempotency_key_twice_creates_one_status(connector, sandbox_brand):
    first = connector.publish("Open till 7 tonight", idempotency_key="post-42")
    again = connector.publish("Open till 7 tonight", idempotency_key="post-42")
    other = connector.publish("Open till 7 tonight", idempotency_key="post-43")

    assert first.external_id == again.external_id != other.external_id
    assert SandboxStatus.objects.filter(account=sandbox_brand).count() == 2


def test_publish_with_media_profile_update_and_metrics(connector, sandbox_brand, customer):
    photo = MediaUpload(make_photo("latte"), "image/png", "latte.png", "A latte")
    post = connector.publish("Fresh roast!", idempotency_key="p-1", media=[photo])
    status = SandboxStatus.objects.get(pk=int(post.external_id))
    services.favourite(customer, status)
    services.reblog(customer, status)
    services.post_status(customer, text="@emberandoak want!", in_reply_to=status)
    services.follow(customer, sandbox_brand)

    profile = connector.update_profile(
        display_name="Ember & Oak Roasters", bio="Roasting since 2014.", avatar=photo
    )
    metrics = connector.metrics([post.external_id, "999999"])

    assert status.media_attachments.get().mime_type == "image/png"
    assert profile.display_name == "Ember & Oak Roasters" and profile.bio == "Roasting since 2014."
    assert "/sandbox/media/" in profile.avatar_url
    assert metrics.followers == 1
    assert metrics.posts[post.external_id].favourites == 1
    assert metrics.posts[post.external_id].boosts == 1
    assert metrics.posts[post.external_id].replies == 1
    assert metrics.posts[post.external_id].impressions is None
    assert "999999" not in metrics.posts


def test_a_forced_429_is_rate_limited_with_the_reset_time(connector):
    services.force_faults("rate_limited", retry_after_seconds=120)

    with pytest.raises(RateLimited) as raised:
        connector.fetch(None)

    expected = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    assert abs((raised.value.reset_at - expected).total_seconds()) < 15
    assert raised.value.status == 429


def test_once_the_rate_limit_is_used_up_no_request_is_made(connector, customer, settings):
    settings.SANDBOX_RATE_LIMIT = 2
    connector.me()  # request 1; the fetch's first request is the last one allowed

    with pytest.raises(RateLimited) as raised:
        connector.fetch(None)

    assert raised.value.status is None  # refused here, from the headers, without a request
    assert raised.value.reset_at > dt.datetime.now(dt.UTC)


@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_a_5xx_is_transient(connector, kind):
    services.force_faults(kind)

    with pytest.raises(Transient):
        connector.fetch(None)

    assert connector.fetch(None).events == ()  # the fault has passed


def test_a_401_requires_auth(sandbox_brand, make_connector):
    connector = make_connector("not-the-token")

    with pytest.raises(AuthRequired):
        connector.fetch(None)


def test_a_forced_401_requires_auth(connector):
    services.force_faults("unauthorized")

    with pytest.raises(AuthRequired):
        connector.metrics()


def test_an_unreachable_server_is_transient(sandbox_brand, make_connector):
    connector = make_connector("x", url="http://127.0.0.1:9/sandbox", timeout=2)

    with pytest.raises(Transient):
        connector.fetch(None)


def test_what_simulated_customers_post_arrives_through_the_adapter(connector, sandbox_brand):
    run = services.start_run(seed=5)
    report = services.advance(run, sim_seconds=3 * 3600)
    to_brand = SandboxStatus.objects.filter(
        pk__in=report.posts, mentions=sandbox_brand
    ).values_list("pk", flat=True)

    events = connector.fetch(None, limit=500).events

    assert run.brand_id == sandbox_brand.pk and len(to_brand) > 3
    assert sorted(int(e.external_id) for e in events) == sorted(to_brand)
    assert {e.author_handle for e in events} <= set(
        run.customers.values_list("account__username", flat=True)
    )


def test_find_own_post_finds_our_reply_under_its_parent_only(connector, customer):
    first = services.post_status(customer, text="@emberandoak is the shop open Sunday?")
    other = services.post_status(customer, text="@emberandoak and do you sell gift cards?")
    sent = connector.reply(
        ReplyTarget(external_id=str(first.pk), author_handle="maya_okafor"),
        "Yes, 9  to 3 on Sundays.",
        idempotency_key="sunday",
    )

    found = connector.find_own_post("Yes, 9 to 3 on Sundays.", in_reply_to=str(first.pk))

    # The @mention the adapter put in front, and spacing, do not hide it.
    assert found is not None and found.external_id == sent.external_id
    assert found.url.endswith(f"/{sent.external_id}")
    assert connector.find_own_post("Yes, 9 to 3 on Sundays.", in_reply_to=str(other.pk)) is None
    assert connector.find_own_post("Yes, 9 to 3 on Sundays.") is None  # not a top-level post
    assert connector.find_own_post("Closed on Sundays.", in_reply_to=str(first.pk)) is None


def test_find_own_post_matches_a_top_level_post_exactly(connector):
    posted = connector.publish("Our new Ethiopia Guji is in!", idempotency_key="guji")

    assert connector.find_own_post("Our new Ethiopia Guji is in!") == posted
    assert connector.find_own_post("Our new Ethiopia Guji") is None


def test_find_own_post_errors_are_typed(connector):
    services.force_faults("unauthorized")

    with pytest.raises(AuthRequired):
        connector.find_own_post("anything", in_reply_to="1")


def test_listings_page_forward_with_the_servers_links_and_our_page_size(
    connector, customer, sandbox_brand
):
    posted = [services.post_status(customer, text=f"@emberandoak question {n}") for n in range(7)]
    connector.page_size = 3

    result = connector.fetch(None, limit=100)

    assert [e.external_id for e in result.events] == [str(p.pk) for p in posted]
