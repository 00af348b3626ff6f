"""The inbox list read as light rows (hand-written SQL): same rows, same page, same API shape."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from rapport.accounts import services as accounts
from rapport.connectors.events import EventKind
from rapport.inbox import selectors, services
from rapport.inbox.models import Conversation
from tests.inbox.conftest import event


@pytest.fixture
def world(alice, bob, ada, channel, email_channel):
    """Six conversations that differ on every field the list filters on or shows."""
    now = timezone.now().replace(microsecond=0)
    team = accounts.create_team(ada, name="Care")
    services.ingest(
        channel,
        [
            event("My grinder broke, I want a refund", author_handle="@ann@x", author_name="Ann"),
            event("Is the oat latte back?", author_handle="@ben@x", author_name="Ben"),
            event("Lovely croissants", author_handle="@cat@x", author_name="Cat"),
            event("Where is order 41?", author_handle="@dan@x", author_name="Dan"),
            event("Staff ignored us", author_handle="@eve@x", author_name="Eve"),
        ],
    )
    services.ingest(
        email_channel,
        [
            event(
                "Invoice question",
                platform="email",
                kind=EventKind.EMAIL,
                author_email="fay@example.com",
            )
        ],
    )
    rows = list(Conversation.objects.order_by("pk"))
    ann, ben, cat, dan, eve, fay = rows
    services.update_conversation(
        alice, ann, kind="complaint", priority=4, assignee=alice, team=team, tags=["refund", "vip"]
    )
    services.update_conversation(alice, ben, assignee=bob, team=team, status="open", tags=["stock"])
    services.update_conversation(alice, cat, status="resolved", tags=["praise"])
    services.update_conversation(alice, dan, priority=3)
    # Timers: one breached, one due within the hour, one later; two share a last-message time.
    Conversation.objects.filter(pk=ann.pk).update(next_due_at=now - dt.timedelta(minutes=5))
    Conversation.objects.filter(pk=ben.pk).update(
        next_due_at=now + dt.timedelta(minutes=30), last_message_at=now
    )
    Conversation.objects.filter(pk=dan.pk).update(
        next_due_at=now + dt.timedelta(hours=5), last_message_at=now
    )
    return {
        "now": now,
        "team": team,
        "ann": ann,
        "ben": ben,
        "cat": cat,
        "dan": dan,
        "eve": eve,
        "fay": fay,
    }


def _expected(viewer, **orm_filters: Any) -> list[uuid.UUID]:
    """The same list through the ORM, as the selector read it before."""
    rows = Conversation.objects.filter(
        organisation_id=viewer.organisation_id, merged_into__isnull=True, **orm_filters
    ).order_by("-last_message_at", "-pk")
    return list(rows.values_list("public_id", flat=True))


def _listed(viewer, **filters: Any) -> list[uuid.UUID]:
    page, _ = selectors.inbox_list(viewer, selectors.InboxFilter(**filters), limit=200)
    return [row.public_id for row in page]


def test_every_filter_selects_what_the_orm_would(alice, bob, world):
    now = world["now"]
    soon = now + dt.timedelta(minutes=60)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"status": ["new"]}, {"status__in": ["new"]}),
        ({"active": True}, {"status__in": ["new", "open", "pending_customer", "on_hold"]}),
        ({"team": world["team"].public_id}, {"team": world["team"]}),
        ({"mine": True}, {"assignee": alice}),
        ({"assignee": bob.public_id}, {"assignee": bob}),
        ({"unassigned": True}, {"assignee__isnull": True}),
        ({"kind": ["complaint"]}, {"kind__in": ["complaint"]}),
        ({"priority_at_least": 3}, {"priority__gte": 3}),
        ({"channel": world["fay"].channel.public_id}, {"channel": world["fay"].channel}),
        ({"customer": world["eve"].customer.public_id}, {"customer": world["eve"].customer}),
        ({"tag": "VIP"}, {"tags__name": "vip"}),
        ({"breached": True}, {"next_due_at__lte": now + dt.timedelta(seconds=1)}),
        ({"breaching_within_minutes": 60}, {"next_due_at__gt": now, "next_due_at__lte": soon}),
        ({"q": "croissants"}, {"pk": world["cat"].pk}),
        ({"q": "nothing-like-this"}, {"pk__in": []}),
        (
            {"team": world["team"].public_id, "status": ["new", "open"], "kind": ["question"]},
            {"team": world["team"], "status__in": ["new", "open"], "kind__in": ["question"]},
        ),
    ]

    for filters, orm_filters in cases:
        assert _listed(alice, **filters) == _expected(alice, **orm_filters), filters


def test_a_row_carries_the_conversations_own_values(alice, world):
    page, _ = selectors.inbox_list(alice, selectors.InboxFilter(tag="vip"))

    row = page[0]
    conv = Conversation.objects.select_related("customer", "channel", "assignee", "team").get(
        pk=world["ann"].pk
    )
    for name in selectors.LIST_FIELDS:
        if "__" not in name:
            assert getattr(row, name) == getattr(conv, name), name
    assert row.pk == conv.pk and row.tag_names == ["refund", "vip"]
    assert row.last_message_at.tzinfo is not None and isinstance(row.public_id, uuid.UUID)
    assert row.customer.display_name == conv.customer.display_name
    assert row.channel.name == conv.channel.name
    assert row.assignee is not None and conv.assignee is not None
    assert row.assignee.display_name == conv.assignee.display_name == "Alice Agent"
    assert row.team is not None and row.team.name == "Care"
    assert row.get_status_display() == conv.get_status_display()
    assert row.get_kind_display() == "Complaint" and row.get_priority_display() == "Urgent"


def test_the_list_partial_renders_as_it_did_from_model_instances(alice, world, rf):
    # Given the page as the light rows, and the same page as model instances (the old way)
    page, next_cursor = selectors.inbox_list(alice, selectors.InboxFilter(), limit=4)
    instances = list(
        Conversation.objects.filter(pk__in=[row.pk for row in page])
        .select_related("customer", "channel", "assignee", "team")
        .order_by("-last_message_at", "-pk")
    )
    for conv in instances:
        conv.tag_names = sorted(conv.tags.values_list("name", flat=True))  # type: ignore[attr-defined]
    context = {"next_cursor": next_cursor, "query": "view=open", "current_view": "open"}

    # When both are rendered by the list template
    from_rows = render_to_string("inbox/_list.html", {**context, "conversations": page})
    from_models = render_to_string("inbox/_list.html", {**context, "conversations": instances})

    # Then the HTML is the same, and it shows what a row is for
    assert from_rows == from_models
    assert from_rows.count("data-row") == 4 and "Load more" in from_rows


def _list_item(html: str, customer: str) -> str:
    start = html.rindex("<li", 0, html.index(f'conv-customer">{customer}<'))
    return html[start : html.index("</li>", start)]


def test_the_list_page_shows_customer_message_timers_tags_and_owner(alice, world, web_as):
    response = web_as(alice).get(reverse("inbox:list"), {"view": "open"})

    html = response.content.decode()
    assert response.status_code == 200
    ann = _list_item(html, "Ann")
    assert "My grinder broke, I want a refund" in ann
    assert "status-new" in ann and "Complaint" in ann and "Urgent" in ann
    assert "#refund" in ann and "#vip" in ann
    assert "Sandbox · Alice Agent" in ann
    assert f'href="{reverse("inbox:conversation", args=[world["ann"].public_id])}"' in ann
    ben = _list_item(html, "Ben")
    assert "due in 29\xa0minutes" in ben or "due in 30\xa0minutes" in ben
    assert "Bob Agent" in ben and "#stock" in ben
    assert "Lovely croissants" not in html  # resolved: not in "All open"


def test_pages_follow_each_other_without_gaps_or_repeats_through_equal_times(alice, world):
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page, cursor = selectors.inbox_list(alice, selectors.InboxFilter(), cursor=cursor, limit=2)
        seen += [row.public_id for row in page]
        if cursor is None:
            break

    assert seen == _expected(alice)


def test_the_list_is_two_queries_whatever_the_page_size(alice, world, django_assert_num_queries):
    with django_assert_num_queries(2):
        small, _ = selectors.inbox_list(alice, selectors.InboxFilter(), limit=2)
    with django_assert_num_queries(2):
        large, _ = selectors.inbox_list(alice, selectors.InboxFilter(), limit=50)

    assert len(small) == 2 and len(large) == 6


def test_an_empty_search_is_one_query_and_an_empty_page(alice, world, django_assert_num_queries):
    with django_assert_num_queries(1):
        page, cursor = selectors.inbox_list(alice, selectors.InboxFilter(q="zzzzqqq"))

    assert page == [] and cursor is None


def test_outsider_lists_nothing_of_another_organisation(charlie, world):
    assert _listed(charlie) == []


def test_api_rows_match_the_web_rows(alice, world, api_as):
    page, _ = selectors.inbox_list(alice, selectors.InboxFilter(active=True))

    items = api_as(alice).get("/conversations?active=true").json()["items"]

    assert [item["id"] for item in items] == [str(row.public_id) for row in page]
    first = next(item for item in items if item["number"] == world["ben"].pk)
    row = next(row for row in page if row.pk == world["ben"].pk)
    assert first["number"] == row.pk and first["tags"] == row.tag_names
    assert first["customer"] == {"id": str(row.customer.public_id), "display_name": "Ben"}
    assert first["assignee"]["full_name"] == "Bob Agent" and first["team"]["name"] == "Care"
    assert first["timers"]["next_due_at"].endswith("Z") and first["timers"]["paused"] is False


def test_api_list_is_three_queries_with_a_token(alice, world, api_as, django_assert_num_queries):
    api = api_as(alice)
    api.get("/conversations")  # records the token's first use

    # The token check (user and organisation with it), the page, its tags.
    with django_assert_num_queries(3):
        response = api.get("/conversations?limit=3")

    assert response.status_code == 200 and len(response.json()["items"]) == 3


def test_api_rows_write_times_as_djangos_encoder_does(alice, world):
    encoder = NinjaJSONEncoder()
    utc = [
        dt.datetime(2026, 11, 23, 14, 5, 6, 789123, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 23, 14, 5, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 23, 14, 5, 6, 1000, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ]
    for value in utc:
        assert selectors._time_text(value) == encoder.default(value)

    rows, _ = selectors.inbox_rows(alice, selectors.InboxFilter(tag="vip"))
    page, _ = selectors.inbox_list(alice, selectors.InboxFilter(tag="vip"))

    assert rows[0]["last_message_at"] == encoder.default(page[0].last_message_at)
    assert rows[0]["timers"]["next_due_at"] == encoder.default(page[0].next_due_at)  # type: ignore[index]
    assert rows[0]["timers"]["first_responded_at"] is None  # type: ignore[index]
