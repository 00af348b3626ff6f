# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""The demo seed: posts in several states, through the services, once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rapport.publishing import services
from rapport.publishing.demo import seed_publishing
from rapport.publishing.models import ApprovalRule, Campaign, Post
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    account,
    brand,
)


def test_the_demo_seeds_posts_in_several_states_once(org, account, mara, morgan):
    posts = seed_publishing(org)

    assert sorted(p.status for p in Post.objects.all()) == sorted(
        ["draft", "in_review", "changes_requested", "scheduled", "scheduled"]
    )
    assert len(posts) == 5
    assert ApprovalRule.objects.get(channel=account).approver_role == "manager"
    assert set(Campaign.objects.values_list("kind", flat=True)) == {"offer", "ugc"}
    draft = Post.objects.get(status="draft")
    assert "personal_phone" in {f.code for f in services.check_post(draft)}
    soon = timezone.now() + dt.timedelta(minutes=3)
    assert len(services.due_variant_ids(now=soon)) == 1

    assert seed_publishing(org) == []
    assert Post.objects.count() == 5
