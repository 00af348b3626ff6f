# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Post and account metrics: sampled on a schedule, kept as time series, read through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from rapport.channels import registry
from rapport.connectors.base import Metrics, PostMetrics, Transient
from rapport.publishing import services, tasks
from rapport.publishing.models import (
    AccountMetricSample,
    Post,
    PostMetricSample,
    PostStatus,
    PostVariant,
    VariantStatus,
)
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    account,
    brand,
)


class FakeMetrics:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[str] = []

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        if self.fail:
            raise Transient("timed out")
        self.asked = list(post_ids)
        return Metrics(
            followers=1200,
            following=80,
            posts_count=310,
            posts={pid: PostMetrics(favourites=5, boosts=2, replies=1) for pid in post_ids},
        )


def _published(org, author, channel, external_id: str, days_ago: int) -> PostVariant:
    at = timezone.now() - dt.timedelta(days=days_ago)
    post = Post.objects.create(
        organisation=org, author=author, status=PostStatus.PUBLISHED, published_at=at
    )
    return PostVariant.objects.create(
        post=post,
        channel=channel,
        text=f"Post {external_id}",
        status=VariantStatus.PUBLISHED,
        external_id=external_id,
        published_at=at,
    )


def test_recent_posts_are_sampled_on_schedule(org, mara, account, charlie, api_as, monkeypatch):
    fake = FakeMetrics()
    monkeypatch.setattr(registry, "build_connector", lambda channel: fake)
    recent = _published(org, mara, account, "101", days_ago=2)
    _published(org, mara, account, "99", days_ago=90)

    assert tasks.collect_post_metrics.enqueue() is not None
    assert tasks.collect_post_metrics.enqueue() is not None

    assert fake.asked == ["101"]  # older posts are no longer followed
    samples = PostMetricSample.objects.filter(variant=recent)
    assert samples.count() == 2 and samples.first().engagement == 8  # type: ignore[union-attr]
    api = api_as(mara)
    followers = api.get(f"/publishing/accounts/{account.public_id}/metrics").json()
    assert [s["followers"] for s in followers] == [1200, 1200]
    assert (
        api_as(charlie).get(f"/publishing/accounts/{account.public_id}/metrics").status_code == 404
    )


def test_a_platform_that_times_out_leaves_no_partial_sample(org, mara, account, monkeypatch):
    monkeypatch.setattr(registry, "build_connector", lambda channel: FakeMetrics(fail=True))
    _published(org, mara, account, "101", days_ago=1)

    assert services.collect_metrics(account.pk) == 0

    assert AccountMetricSample.objects.count() == 0 and PostMetricSample.objects.count() == 0
