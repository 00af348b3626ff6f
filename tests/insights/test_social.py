"""Social metrics against the hand-worked dataset in social_data.py."""

from __future__ import annotations

import pytest

from rapport.insights import social
from tests.insights import social_data
from tests.insights.service_data import OCTOBER


@pytest.fixture
def data(org, mara):
    return social_data.build(org, mara)


def test_followers_engagement_and_rates_per_account(data):
    s = social.social_summary(data, *OCTOBER)

    accounts = {account.name: account for account in s.accounts}
    assert list(accounts) == ["Mastodon", "Sandbox account"]
    sandbox = accounts["Sandbox account"]
    assert (sandbox.followers_start, sandbox.followers_end, sandbox.follower_change) == (
        100,
        150,
        50,
    )
    assert [(day.day, n) for day, n in sandbox.followers_series] == [(10, 120), (31, 150)]
    assert (sandbox.posts, sandbox.favourites, sandbox.boosts, sandbox.replies) == (3, 15, 4, 3)
    assert sandbox.engagement == 22
    assert sandbox.impressions == 150
    # 22 engagements over 3 posts, against 150 followers.
    assert sandbox.engagement_rate == pytest.approx(100 * 22 / 3 / 150)
    # Only P2 and P3 report impressions: (4 + 2) / 150.
    assert sandbox.engagement_rate_impressions == pytest.approx(4.0)
    assert [post.engagement for post in sandbox.top_posts] == [16, 4, 2]
    mastodon = accounts["Mastodon"]
    assert (mastodon.followers_start, mastodon.followers_end) == (200, 200)
    assert mastodon.impressions is None and mastodon.engagement_rate_impressions is None
    assert s.posts == 4 and s.engagement == 32


def test_media_best_times_and_series(data):
    s = social.social_summary(data, *OCTOBER)

    assert (s.media.with_media_posts, s.media.with_media_mean) == (2, 13.0)
    assert (s.media.text_only_posts, s.media.text_only_mean) == (2, 3.0)
    assert s.media.ratio == pytest.approx(13 / 3)
    assert [(t.weekday, t.hour, t.posts, t.mean_engagement) for t in s.best_times] == [
        (1, 9, 2, 10.0),
        (2, 9, 1, 10.0),
        (3, 18, 1, 2.0),
    ]
    assert [(day.day, n) for day, n in s.engagement_series] == [(5, 16), (12, 4), (14, 2), (20, 10)]


def test_mentions_and_ugc(data):
    s = social.social_summary(data, *OCTOBER)

    sandbox = next(a for a in s.accounts if a.name == "Sandbox account")
    m = sandbox.mentions
    assert (m.total, m.positive, m.neutral, m.negative, m.ugc) == (4, 2, 1, 1, 2)
    assert m.share("positive") == 50.0
    overall = s.mentions
    assert (overall.total, overall.positive, overall.neutral, overall.negative) == (5, 2, 1, 2)


def test_campaign_results(data):
    s = social.social_summary(data, *OCTOBER)

    [campaign] = s.campaigns
    assert (campaign.name, campaign.posts, campaign.engagement, campaign.impressions) == (
        "Autumn looks",
        2,
        20,
        100,
    )
    assert campaign.ugc_items == 2
    assert campaign.achieved == 2.0


def test_query_count_is_fixed(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        social.social_summary(data, *OCTOBER)
