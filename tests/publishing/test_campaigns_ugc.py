# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Campaigns through the API, and a UGC campaign collecting its hashtag from the live sandbox."""

from __future__ import annotations

from rapport.publishing.models import Asset, UgcItem
from rapport.sandbox import services as sandbox
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    account,
    brand,
    live_account,
)


def test_campaign_validation_and_editing(account, mara, charlie, api_as):
    api = api_as(mara)
    bad_dates = api.post(
        "/publishing/campaigns",
        {"name": "Backwards", "kind": "event", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert bad_dates.status_code == 400 and bad_dates.json_body["code"] == "bad_dates"
    no_tag = api.post("/publishing/campaigns", {"name": "Fan photos", "kind": "ugc"})
    assert no_tag.json_body["code"] == "hashtag_required"
    bad_kind = api.post("/publishing/campaigns", {"name": "X", "kind": "pyramid"})
    assert bad_kind.status_code == 422

    made = api.post(
        "/publishing/campaigns", {"name": "Winter menu", "kind": "promotion", "colour": "#AA3366"}
    )
    assert made.status_code == 201 and made.json_body["colour"] == "#aa3366"
    again = api.post("/publishing/campaigns", {"name": "winter menu", "kind": "event"})
    assert again.status_code == 409

    campaign_id = made.json_body["id"]
    changed = api.patch(f"/publishing/campaigns/{campaign_id}", {"terms": "While stocks last."})
    assert changed.status_code == 200 and changed.json_body["terms"] == "While stocks last."
    assert api_as(charlie).get(f"/publishing/campaigns/{campaign_id}").status_code == 404
    assert (
        api_as(charlie).patch(f"/publishing/campaigns/{campaign_id}", {"goal": "x"}).status_code
        == 404
    )
    assert [c["name"] for c in api.get("/publishing/campaigns").json()] == ["Winter menu"]


def test_a_ugc_campaign_collects_its_hashtag_and_records_permission(
    live_account, brand, mara, charlie, api_as
):
    api = api_as(mara)
    campaign = api.post(
        "/publishing/campaigns",
        {"name": "Latte art", "kind": "ugc", "hashtag": "#EmberLatteArt"},
    ).json_body
    fan = sandbox.create_account(username="jo_draws", display_name="Jo")
    other = sandbox.create_account(username="sam_sips", display_name="Sam")
    sandbox.post_status(fan, text="My heart-shaped latte at Ember & Oak #EmberLatteArt")
    sandbox.post_status(other, text="Rosetta attempt number 3 #emberlatteart")
    sandbox.post_status(other, text="Unrelated #coffee")

    collected = api.post(f"/publishing/campaigns/{campaign['id']}/ugc/collect")
    assert collected.status_code == 200, collected.json_body
    assert collected.json_body["new_items"] == 2
    again = api.post(f"/publishing/campaigns/{campaign['id']}/ugc/collect")
    assert again.json_body["new_items"] == 0

    gallery = api.get(f"/publishing/campaigns/{campaign['id']}/ugc").json()
    assert {item["author_handle"] for item in gallery["items"]} == {"jo_draws", "sam_sips"}
    item_id = next(i["id"] for i in gallery["items"] if i["author_handle"] == "jo_draws")

    assert (
        api_as(charlie)
        .post(f"/publishing/ugc/{item_id}/permission", {"granted_on": "2026-11-20"})
        .status_code
        == 404
    )
    future = api.post(f"/publishing/ugc/{item_id}/permission", {"granted_on": "2099-01-01"})
    assert future.status_code == 400
    granted = api.post(
        f"/publishing/ugc/{item_id}/permission",
        {"granted_on": "2026-11-20", "note": "Jo said yes by DM"},
    )

    assert granted.status_code == 201, granted.json_body
    asset = Asset.objects.get(public_id=granted.json_body["id"])
    assert asset.source == "ugc" and asset.creator_handle == "jo_draws"
    assert str(asset.permission_granted_on) == "2026-11-20"
    assert asset.permission_recorded_by == mara
    assert "permission granted on 20 Nov 2026 by @jo_draws" in asset.description
    assert UgcItem.objects.get(public_id=item_id).status == "permitted"
    twice = api.post(f"/publishing/ugc/{item_id}/permission", {"granted_on": "2026-11-20"})
    assert twice.status_code == 409
