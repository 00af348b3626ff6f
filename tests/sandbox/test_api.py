"""The sandbox's Mastodon API subset, through HTTP, the way a Mastodon client uses it."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.sandbox import services
from rapport.sandbox.models import SandboxStatus
from rapport.sandbox.personas import make_photo

from .conftest import BRAND_TOKEN


def _link(response, rel: str) -> str:
    found = re.search(rf'<([^>]+)>; rel="{rel}"', response["Link"])
    assert found, response["Link"]
    return found.group(1)


def test_an_anonymous_caller_cannot_read_the_brands_account(api, brand):
    response = api().get("/v1/accounts/verify_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert "invalid_token" in response["WWW-Authenticate"]


def test_a_wrong_token_is_refused_even_on_public_endpoints(api, brand):
    assert api("nope").get("/v1/timelines/public").status_code == 401


def test_verify_credentials_returns_the_account_with_its_source(api, brand):
    response = api(BRAND_TOKEN).get("/v1/accounts/verify_credentials")

    body = response.json()
    assert response.status_code == 200
    assert body["id"] == str(brand.pk) and body["acct"] == "emberandoak"
    assert body["source"]["note"] == ""
    assert int(response["X-RateLimit-Limit"]) == 300
    assert int(response["X-RateLimit-Remaining"]) == 299
    assert response["X-RateLimit-Reset"].endswith("Z")


def test_posting_a_status_returns_mastodons_shape_with_escaped_content(
    api, brand, customer_factory
):
    maya = customer_factory("maya")

    response = api("token-maya").post(
        "/v1/statuses",
        {"status": "@emberandoak <script>alert(1)</script> loving the #FlatWhite https://x.test/a"},
    )

    body = response.json()
    assert response.status_code == 200
    assert isinstance(body["id"], str) and body["account"]["id"] == str(maya.pk)
    assert "<script>" not in body["content"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body["content"]
    assert 'class="u-url mention"' in body["content"]
    assert body["mentions"] == [
        {
            "id": str(brand.pk),
            "username": "emberandoak",
            "acct": "emberandoak",
            "url": "http://testserver/sandbox/@emberandoak",
        }
    ]
    assert body["tags"] == [
        {"name": "flatwhite", "url": "http://testserver/sandbox/tags/flatwhite"}
    ]
    assert body["visibility"] == "public" and body["in_reply_to_id"] is None
    assert body["created_at"].endswith("Z")


def test_a_post_needs_no_csrf_token_because_it_is_token_authenticated(api, brand):
    # The test client enforces CSRF checks, as a browser session would be.
    response = api(BRAND_TOKEN).post_form("/v1/statuses", {"status": "Open till 7"})

    assert response.status_code == 200


def test_the_same_idempotency_key_returns_the_first_status(api, brand):
    client = api(BRAND_TOKEN)

    first = client.post("/v1/statuses", {"status": "Hello"}, **{"Idempotency-Key": "k1"})
    again = client.post("/v1/statuses", {"status": "Hello"}, **{"Idempotency-Key": "k1"})

    assert first.json()["id"] == again.json()["id"]
    assert SandboxStatus.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": ""}, "Validation failed: Text can't be blank"),
        ({"status": "x" * 501}, "Validation failed: Text character limit of 500 exceeded"),
        ({"status": "hi", "visibility": "secret"}, "Validation failed: Visibility"),
        ({"status": "hi", "media_ids": ["123"]}, "Validation failed: Media ids are invalid"),
    ],
)
def test_an_invalid_status_is_refused_with_422(api, brand, body, message):
    response = api(BRAND_TOKEN).post("/v1/statuses", body)

    assert response.status_code == 422
    assert response.json()["error"].startswith(message)


def test_replying_to_a_status_you_cannot_see_is_404(api, brand, customer_factory):
    maya = customer_factory("maya")
    customer_factory("tom")
    secret = services.post_status(maya, text="@tom psst", visibility="direct")

    response = api(BRAND_TOKEN).post("/v1/statuses", {"status": "hi", "in_reply_to_id": secret.pk})

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_notifications_page_with_link_headers_both_ways(api, brand, customer_factory):
    maya = customer_factory("maya")
    for n in range(5):
        services.post_status(maya, text=f"@emberandoak message {n}")
    client = api(BRAND_TOKEN)

    newest = client.get("/v1/notifications", limit=2, **{"types[]": "mention"})
    older = client.get(_link(newest, "next").replace("http://testserver/sandbox/api", ""))
    oldest_first = client.get("/v1/notifications", min_id=0, limit=2)

    ids = [n["id"] for n in newest.json()]
    assert [n["status"]["content"][-13:-4] for n in newest.json()] == ["message 4", "message 3"]
    assert "types%5B%5D=mention" in _link(newest, "next")
    assert [n["id"] for n in older.json()] == [str(int(ids[1]) - 1), str(int(ids[1]) - 2)]
    assert [int(n["id"]) for n in oldest_first.json()] == sorted(
        (int(n["id"]) for n in oldest_first.json()), reverse=True
    )
    assert "message 1" in oldest_first.json()[0]["status"]["content"]
    assert f"min_id={oldest_first.json()[0]['id']}" in _link(oldest_first, "prev")


def test_a_notification_list_takes_a_fixed_number_of_queries(
    api, brand, customer_factory, django_assert_max_num_queries
):
    for name in ("maya", "tom", "ana", "ben"):
        person = customer_factory(name)
        for n in range(3):
            services.post_status(person, text=f"@emberandoak hello {n} #coffee")
    client = api(BRAND_TOKEN)

    with django_assert_max_num_queries(22):
        response = client.get("/v1/notifications", limit=40)

    assert len(response.json()) == 12


def test_direct_messages_stay_private_and_form_conversations(api, brand, customer_factory):
    maya = customer_factory("maya")
    customer_factory("tom")
    dm = services.post_status(maya, text="@emberandoak my card number is…", visibility="direct")
    services.post_status(
        brand, text="@maya please never share that!", visibility="direct", in_reply_to=dm
    )

    outsider = api("token-tom")
    conversations = api(BRAND_TOKEN).get("/v1/conversations").json()

    assert outsider.get(f"/v1/statuses/{dm.pk}").status_code == 404
    assert outsider.get("/v1/timelines/public").json() == []
    assert outsider.get("/v2/search", q="card").json()["statuses"] == []
    assert len(conversations) == 1
    assert conversations[0]["id"] == str(dm.pk)
    assert [a["acct"] for a in conversations[0]["accounts"]] == ["maya"]
    assert "never share" in conversations[0]["last_status"]["content"]


def test_context_gives_ancestors_and_descendants(api, brand, customer_factory):
    maya = customer_factory("maya")
    root = services.post_status(maya, text="@emberandoak root")
    middle = services.post_status(brand, text="@maya middle", in_reply_to=root)
    leaf = services.post_status(maya, text="@emberandoak leaf", in_reply_to=middle)

    context = api(BRAND_TOKEN).get(f"/v1/statuses/{middle.pk}/context").json()

    assert [s["id"] for s in context["ancestors"]] == [str(root.pk)]
    assert [s["id"] for s in context["descendants"]] == [str(leaf.pk)]
    assert context["descendants"][0]["in_reply_to_account_id"] == str(brand.pk)


def test_favourites_and_boosts_count_and_notify(api, brand, customer_factory):
    customer_factory("maya")
    post = services.post_status(brand, text="New roast!")
    maya = api("token-maya")

    maya.post(f"/v1/statuses/{post.pk}/favourite")
    boost = maya.post(f"/v1/statuses/{post.pk}/reblog").json()
    seen = api(BRAND_TOKEN).get(f"/v1/statuses/{post.pk}").json()
    kinds = {n["type"] for n in api(BRAND_TOKEN).get("/v1/notifications").json()}

    assert boost["reblog"]["id"] == str(post.pk)
    assert (seen["favourites_count"], seen["reblogs_count"]) == (1, 1)
    assert kinds == {"favourite", "reblog"}
    assert maya.get(f"/v1/statuses/{post.pk}").json()["favourited"] is True


def test_media_is_sniffed_not_trusted_by_name(api, brand):
    client = api(BRAND_TOKEN)
    photo = SimpleUploadedFile("photo.png", make_photo(1), content_type="image/png")
    disguised = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")

    good = client.post_form("/v2/media", {"file": photo, "description": "Beans"})
    bad = client.post_form("/v2/media", {"file": disguised})

    assert good.status_code == 200 and good.json()["type"] == "image"
    assert bad.status_code == 422
    assert bad.json()["error"] == "Validation failed: File content type is invalid"


def test_update_credentials_changes_the_profile(api, brand):
    client = api(BRAND_TOKEN)

    response = client.client.patch(
        "/sandbox/api/v1/accounts/update_credentials",
        data="display_name=Ember+%26+Oak+Roasters&note=Roasting+since+2014.",
        content_type="application/x-www-form-urlencoded",
        headers=client.headers,
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Ember & Oak Roasters"
    assert response.json()["source"]["note"] == "Roasting since 2014."


def test_tag_timeline_and_search(api, brand, customer_factory):
    maya = customer_factory("maya")
    tagged = services.post_status(maya, text="Latte art no. 7 #EmberAndOak")
    services.post_status(maya, text="unrelated")
    client = api(BRAND_TOKEN)

    timeline = client.get("/v1/timelines/tag/emberandoak").json()
    by_tag = client.get("/v2/search", q="#emberandoak", type="statuses").json()
    by_word = client.get("/v2/search", q="latte").json()

    assert [s["id"] for s in timeline] == [str(tagged.pk)]
    assert [s["id"] for s in by_tag["statuses"]] == [str(tagged.pk)]
    assert [h["name"] for h in by_word["hashtags"]] == []
    assert [a["acct"] for a in client.get("/v2/search", q="may").json()["accounts"]] == ["maya"]


@pytest.mark.parametrize(
    ("kind", "status"),
    [("rate_limited", 429), ("server_error", 500), ("unavailable", 503), ("unauthorized", 401)],
)
def test_a_forced_fault_fails_the_next_request_only(api, brand, kind, status):
    services.force_faults(kind, retry_after_seconds=30)
    client = api(BRAND_TOKEN)

    failed = client.get("/v1/accounts/verify_credentials")
    recovered = client.get("/v1/accounts/verify_credentials")

    assert failed.status_code == status and "error" in failed.json()
    assert recovered.status_code == 200
    if kind == "rate_limited":
        assert failed["X-RateLimit-Remaining"] == "0" and failed["Retry-After"] == "30"


def test_the_rate_limit_answers_429_once_used_up(api, brand, settings):
    settings.SANDBOX_RATE_LIMIT = 2
    client = api(BRAND_TOKEN)

    statuses = [client.get("/v1/accounts/verify_credentials").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_unknown_endpoints_and_methods_answer_in_json(api, brand):
    client = api(BRAND_TOKEN)

    missing = client.get("/v1/lists")
    wrong = client.get("/v1/statuses")

    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}
    assert wrong.status_code == 405 and wrong["Allow"] == "POST"


def test_instance_describes_a_recent_mastodon(api, brand):
    v1 = api().get("/v1/instance").json()
    v2 = api().get("/v2/instance").json()

    assert v1["version"] == v2["version"] == "4.3.0"
    assert v2["api_versions"] == {"mastodon": 2}
