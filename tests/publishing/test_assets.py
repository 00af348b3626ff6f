"""The asset library: uploads typed by content, size limits, clean thumbnails, filters, usage."""
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from rapport.accounts.models import User
from rapport.channels.models import Channel
from rapport.publishing import assets as asset_lib
from rapport.publishing import services
from rapport.publishing.models import Asset
from tests.publishing.posts_fixtures import _fresh_cache, account, brand  # noqa: F401

pytestmark = pytest.mark.django_db


def png(size: tuple[int, int] = (800, 600), colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), "navy")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS IFD
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def upload(api: Any, name: str, content: bytes, **fields: str) -> Any:
    return api.client.post(
        "/api/v1/publishing/assets/upload",
        data={"file": SimpleUploadedFile(name, content), **fields},
        headers=api.headers,
    )


def test_image_upload_gets_a_thumbnail_and_its_size(mara: User, api_as: Any) -> None:
    api = api_as(mara)

    response = upload(api, "latte.png", png(), title="Latte", tags="Autumn, #coffee")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["mime_type"], body["width"], body["height"]) == (
        "image",
        "image/png",
        800,
        600,
    )
    assert body["tags"] == ["autumn", "coffee"]
    asset = Asset.objects.get(public_id=body["id"])
    with Image.open(asset.thumbnail.open("rb")) as made:
        assert made.format == "WEBP"
        assert max(made.size) == 480


def test_stored_photo_and_thumbnail_carry_no_exif_or_gps(mara: User, api_as: Any) -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get(0x8825)  # the fixture really has GPS

    response = upload(api_as(mara), "holiday.jpg", original, title="Holiday")

    asset = Asset.objects.get(public_id=response.json()["id"])
    for stored in (asset.file, asset.thumbnail):
        with Image.open(stored.open("rb")) as image:
            assert not image.getexif(), stored.name
            assert "exif" not in image.info


def test_a_png_named_pdf_is_stored_as_the_image_it_is(mara: User, api_as: Any) -> None:
    response = upload(api_as(mara), "brochure.pdf", png(), title="Not a PDF")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["mime_type"]) == ("image", "image/png")


def test_svg_with_script_is_refused_and_nothing_is_kept(mara: User, api_as: Any) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    response = upload(api_as(mara), "logo.png", svg, title="Logo")

    assert response.status_code == 400
    assert response.json()["code"] == "upload_refused"
    assert not Asset.objects.exists()


def test_markup_hidden_in_a_text_file_is_refused(mara: User, api_as: Any) -> None:
    sneaky = b"Notes for the team\n<!-- --><svg onload=alert(1)>"

    response = upload(api_as(mara), "notes.txt", sneaky, title="Notes")

    assert response.status_code == 400
    assert "markup" in response.json()["message"]


def test_unknown_binary_is_refused(mara: User, api_as: Any) -> None:
    response = upload(api_as(mara), "tool.exe", b"MZ\x90\x00" + bytes(200), title="Tool")

    assert response.status_code == 400
    assert not Asset.objects.exists()


def test_oversized_upload_is_refused_with_the_limit(
    mara: User, api_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(asset_lib.MAX_BYTES, "image", 50_000)

    response = upload(api_as(mara), "huge.png", png((1600, 1600)) + bytes(60_000), title="Huge")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Asset.objects.exists()


def test_text_upload_keeps_its_body(mara: User, api_as: Any) -> None:
    response = upload(api_as(mara), "caption.txt", "Café au lait ☕".encode(), title="Caption")

    assert response.status_code == 201
    assert response.json()["body"] == "Café au lait ☕"


def test_creative_commons_needs_the_exact_licence(mara: User, api_as: Any) -> None:
    api = api_as(mara)
    payload = {"title": "Park photo", "kind": "link", "url": "https://example.org/p.jpg"}

    refused = api.post("/publishing/assets", {**payload, "source": "cc"})
    accepted = api.post("/publishing/assets", {**payload, "source": "cc", "licence": "CC BY 4.0"})

    assert refused.status_code == 400
    assert refused.json_body["code"] == "licence_required"
    assert accepted.status_code == 201


def test_a_link_must_be_http(mara: User, api_as: Any) -> None:
    response = api_as(mara).post(
        "/publishing/assets", {"title": "x", "kind": "link", "url": "javascript:alert(1)"}
    )

    assert response.status_code == 400


def test_filters_by_tag_type_licence_and_expiry(mara: User, api_as: Any) -> None:
    api = api_as(mara)
    today = timezone.localdate()
    specs = [
        ("Expired stock", "licensed", "Stocky Standard", today - dt.timedelta(days=1), ["autumn"]),
        ("Expiring stock", "licensed", "Stocky Standard", today + dt.timedelta(days=10), []),
        ("Later stock", "licensed", "Stocky Extended", today + dt.timedelta(days=90), ["autumn"]),
        ("Our own", "own", "", None, ["summer"]),
    ]
    for title, source, licence, expires, tags in specs:
        body: dict[str, Any] = {"title": title, "kind": "image", "url": "https://example.org/x.jpg"}
        body |= {"source": source, "licence": licence, "tags": tags}
        if expires:
            body["licence_expires_on"] = expires.isoformat()
        assert api.post("/publishing/assets", body).status_code == 201

    def titles(query: str) -> set[str]:
        return {a["title"] for a in api.get(f"/publishing/assets?{query}").json()}

    assert titles("expiry=expired") == {"Expired stock"}
    assert titles("expiry=expiring") == {"Expiring stock"}
    assert titles("tag=autumn") == {"Expired stock", "Later stock"}
    assert titles("licence=extended") == {"Later stock"}
    assert titles("source=own") == {"Our own"}
    assert titles("kind=pdf") == set()


def test_usage_history_lists_the_posts_that_used_it(
    mara: User,
    api_as: Any,
    account: Channel,
) -> None:
    api = api_as(mara)
    asset_id = upload(api, "latte.png", png(), title="Latte").json()["id"]
    post = services.create_post(
        mara,
        title="Latte is back",
        variants=[services.VariantInput(channel=account, text="Back!", asset_ids=(asset_id,))],
    )

    usage = api.get(f"/publishing/assets/{asset_id}/usage").json()

    assert [(u["post_title"], u["account"]) for u in usage] == [(post.title, account.name)]


def test_ugc_permission_is_recorded_with_who_and_when(mara: User, api_as: Any) -> None:
    api = api_as(mara)
    asset_id = api.post(
        "/publishing/assets",
        {"title": "Customer photo", "kind": "link", "url": "https://example.org/c.jpg"},
    ).json_body["id"]

    future = api.post(
        f"/publishing/assets/{asset_id}/permission",
        {
            "creator_handle": "@jo",
            "granted_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        },
    )
    done = api.post(
        f"/publishing/assets/{asset_id}/permission",
        {"creator_handle": "@jo", "granted_on": timezone.localdate().isoformat()},
    )

    assert future.status_code == 400
    assert done.status_code == 200
    asset = Asset.objects.get(public_id=asset_id)
    assert (asset.source, asset.creator_handle, asset.permission_recorded_by) == (
        "ugc",
        "@jo",
        mara,
    )


def test_roles_that_only_read_cannot_add(sam: User, ana: User, api_as: Any) -> None:
    for user in (sam, ana):
        response = api_as(user).post(
            "/publishing/assets", {"title": "x", "kind": "link", "url": "https://example.org"}
        )
        assert response.status_code == 403


def test_outsider_cannot_see_or_change_an_asset(mara: User, charlie: User, api_as: Any) -> None:
    asset_id = upload(api_as(mara), "latte.png", png(), title="Latte").json()["id"]
    outsider = api_as(charlie)

    assert outsider.get(f"/publishing/assets/{asset_id}").status_code == 404
    assert outsider.patch(f"/publishing/assets/{asset_id}", {"title": "Mine"}).status_code == 404
    assert outsider.get(f"/publishing/assets/{asset_id}/usage").status_code == 404
    assert outsider.post(f"/publishing/assets/{asset_id}/archive").status_code == 404
    assert outsider.get("/publishing/assets").json() == []


def test_library_page_upload_and_grid(
    mara: User, web_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = web_as(mara)
    for n in range(6):
        response = client.post(
            reverse("publishing:asset_create"),
            {
                "file": SimpleUploadedFile(f"p{n}.png", png((300, 200))),
                "title": f"Photo {n}",
                "source": "own",
            },
        )
        assert response.status_code == 302

    with django_assert_max_num_queries(12):
        page = client.get(reverse("publishing:asset_list"))

    assert page.status_code == 200
    assert page.content.count(b"/thumbnail") == 6
    asset = Asset.objects.first()
    assert asset is not None
    thumb = client.get(reverse("publishing:asset_thumbnail", args=[asset.public_id]))
    assert thumb["Content-Type"] == "image/webp"


def test_library_page_shows_a_refused_upload_as_a_form_error(mara: User, web_as: Any) -> None:
    response = web_as(mara).post(
        reverse("publishing:asset_create"),
        {
            "file": SimpleUploadedFile("x.png", b"<html><script>1</script>"),
            "title": "x",
            "source": "own",
        },
    )

    assert response.status_code == 400
    assert b"not accepted here" in response.content
    assert not Asset.objects.exists()


def test_a_pdf_is_stored_as_uploaded(mara: User, api_as: Any) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 2000

    response = upload(api_as(mara), "menu.bin", pdf, title="Menu")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["size"]) == ("pdf", len(pdf))
    asset = Asset.objects.get(public_id=response.json()["id"])
    assert asset.file.open("rb").read() == pdf and not asset.thumbnail
