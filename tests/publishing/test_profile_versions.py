# ruff: noqa: F811  (fixtures are imported from posts_fixtures by name)
"""Profile look and feel: versions recorded, compared, and applied on the live sandbox."""

from __future__ import annotations

from rapport.sandbox.models import SandboxAccount
from tests.publishing.posts_fixtures import (  # noqa: F401
    _fresh_cache,
    brand,
    image,
    live_account,
)


def test_profile_versions_are_diffed_and_applied(live_account, brand, image, mara, charlie, api_as):
    api = api_as(mara)
    path = f"/publishing/accounts/{live_account.public_id}/profile-versions"
    first = api.post(path, {"display_name": "Ember & Oak", "bio": "Coffee roasters."})
    assert first.status_code == 201, first.json_body
    assert first.json_body["number"] == 1

    second = api.post(
        path,
        {
            "display_name": "Ember & Oak Coffee",
            "bio": "Coffee roasters since 2012.",
            "avatar_id": str(image.public_id),
            "links": [{"name": "Shop", "url": "https://emberandoak.test/shop"}],
            "note": "Winter refresh",
        },
    )
    assert second.status_code == 201, second.json_body
    changes = second.json_body["changes"]
    assert changes["display_name"] == ["Ember & Oak", "Ember & Oak Coffee"]
    assert changes["avatar"] == [None, str(image.public_id)]
    assert "header" not in changes

    applied = api.post(f"/publishing/profile-versions/{second.json_body['id']}/apply")

    assert applied.status_code == 200, applied.json_body
    assert applied.json_body["applied_at"] is not None
    brand_now = SandboxAccount.objects.get(pk=brand.pk)
    assert brand_now.display_name == "Ember & Oak Coffee"
    assert "since 2012" in brand_now.note and "https://emberandoak.test/shop" in brand_now.note
    assert brand_now.avatar_id is not None
    assert [v["number"] for v in api.get(path).json()] == [2, 1]
    assert (
        api_as(charlie).get(f"/publishing/profile-versions/{second.json_body['id']}").status_code
        == 404
    )


def test_a_profile_the_platform_refuses_is_reported(live_account, mara, api_as):
    api = api_as(mara)
    made = api.post(
        f"/publishing/accounts/{live_account.public_id}/profile-versions",
        {"display_name": "A display name far longer than the sandbox's thirty"},
    ).json_body

    refused = api.post(f"/publishing/profile-versions/{made['id']}/apply")

    assert refused.status_code == 400 and refused.json_body["code"] == "platform_refused"
    assert "too long" in refused.json_body["message"]
    assert api.get(f"/publishing/profile-versions/{made['id']}").json()["apply_error"]
