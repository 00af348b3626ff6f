# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Publishing exactly once: two workers, a timed-out attempt, retries and failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.connectors.base import Permanent, Transient
from rapport.connectors.mastodon import MastodonConnector
from rapport.inbox.models import Notification
from rapport.publishing import services
from rapport.publishing.models import Post, PostVariant, VariantStatus
from rapport.publishing.services import VariantInput
from rapport.sandbox.models import SandboxStatus
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    brand,
    live_account,
    soon,
)


def when(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value


def _scheduled(actor, channel, text="Cinnamon buns are out of the oven!") -> Post:
    post = services.create_post(actor, variants=[VariantInput(channel=channel, text=text)])
    services.submit_for_review(actor, post)
    return services.schedule_post(actor, post, at=soon(1))


def test_the_same_post_claimed_by_two_workers_publishes_once(live_account, brand, mara):
    post = _scheduled(mara, live_account)
    variant = post.variants.get()
    at = soon(2)

    # Worker A claims the variant; worker B, a moment later, finds it taken.
    claimed = services.claim_variant(variant.pk, now=at)
    assert claimed is not None
    assert services.publish_variant(variant.pk, now=at) == "skipped"
    assert services.claim_variant(variant.pk, now=at) is None
    # A's attempt is abandoned (its process died); after the lease the variant is
    # recovered with an unknown outcome and published once.
    assert services.recover_stuck_variants(now=at + services.PUBLISH_LEASE * 2) == 1
    later = at + services.PUBLISH_LEASE * 2
    assert services.publish_variant(variant.pk, now=later) == "published"
    assert services.publish_variant(variant.pk, now=later) == "skipped"

    assert SandboxStatus.objects.filter(account=brand).count() == 1
    post.refresh_from_db()
    assert post.status == "published"


def test_an_attempt_that_timed_out_is_found_on_the_sandbox_not_posted_again(
    live_account, brand, mara, monkeypatch
):
    post = _scheduled(mara, live_account)
    variant = post.variants.get()
    real_publish = MastodonConnector.publish
    keys: list[str] = []

    def posts_then_times_out(self: MastodonConnector, text: str, **kwargs: Any) -> Any:
        keys.append(kwargs["idempotency_key"])
        real_publish(self, text, **kwargs)
        raise Transient("Read timed out. (read timeout=15)")

    monkeypatch.setattr(MastodonConnector, "publish", posts_then_times_out)
    at = soon(2)

    assert services.publish_variant(variant.pk, now=at) == "retrying"
    variant.refresh_from_db()
    assert variant.outcome_unknown and when(variant.next_attempt_at) > at
    assert services.publish_variant(variant.pk, now=at + dt.timedelta(hours=2)) == "published"

    assert keys == [variant.idempotency_key]  # reconciled, not posted again
    assert SandboxStatus.objects.filter(account=brand).count() == 1
    variant.refresh_from_db()
    assert variant.external_id == str(SandboxStatus.objects.get(account=brand).pk)


def test_a_refused_post_fails_and_its_author_is_told(live_account, mara, monkeypatch):
    post = _scheduled(mara, live_account)
    variant = post.variants.get()

    def refuses(self: MastodonConnector, text: str, **kwargs: Any) -> Any:
        raise Permanent("Validation failed: Text character limit of 500 exceeded", status=422)

    monkeypatch.setattr(MastodonConnector, "publish", refuses)

    assert services.publish_variant(variant.pk, now=soon(2)) == "failed"

    post.refresh_from_db()
    variant.refresh_from_db()
    assert post.status == "failed" and variant.status == VariantStatus.FAILED
    assert "character limit" in variant.last_error
    assert "could not be published" in Notification.objects.get(user=mara, kind="post_failed").text


def test_retries_back_off_and_give_up(live_account, mara, monkeypatch):
    post = _scheduled(mara, live_account)
    variant = post.variants.get()

    def unavailable(self: MastodonConnector, text: str, **kwargs: Any) -> Any:
        raise Transient("503 Service Unavailable")

    monkeypatch.setattr(MastodonConnector, "publish", unavailable)
    monkeypatch.setattr(MastodonConnector, "find_own_post", lambda self, text, **kwargs: None)
    at = soon(2)
    waits = []
    for _ in range(services.MAX_PUBLISH_ATTEMPTS - 1):
        assert services.publish_variant(variant.pk, now=at) == "retrying"
        variant.refresh_from_db()
        waits.append(when(variant.next_attempt_at) - at)
        at = when(variant.next_attempt_at)

    assert services.publish_variant(variant.pk, now=at) == "failed"
    assert waits[1] > waits[0] and waits[-1] <= services.MAX_BACKOFF * 1.2
    assert PostVariant.objects.get().attempts == services.MAX_PUBLISH_ATTEMPTS


def test_a_cancelled_post_is_not_published(live_account, brand, mara):
    post = _scheduled(mara, live_account)

    services.cancel_post(mara, post, reason="The event moved")

    assert services.due_variant_ids(now=soon(5)) == []
    assert services.publish_variant(post.variants.get().pk, now=soon(5)) == "skipped"
    assert SandboxStatus.objects.filter(account=brand).count() == 0
