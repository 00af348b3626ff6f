# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""The whole publishing flow through the API, with the live sandbox as the platform.

Plan a promotion, draft a post with an image, get a compliance finding (a phone
number) and fix it, send it for approval, approve, schedule; the worker
publishes it, the post is on the sandbox, and its metrics arrive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from rapport.publishing import services
from rapport.publishing.models import (
    AccountMetricSample,
    Post,
    PostMetricSample,
    PostTransition,
    PostVariant,
)
from rapport.publishing.tasks import collect_post_metrics
from rapport.sandbox import services as sandbox
from rapport.sandbox.models import SandboxMedia, SandboxStatus
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    brand,
    image,
    live_account,
    soon,
)


def test_promotion_post_goes_from_draft_to_published_with_metrics(
    live_account, image, brand, mara, morgan, api_as
):
    as_mara, as_morgan = api_as(mara), api_as(morgan)
    rule = as_morgan.put(
        f"/publishing/accounts/{live_account.public_id}/approval-rule",
        {"approvals_required": 1, "approver_role": "manager"},
    )
    assert rule.status_code == 200, rule.json_body

    # Given a planned promotion with its terms
    campaign = as_mara.post(
        "/publishing/campaigns",
        {
            "name": "Autumn latte week",
            "kind": "offer",
            "starts_on": "2026-11-23",
            "ends_on": "2026-11-30",
            "terms": "One free latte per customer; while stocks last.",
            "terms_url": "https://emberandoak.test/terms/autumn",
        },
    )
    assert campaign.status_code == 201, campaign.json_body

    # When Mara drafts a post with an image and a phone number in public text
    draft = as_mara.post(
        "/publishing/posts",
        {
            "title": "Autumn latte launch",
            "campaign_id": campaign.json_body["id"],
            "variants": [
                {
                    "account_id": str(live_account.public_id),
                    "text": "Our autumn latte is back! Call 020 7946 0958 to pre-order.",
                    "link": "https://emberandoak.test/terms/autumn",
                    "first_comment": "Terms: https://emberandoak.test/terms/autumn",
                    "asset_ids": [str(image.public_id)],
                }
            ],
        },
    )
    assert draft.status_code == 201, draft.json_body
    post_id = draft.json_body["id"]
    codes = {f["code"]: f["severity"] for f in draft.json_body["findings"]}
    assert codes.get("personal_phone") == "blocking"

    # Then it cannot be scheduled until fixed
    blocked = as_mara.post(f"/publishing/posts/{post_id}/schedule", {"at": soon().isoformat()})
    assert blocked.status_code == 409 or blocked.status_code == 400
    assert blocked.json_body["code"] in ("compliance_blocked", "needs_approval")

    fixed = as_mara.patch(
        f"/publishing/posts/{post_id}",
        {
            "variants": [
                {
                    "account_id": str(live_account.public_id),
                    "text": "Our autumn latte is back! Pre-order in the app.",
                    "link": "https://emberandoak.test/terms/autumn",
                    "first_comment": "Terms: https://emberandoak.test/terms/autumn",
                    "asset_ids": [str(image.public_id)],
                }
            ]
        },
    )
    assert fixed.status_code == 200, fixed.json_body
    assert not [f for f in fixed.json_body["findings"] if f["severity"] == "blocking"]
    assert fixed.json_body["revision"] == 2

    # Send for approval, approve, schedule
    submitted = as_mara.post(f"/publishing/posts/{post_id}/submit", {"note": "Ready"})
    assert submitted.json_body["status"] == "in_review"
    too_early = as_mara.post(f"/publishing/posts/{post_id}/schedule", {"at": soon().isoformat()})
    assert too_early.status_code == 409 and too_early.json_body["code"] == "needs_approval"
    own = as_mara.post(f"/publishing/posts/{post_id}/reviews", {"decision": "approve"})
    assert own.status_code == 403
    approved = as_morgan.post(
        f"/publishing/posts/{post_id}/reviews", {"decision": "approve", "note": "Lovely"}
    )
    assert approved.status_code == 201, approved.json_body
    at = soon(5)
    scheduled = as_mara.post(f"/publishing/posts/{post_id}/schedule", {"at": at.isoformat()})
    assert scheduled.status_code == 200, scheduled.json_body
    assert scheduled.json_body["status"] == "scheduled"

    # The worker, once the time comes, publishes it to the sandbox
    later = at + dt.timedelta(seconds=1)
    assert services.due_variant_ids(now=at - dt.timedelta(minutes=1)) == []
    due = services.due_variant_ids(now=later)
    assert len(due) == 1
    assert services.publish_variant(due[0], now=later) == "published"

    variant = PostVariant.objects.get(post__public_id=post_id)
    status = SandboxStatus.objects.get(pk=int(variant.external_id))
    assert status.account_id == brand.pk
    assert "autumn latte is back" in status.text
    assert "https://emberandoak.test/terms/autumn" in status.text
    assert SandboxMedia.objects.filter(status=status).count() == 1
    comment = SandboxStatus.objects.get(in_reply_to=status)
    assert comment.text.startswith("Terms:")
    page = Client().get(f"/sandbox/@emberandoak/{status.pk}")
    assert "autumn latte is back" in page.content.decode()

    detail = as_mara.get(f"/publishing/posts/{post_id}").json()
    assert detail["status"] == "published"
    assert [t["to_status"] for t in detail["transitions"]] == [
        "draft",
        "in_review",
        "approved",
        "scheduled",
        "publishing",
        "published",
    ]

    # Metrics arrive: a customer likes and boosts it, and the worker samples it
    customer = sandbox.create_account(username="maya_okafor", display_name="Maya")
    sandbox.favourite(customer, status)
    sandbox.reblog(customer, status)
    collect_post_metrics.enqueue()

    sample = PostMetricSample.objects.get(variant=variant)
    assert (sample.favourites, sample.boosts) == (1, 1)
    assert AccountMetricSample.objects.filter(channel=live_account).count() == 1
    metrics = as_mara.get(f"/publishing/posts/{post_id}/metrics").json()
    assert metrics[0]["favourites"] == 1 and metrics[0]["account_id"] == str(live_account.public_id)
    # Nothing was published twice.
    assert SandboxStatus.objects.filter(account=brand, in_reply_to__isnull=True).count() == 1
    assert Post.objects.get(public_id=post_id).published_at is not None
    assert PostTransition.objects.filter(post__public_id=post_id, actor=morgan).exists()


def test_publish_now_posts_at_once_through_the_worker(live_account, brand, mara, api_as: Any):
    as_mara = api_as(mara)
    draft = as_mara.post(
        "/publishing/posts",
        {
            "variants": [
                {"account_id": str(live_account.public_id), "text": "Doors open at 8 today."}
            ]
        },
    )
    post_id = draft.json_body["id"]
    as_mara.post(f"/publishing/posts/{post_id}/submit", {})

    published = as_mara.post(f"/publishing/posts/{post_id}/publish-now", {})

    assert published.status_code == 200, published.json_body
    assert as_mara.get(f"/publishing/posts/{post_id}").json()["status"] == "published"
    assert SandboxStatus.objects.filter(account=brand, text="Doors open at 8 today.").count() == 1
