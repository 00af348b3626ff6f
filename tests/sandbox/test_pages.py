"""The sandbox's own web pages, read as a customer would."""

from __future__ import annotations

from django.test import Client

from rapport.sandbox import services
from rapport.sandbox.personas import make_photo


def test_the_public_timeline_shows_posts_as_inert_text(brand, customer_factory):
    maya = customer_factory("maya", "Maya <b>Okafor</b>")
    services.post_status(maya, text='@emberandoak <img src=x onerror="alert(1)"> lovely beans')

    page = Client().get("/sandbox/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; lovely beans" in html
    assert "<img src=x" not in html and "<b>Okafor</b>" not in html
    assert "/static/sandbox/sandbox.css" in html and "app.css" not in html


def test_direct_messages_never_reach_the_public_pages(brand, customer_factory):
    maya = customer_factory("maya")
    dm = services.post_status(
        maya, text="@emberandoak my address is 1 Secret Lane", visibility="direct"
    )
    photo = services.upload_media(maya, data=make_photo(2))
    services.post_status(
        maya, text="@emberandoak see photo", visibility="direct", media_ids=[photo.pk]
    )
    client = Client()

    assert "Secret Lane" not in client.get("/sandbox/").content.decode()
    assert "Secret Lane" not in client.get("/sandbox/@maya").content.decode()
    assert client.get(f"/sandbox/@maya/{dm.pk}").status_code == 404
    assert client.get(f"/sandbox/media/{photo.pk}").status_code == 404


def test_a_thread_page_shows_the_conversation_in_order(brand, customer_factory):
    maya = customer_factory("maya")
    root = services.post_status(maya, text="@emberandoak is the cold brew vegan?")
    services.post_status(brand, text="@maya Yes, it's just coffee and water!", in_reply_to=root)

    html = Client().get(f"/sandbox/@maya/{root.pk}").content.decode()

    assert html.index("cold brew vegan") < html.index("just coffee and water")
    assert "replying to @maya" in html


def test_profile_tag_and_media_pages(brand, customer_factory):
    maya = customer_factory("maya")
    photo = services.upload_media(maya, data=make_photo(3), description="Latte")
    services.post_status(maya, text="Sunday #EmberAndOak", media_ids=[photo.pk])
    client = Client()

    profile = client.get("/sandbox/@maya")
    tag = client.get("/sandbox/tags/emberandoak")
    media = client.get(f"/sandbox/media/{photo.pk}")

    assert profile.status_code == 200 and "1 posts" in profile.content.decode()
    assert "Sunday" in tag.content.decode()
    assert media["Content-Type"] == "image/png" and media.content.startswith(b"\x89PNG")
    assert client.get("/sandbox/@nobody").status_code == 404
