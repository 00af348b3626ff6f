"""The content calendar: entries, posts where they are scheduled, dragging, the iCalendar feed."""
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import User
from rapport.channels.models import Channel
from rapport.publishing import calendar as cal
from rapport.publishing import services
from rapport.publishing.models import CalendarEntry, Campaign, Post, PostStatus
from tests.publishing.posts_fixtures import _fresh_cache, account, brand  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(mara: User) -> Campaign:
    return services.create_campaign(mara, name="Winter warmers", kind="event", colour="#aa3300")


def draft(mara: User, channel: Channel, *, days: int = 3, title: str = "Cocoa week") -> Post:
    return services.create_post(
        mara,
        title=title,
        variants=[services.VariantInput(channel=channel, text="Cocoa week starts Monday.")],
        scheduled_at=timezone.now() + dt.timedelta(days=days),
    )


def window(days: int = 40) -> str:
    start = timezone.now() - dt.timedelta(days=5)
    end = start + dt.timedelta(days=days)
    return f"start={start.date().isoformat()}&end={end.date().isoformat()}"


def test_entry_crud_through_the_api(mara: User, api_as: Any, campaign: Campaign) -> None:
    api = api_as(mara)
    day = (timezone.localdate() + dt.timedelta(days=7)).isoformat()

    created = api.post(
        "/publishing/calendar/entries",
        {
            "kind": "promotion",
            "title": "Two-for-one Tuesday",
            "starts_at": day,
            "all_day": True,
            "campaign_id": str(campaign.public_id),
        },
    )
    entry_id = created.json_body["id"]
    changed = api.patch(
        f"/publishing/calendar/entries/{entry_id}",
        {"title": "Two-for-one week", "notes": "Terms on the board"},
    )
    gone = api.delete(f"/publishing/calendar/entries/{entry_id}")

    assert created.status_code == 201
    assert created.json_body["campaign_id"] == str(campaign.public_id)
    assert changed.json_body["title"] == "Two-for-one week"
    assert gone.status_code == 204
    assert not CalendarEntry.objects.exists()


def test_bad_entries_are_refused(mara: User, api_as: Any) -> None:
    api = api_as(mara)
    now = timezone.now()

    backwards = api.post(
        "/publishing/calendar/entries",
        {
            "kind": "event",
            "title": "x",
            "starts_at": now.isoformat(),
            "ends_at": (now - dt.timedelta(hours=1)).isoformat(),
        },
    )
    bad_kind = api.post(
        "/publishing/calendar/entries",
        {"kind": "party", "title": "x", "starts_at": now.isoformat()},
    )
    bad_colour = api.post(
        "/publishing/calendar/entries",
        {"kind": "event", "title": "x", "starts_at": now.isoformat(), "colour": "red"},
    )

    assert backwards.status_code == 400 and backwards.json_body["code"] == "invalid_range"
    assert bad_kind.status_code == 422
    assert bad_colour.status_code == 400
    assert not CalendarEntry.objects.exists()


def test_all_day_entries_end_the_midnight_after_their_last_day(org: Any, mara: User) -> None:
    org.time_zone = "Europe/Paris"
    org.save()
    mara.refresh_from_db()
    first = timezone.localdate() + dt.timedelta(days=3)

    entry = cal.create_entry(
        mara,
        kind="event",
        title="Market days",
        starts_at=first,
        ends_at=first + dt.timedelta(days=2),
        all_day=True,
    )

    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert entry.starts_at.astimezone(paris).time() == dt.time(0, 0)
    assert entry.ends_at is not None
    assert (entry.ends_at.astimezone(paris).date() - first).days == 2


def test_calendar_shows_entries_and_posts_with_colours_and_failures(
    mara: User,
    web_as: Any,
    account: Channel,
    campaign: Campaign,
    django_assert_max_num_queries: Any,
) -> None:
    cal.create_entry(
        mara,
        kind="milestone",
        title="1,000 followers",
        starts_at=timezone.now() + dt.timedelta(days=1),
        campaign=campaign,
    )
    for n in range(5):
        draft(mara, account, days=n + 1, title=f"Post {n}")
    failed = draft(mara, account, days=2, title="Broken")
    Post.objects.filter(pk=failed.pk).update(status=PostStatus.FAILED)
    client = web_as(mara)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("publishing:calendar_events") + "?" + window())

    events = response.json()
    by_title = {e["title"]: e for e in events}
    assert len(events) == 7
    assert by_title["1,000 followers"]["backgroundColor"] == "#aa3300"
    assert by_title["⚠ Broken"]["extendedProps"]["status"] == "failed"
    assert "cal-failed" in by_title["⚠ Broken"]["classNames"]
    assert by_title["Post 0"]["editable"] is True
    only_posts = client.get(
        reverse("publishing:calendar_events") + "?" + window() + "&kind=post"
    ).json()
    assert len(only_posts) == 6
    by_campaign = client.get(
        reverse("publishing:calendar_events") + f"?{window()}&campaign={campaign.public_id}"
    ).json()
    assert [e["title"] for e in by_campaign] == ["1,000 followers"]


def test_a_bad_range_is_a_400(mara: User, web_as: Any) -> None:
    response = web_as(mara).get(
        reverse("publishing:calendar_events") + "?start=yesterday&end=2026-13-45"
    )

    assert response.status_code == 400


def test_dragging_an_entry_moves_it(mara: User, web_as: Any) -> None:
    entry = cal.create_entry(
        mara,
        kind="date",
        title="Bank holiday",
        starts_at=timezone.localdate() + dt.timedelta(days=4),
        all_day=True,
    )
    target = timezone.localdate() + dt.timedelta(days=6)

    response = web_as(mara).post(
        reverse("publishing:calendar_move"),
        json.dumps(
            {
                "type": "entry",
                "id": str(entry.public_id),
                "start": target.isoformat(),
                "allDay": True,
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.starts_at.date() == target


def test_dragging_a_post_reschedules_it(mara: User, web_as: Any, account: Channel) -> None:
    post = draft(mara, account)
    later = (timezone.now() + dt.timedelta(days=5)).replace(microsecond=0)

    response = web_as(mara).post(
        reverse("publishing:calendar_move"),
        json.dumps({"type": "post", "id": str(post.public_id), "start": later.isoformat()}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.scheduled_at == later


def test_a_post_cannot_be_dragged_into_the_past_or_once_published(
    mara: User, web_as: Any, account: Channel
) -> None:
    post = draft(mara, account)
    client = web_as(mara)
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()

    into_past = client.post(
        reverse("publishing:calendar_move"),
        json.dumps({"type": "post", "id": str(post.public_id), "start": past}),
        content_type="application/json",
    )
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED, published_at=timezone.now())
    published = client.post(
        reverse("publishing:calendar_move"),
        json.dumps(
            {
                "type": "post",
                "id": str(post.public_id),
                "start": (timezone.now() + dt.timedelta(days=2)).isoformat(),
            }
        ),
        content_type="application/json",
    )

    assert into_past.status_code == 400
    assert published.status_code == 400
    assert "cannot be moved" in published.json()["message"]


def test_readers_cannot_drag(sam: User, mara: User, web_as: Any) -> None:
    entry = cal.create_entry(
        mara, kind="date", title="Holiday", starts_at=timezone.localdate(), all_day=True
    )

    response = web_as(sam).post(
        reverse("publishing:calendar_move"),
        json.dumps(
            {
                "type": "entry",
                "id": str(entry.public_id),
                "start": timezone.localdate().isoformat(),
                "allDay": True,
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 403


def test_ics_feed_is_valid_and_needs_the_secret(
    mara: User, api_as: Any, client: Any, account: Channel
) -> None:
    cal.create_entry(
        mara,
        kind="promotion",
        title="Pumpkin spice day",
        starts_at=timezone.localdate() + dt.timedelta(days=2),
        all_day=True,
        notes="Free syrup",
    )
    draft(mara, account, title="Pumpkin post")
    url = api_as(mara).post("/publishing/calendar/feed-token").json_body["url"]
    path = url.split("testserver", 1)[1]

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {"Promotion: Pumpkin spice day", "Post: Pumpkin post"}
    promo = events["Promotion: Pumpkin spice day"]
    assert isinstance(promo.decoded("dtstart"), dt.date) and not isinstance(
        promo.decoded("dtstart"), dt.datetime
    )
    assert "Free syrup" in str(promo["description"])
    assert str(events["Post: Pumpkin post"]["status"]) == "TENTATIVE"
    assert client.get(path.replace("rcal_", "rcal_x")).status_code == 404


def test_a_revoked_or_replaced_feed_secret_stops_working(
    mara: User, api_as: Any, client: Any
) -> None:
    api = api_as(mara)
    first = api.post("/publishing/calendar/feed-token").json_body["url"].split("testserver", 1)[1]
    second = api.post("/publishing/calendar/feed-token").json_body["url"].split("testserver", 1)[1]

    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert api.delete("/publishing/calendar/feed-token").status_code == 204
    assert client.get(second).status_code == 404


def test_feed_of_a_deactivated_person_stops(mara: User, api_as: Any, client: Any) -> None:
    path = (
        api_as(mara)
        .post("/publishing/calendar/feed-token")
        .json_body["url"]
        .split("testserver", 1)[1]
    )
    User.objects.filter(pk=mara.pk).update(is_active=False)

    assert client.get(path).status_code == 404


def test_outsider_cannot_read_or_move_entries(
    mara: User, charlie: User, api_as: Any, web_as: Any
) -> None:
    entry = cal.create_entry(
        mara, kind="date", title="Holiday", starts_at=timezone.localdate(), all_day=True
    )
    api = api_as(charlie)

    assert api.get(f"/publishing/calendar/entries/{entry.public_id}").status_code == 404
    assert (
        api.patch(f"/publishing/calendar/entries/{entry.public_id}", {"title": "x"}).status_code
        == 404
    )
    assert api.delete(f"/publishing/calendar/entries/{entry.public_id}").status_code == 404
    assert (
        api.post(
            "/publishing/calendar/move",
            {"type": "entry", "id": str(entry.public_id), "start": "2026-12-01", "all_day": True},
        ).status_code
        == 404
    )
    start = (timezone.now() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = api.get(f"/publishing/calendar/items?start={start}&end={end}")
    assert items.status_code == 200 and items.json() == []
    moved = web_as(charlie).post(
        reverse("publishing:calendar_move"),
        json.dumps(
            {"type": "entry", "id": str(entry.public_id), "start": "2026-12-01", "allDay": True}
        ),
        content_type="application/json",
    )
    assert moved.status_code == 404


def test_entry_page_form_creates_an_all_day_entry(
    mara: User, web_as: Any, campaign: Campaign
) -> None:
    day = timezone.localdate() + dt.timedelta(days=9)

    response = web_as(mara).post(
        reverse("publishing:entry_create"),
        {
            "kind": "release",
            "title": "Winter menu",
            "all_day": "on",
            "starts_on": day.isoformat(),
            "campaign": str(campaign.public_id),
            "colour": "#000000",
        },
    )

    assert response.status_code == 302
    entry = CalendarEntry.objects.get()
    assert (entry.title, entry.all_day, entry.campaign, entry.colour) == (
        "Winter menu",
        True,
        campaign,
        "",
    )
