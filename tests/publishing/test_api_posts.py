# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Posts through the API: bad input is refused whole, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rapport.channels import services as channels
from rapport.publishing.models import Post, PostVariant
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    account,
    brand,
    image,
    make_image_asset,
    soon,
)


def _draft(api, account, text="Fresh bread from 7 every morning.", **extra):
    body = {"variants": [{"account_id": str(account.public_id), "text": text}], **extra}
    return api.post("/publishing/posts", body)


def test_a_post_over_the_length_limit_is_refused_and_nothing_is_saved(account, mara, api_as):
    response = _draft(api_as(mara), account, text="x" * 501)

    assert response.status_code == 400
    assert response.json_body["code"] == "platform_limits"
    assert "501" in response.json_body["message"] and "500" in response.json_body["message"]
    assert Post.objects.count() == 0 and PostVariant.objects.count() == 0


def test_an_unknown_account_is_refused(account, mara, api_as):
    body = {"variants": [{"account_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "text": "Hi"}]}

    response = api_as(mara).post("/publishing/posts", body)

    assert response.status_code == 400 and response.json_body["code"] == "unknown_account"
    assert Post.objects.count() == 0


def test_an_email_channel_is_not_a_social_account(ada, mara, api_as):
    inbox = channels.create_channel(
        ada,
        name="Support mail",
        kind="email",
        config={"address": "help@x.test", "imap_host": "imap.x.test", "smtp_host": "smtp.x.test"},
        secrets={"password": "pw"},
    ).channel

    response = _draft(api_as(mara), inbox)

    assert response.status_code == 400 and response.json_body["code"] == "not_a_social_account"


def test_another_organisations_asset_is_refused(account, mara, charlie, other_org, api_as):
    theirs = make_image_asset(other_org, charlie, title="Their photo")
    body = {
        "variants": [
            {
                "account_id": str(account.public_id),
                "text": "Look!",
                "asset_ids": [str(theirs.public_id)],
            }
        ]
    }

    response = api_as(mara).post("/publishing/posts", body)

    assert response.status_code == 400 and response.json_body["code"] == "unknown_asset"
    assert Post.objects.count() == 0


def test_a_past_schedule_time_is_refused(account, mara, api_as):
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})
    past = timezone.now() - dt.timedelta(hours=1)

    response = api.post(f"/publishing/posts/{post_id}/schedule", {"at": past.isoformat()})

    assert response.status_code == 400 and response.json_body["code"] == "past_time"
    assert Post.objects.get().status == "approved"


def test_too_many_images_for_bluesky_length_counts_graphemes(ada, org, mara, api_as):
    sky = channels.create_channel(
        ada,
        name="Bluesky",
        kind="bluesky",
        config={"handle": "emberandoak.test"},
        secrets={"app_password": "pw"},
    ).channel
    images = [make_image_asset(org, mara, title=f"Photo {n}") for n in range(5)]
    api = api_as(mara)
    # 300 family emoji are 300 graphemes (but 1,500 code points): within the limit.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    ok = _draft(api, sky, text=family * 300)
    assert ok.status_code == 201, ok.json_body

    body = {
        "variants": [
            {
                "account_id": str(sky.public_id),
                "text": "Five photos",
                "asset_ids": [str(i.public_id) for i in images],
            }
        ]
    }
    refused = api.post("/publishing/posts", body)

    assert refused.status_code == 400
    assert refused.json_body["details"][0]["code"] == "too_many_media"


def test_a_blocking_finding_needs_a_manager_override_with_a_reason(account, mara, morgan, api_as):
    api = api_as(mara)
    post_id = _draft(api, account, text="Questions? Call us on +44 20 7946 0958").json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})
    at = soon().isoformat()

    refused = api.post(f"/publishing/posts/{post_id}/schedule", {"at": at, "override_reason": "ok"})
    assert refused.status_code == 403

    overridden = api_as(morgan).post(
        f"/publishing/posts/{post_id}/schedule",
        {"at": at, "override_reason": "This is our shop's public number."},
    )
    assert overridden.status_code == 200, overridden.json_body
    assert overridden.json_body["status"] == "scheduled"
    post = Post.objects.get()
    assert post.overrides.get().reason == "This is our shop's public number."
    from rapport.accounts.models import AuditEntry

    assert AuditEntry.objects.filter(action="post.compliance_override", actor=morgan).exists()


def test_an_edit_after_approval_goes_back_to_review(account, mara, morgan, api_as):
    api_as(morgan).put(
        f"/publishing/accounts/{account.public_id}/approval-rule", {"approvals_required": 1}
    )
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})
    api_as(morgan).post(f"/publishing/posts/{post_id}/reviews", {"decision": "approve"})
    api.post(f"/publishing/posts/{post_id}/schedule", {"at": soon().isoformat()})

    edited = api.patch(
        f"/publishing/posts/{post_id}",
        {"variants": [{"account_id": str(account.public_id), "text": "Bread from 8 now."}]},
    )

    assert edited.json_body["status"] == "in_review"
    assert edited.json_body["approvals_missing"]
    assert PostVariant.objects.get().next_attempt_at is None
    from rapport.inbox.models import Notification

    assert Notification.objects.filter(user=morgan, kind="post_review").count() == 2


def test_request_changes_notifies_the_author(account, mara, morgan, api_as):
    api_as(morgan).put(
        f"/publishing/accounts/{account.public_id}/approval-rule", {"approvals_required": 1}
    )
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})

    sent_back = api_as(morgan).post(
        f"/publishing/posts/{post_id}/reviews",
        {"decision": "request_changes", "note": "Mention the new sourdough"},
    )

    assert sent_back.status_code == 201
    assert Post.objects.get().status == "changes_requested"
    from rapport.inbox.models import Notification

    assert "sourdough" in Notification.objects.get(user=mara, kind="post_request_changes").text


def test_outsider_is_refused_everything(account, mara, charlie, api_as):
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    outsider = api_as(charlie)

    assert outsider.get(f"/publishing/posts/{post_id}").status_code == 404
    assert outsider.get("/publishing/posts").json()["items"] == []
    assert outsider.post(f"/publishing/posts/{post_id}/submit", {}).status_code == 404
    assert (
        outsider.post(
            f"/publishing/posts/{post_id}/schedule", {"at": soon().isoformat()}
        ).status_code
        == 404
    )
    assert outsider.patch(f"/publishing/posts/{post_id}", {"title": "x"}).status_code == 404
    assert outsider.post(f"/publishing/posts/{post_id}/cancel", {"reason": "x"}).status_code == 404
    assert outsider.get(f"/publishing/posts/{post_id}/metrics").status_code == 404
    assert (
        outsider.put(
            f"/publishing/accounts/{account.public_id}/approval-rule", {"approvals_required": 1}
        ).status_code
        == 404
    )
    assert outsider.get(f"/publishing/accounts/{account.public_id}/queue-slots").status_code == 404
    assert (
        outsider.get(f"/publishing/accounts/{account.public_id}/profile-versions").status_code
        == 404
    )
    assert (
        outsider.post("/publishing/check", {"account_id": str(account.public_id)}).status_code
        == 404
    )
    assert _draft(outsider, account).json_body["code"] == "unknown_account"


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/publishing/posts/{post}/submit", {}),
        ("post", "/publishing/posts/{post}/schedule", {"at": "2030-01-01T10:00:00Z"}),
        ("post", "/publishing/posts/{post}/cancel", {"reason": "no"}),
        ("post", "/publishing/posts/{post}/reviews", {"decision": "approve"}),
        ("patch", "/publishing/posts/{post}", {"title": "mine now"}),
        ("post", "/publishing/campaigns", {"name": "X", "kind": "event"}),
        ("post", "/publishing/banned-words", {"word": "cheap"}),
        ("put", "/publishing/accounts/{account}/queue-slots", {"slots": []}),
        ("put", "/publishing/accounts/{account}/approval-rule", {"approvals_required": 1}),
        ("post", "/publishing/accounts/{account}/profile-versions", {"bio": "hi"}),
    ],
)
def test_analyst_reads_but_cannot_change_anything(account, mara, ana, api_as, method, path, body):
    post_id = _draft(api_as(mara), account).json_body["id"]
    analyst = api_as(ana)
    assert analyst.get(f"/publishing/posts/{post_id}").status_code == 200

    response = getattr(analyst, method)(path.format(post=post_id, account=account.public_id), body)

    assert response.status_code == 403, response.json_body
    assert Post.objects.get().title == ""


def test_the_post_list_is_paginated_in_a_fixed_number_of_queries(
    account, image, mara, api_as, django_assert_max_num_queries
):
    api = api_as(mara)
    for n in range(7):
        body = {
            "variants": [
                {
                    "account_id": str(account.public_id),
                    "text": f"Post number {n}",
                    "asset_ids": [str(image.public_id)],
                }
            ]
        }
        assert api.post("/publishing/posts", body).status_code == 201

    with django_assert_max_num_queries(8):
        first = api.get("/publishing/posts?limit=3").json()
    second = api.get(f"/publishing/posts?limit=3&cursor={first['next_cursor']}").json()

    assert len(first["items"]) == 3 and len(second["items"]) == 3
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert first["items"][0]["variants"][0]["assets"][0]["title"] == "Autumn latte"
    assert api.get("/publishing/posts?cursor=garbage").status_code == 400


def test_live_check_reports_length_and_findings(account, mara, api_as):
    response = api_as(mara).post(
        "/publishing/check",
        {"account_id": str(account.public_id), "text": "Email me at jo@example.com", "link": ""},
    )

    assert response.status_code == 200
    assert response.json_body["max_length"] == 500
    assert response.json_body["length"] == len("Email me at jo@example.com")
    assert [f["code"] for f in response.json_body["findings"]] == ["personal_email"]


def test_queue_picks_the_next_free_best_time(account, mara, api_as):
    api = api_as(mara)
    slots = api.put(
        f"/publishing/accounts/{account.public_id}/queue-slots",
        {"slots": [{"weekday": d, "time": "09:30"} for d in range(7)]},
    )
    assert slots.status_code == 200 and len(slots.json_body) == 7
    first = _draft(api, account, text="First in the queue").json_body["id"]
    second = _draft(api, account, text="Second in the queue").json_body["id"]
    api.post(f"/publishing/posts/{first}/submit", {})
    api.post(f"/publishing/posts/{second}/submit", {})

    a = api.post(f"/publishing/posts/{first}/queue", {}).json_body["scheduled_at"]
    b = api.post(f"/publishing/posts/{second}/queue", {}).json_body["scheduled_at"]

    at_a, at_b = dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)
    assert at_a > timezone.now() and at_b - at_a == dt.timedelta(days=1)
    assert (at_a.hour, at_a.minute) == (9, 30)  # the organisation's zone is UTC


def test_named_approvers_and_two_approvals(account, mara, morgan, ada, sam, api_as):
    rule = api_as(morgan).put(
        f"/publishing/accounts/{account.public_id}/approval-rule",
        {"approvals_required": 2, "approver_ids": [str(sam.public_id), str(ada.public_id)]},
    )
    assert rule.status_code == 200, rule.json_body
    assert {a["email"] for a in rule.json_body["approvers"]} == {sam.email, ada.email}
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})

    not_named = api_as(morgan).post(f"/publishing/posts/{post_id}/reviews", {"decision": "approve"})
    first = api_as(sam).post(f"/publishing/posts/{post_id}/reviews", {"decision": "approve"})
    halfway = api.get(f"/publishing/posts/{post_id}").json()
    second = api_as(ada).post(f"/publishing/posts/{post_id}/reviews", {"decision": "approve"})

    assert not_named.status_code == 403
    assert first.status_code == 201 and second.status_code == 201
    assert halfway["status"] == "in_review"
    assert halfway["approvals_missing"] == ["Sandbox social: 1 more approval(s)"]
    assert api.get(f"/publishing/posts/{post_id}").json()["status"] == "approved"
    assert (
        api_as(morgan)
        .put(
            f"/publishing/accounts/{account.public_id}/approval-rule",
            {"approver_ids": ["9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"]},
        )
        .json_body["code"]
        == "bad_approver"
    )


def test_an_account_added_to_a_scheduled_post_goes_out_with_it(ada, account, mara, api_as):
    second = channels.create_channel(
        ada,
        name="Second sandbox",
        kind="sandbox",
        config={"base_url": "http://sandbox.invalid/sandbox"},
        secrets={"access_token": "another-token"},
    ).channel
    api = api_as(mara)
    post_id = _draft(api, account).json_body["id"]
    api.post(f"/publishing/posts/{post_id}/submit", {})
    at = soon(30)
    api.post(f"/publishing/posts/{post_id}/schedule", {"at": at.isoformat()})

    edited = api.patch(
        f"/publishing/posts/{post_id}",
        {
            "variants": [
                {"account_id": str(account.public_id), "text": "Fresh bread from 7."},
                {"account_id": str(second.public_id), "text": "Bread's out at 7, come by."},
            ]
        },
    )

    assert edited.json_body["status"] == "scheduled"
    from rapport.publishing import services

    assert len(services.due_variant_ids(now=at + dt.timedelta(seconds=1))) == 2
