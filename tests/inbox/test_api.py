import datetime as dt
import uuid

import pytest
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.inbox import services, timers
from rapport.inbox.models import (
    BusinessCalendar,
    ComplaintResolution,
    Conversation,
    KindCorrection,
    Message,
    Notification,
    SlaPolicy,
    SlaTarget,
    Status,
)
from tests.inbox.conftest import event


@pytest.fixture
def complaint(channel):
    services.ingest(
        channel, [event("My order #1234 arrived broken and nobody answers!", external_id="c-1")]
    )
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(kind="complaint")
    return conversation


def test_agent_works_a_complaint_to_an_accepted_refund(alice, complaint, api_as):
    api = api_as(alice)
    cid = complaint.public_id

    taken = api.patch(f"/conversations/{cid}", {"assignee": str(alice.public_id), "status": "open"})
    replied = api.post(
        f"/conversations/{cid}/messages", {"text": "So sorry, Jo. We'll refund you today."}
    )
    resolved = api.post(
        f"/conversations/{cid}/resolutions",
        {
            "action": "refund",
            "amount": "24.50",
            "currency": "gbp",
            "outcome": "Refunded to card",
            "policy_reference": "Refunds policy v3",
        },
    )
    accepted = api.patch(
        f"/resolutions/{resolved.json()['id']}", {"customer_acceptance": "accepted"}
    )

    assert taken.status_code == 200 and taken.json()["assignee"]["email"] == alice.email
    assert replied.status_code == 201 and replied.json()["direction"] == "out"
    assert resolved.status_code == 201 and resolved.json()["amount"] == "24.50"
    assert accepted.json()["customer_acceptance"] == "accepted"
    detail = api.get(f"/conversations/{cid}").json()
    assert detail["status"] == "resolved" and detail["kind"] == "complaint"
    assert detail["timers"]["first_responded_at"] is not None
    assert detail["resolutions"][0]["currency"] == "GBP"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "conversation.update",
        "conversation.reply",
        "complaint.resolve",
        "complaint.acceptance",
    } <= actions


def test_refund_without_amount_is_refused_and_changes_nothing(alice, complaint, api_as):
    response = api_as(alice).post(
        f"/conversations/{complaint.public_id}/resolutions", {"action": "refund"}
    )

    assert response.status_code == 400 and response.json()["code"] == "amount_required"
    assert not ComplaintResolution.objects.exists()
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.parametrize("who", ["ana", "ash"])
def test_read_only_roles_see_but_cannot_change(who, request, complaint, api_as):
    api = api_as(request.getfixturevalue(who))
    cid = complaint.public_id

    assert api.get(f"/conversations/{cid}").status_code == 200
    assert api.patch(f"/conversations/{cid}", {"status": "resolved"}).status_code == 403
    assert api.post(f"/conversations/{cid}/messages", {"text": "hi"}).status_code == 403
    assert api.post(f"/conversations/{cid}/resolutions", {"action": "apology"}).status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW and complaint.message_count == 1


def test_outsider_sees_and_changes_nothing(charlie, complaint, api_as):
    api = api_as(charlie)
    cid = complaint.public_id

    assert api.get("/conversations").json()["items"] == []
    assert api.get(f"/conversations/{cid}").status_code == 404
    assert api.patch(f"/conversations/{cid}", {"status": "closed"}).status_code == 404
    assert api.post(f"/conversations/{cid}/messages", {"text": "x"}).status_code == 404
    assert api.get("/search?q=broken").json() == []


@pytest.mark.parametrize(
    "path,body",
    [
        ("", {"status": "exploded"}),
        ("", {"priority": 9}),
        ("", {"assignee": "not-a-uuid"}),
        ("/messages", {"text": ""}),
        ("/messages", {"text": 42}),
        ("/merge", {"into": str(uuid.uuid4())}),
        ("/split", {"message_ids": []}),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(alice, complaint, api_as, path, body):
    api = api_as(alice)
    method = api.patch if path == "" else api.post

    response = method(f"/conversations/{complaint.public_id}{path}", body)

    assert 400 <= response.status_code < 500
    assert response.json()["code"]
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW and complaint.message_count == 1


def test_unknown_assignee_is_a_400(alice, complaint, api_as):
    response = api_as(alice).patch(
        f"/conversations/{complaint.public_id}", {"assignee": str(uuid.uuid4())}
    )

    assert response.status_code == 400 and response.json()["code"] == "unknown_user"


def test_reply_to_a_closed_conversation_is_refused(alice, complaint, api_as):
    api = api_as(alice)
    api.patch(f"/conversations/{complaint.public_id}", {"status": "closed"})

    response = api.post(f"/conversations/{complaint.public_id}/messages", {"text": "hello?"})

    assert response.status_code == 409 and response.json()["code"] == "conversation_closed"


def test_note_mentions_a_colleague(alice, bob, complaint, api_as):
    response = api_as(alice).post(
        f"/conversations/{complaint.public_id}/messages",
        {"text": "@bob can you check the courier?", "note": True},
    )

    assert response.status_code == 201 and response.json()["direction"] == "note"
    assert Notification.objects.filter(user=bob, kind="mention").exists()


def test_merge_and_split_keep_every_message(alice, channel, api_as):
    services.ingest(
        channel, [event("a", author_handle="@one@x"), event("b", author_handle="@two@x")]
    )
    first, second = Conversation.objects.order_by("pk")
    services.ingest(channel, [event("c", author_handle="@two@x")])
    api = api_as(alice)

    merged = api.post(f"/conversations/{second.public_id}/merge", {"into": str(first.public_id)})
    ids = [m["id"] for m in api.get(f"/conversations/{first.public_id}/messages").json()]
    split = api.post(f"/conversations/{first.public_id}/split", {"message_ids": ids[1:]})

    assert merged.status_code == 200 and merged.json()["message_count"] == 3
    assert split.status_code == 201 and split.json()["message_count"] == 2
    assert Message.objects.count() == 3
    first.refresh_from_db()
    assert first.message_count == 1
    second.refresh_from_db()
    assert second.merged_into_id == first.pk


def test_kind_correction_is_kept_for_retraining(alice, complaint, api_as):
    api_as(alice).patch(f"/conversations/{complaint.public_id}", {"kind": "question"})

    correction = KindCorrection.objects.get()
    assert correction.predicted == "complaint" and correction.corrected == "question"
    assert "broken" in correction.text


def test_list_filters_and_pages_with_a_fixed_query_count(
    alice, channel, api_as, django_assert_max_num_queries
):
    services.ingest(channel, [event(f"msg {n}", author_handle=f"@c{n}@x") for n in range(30)])
    api = api_as(alice)

    with django_assert_max_num_queries(6):
        first = api.get("/conversations?limit=10&active=true")
    with django_assert_max_num_queries(6):
        big = api.get("/conversations?limit=25")
    second = api.get(f"/conversations?limit=10&cursor={first.json()['next_cursor']}")

    assert len(first.json()["items"]) == 10 and len(big.json()["items"]) == 25
    ids_one = {c["id"] for c in first.json()["items"]}
    ids_two = {c["id"] for c in second.json()["items"]}
    assert not ids_one & ids_two


def test_bad_cursor_is_a_400(alice, api_as, db):
    response = api_as(alice).get("/conversations?cursor=garbage")

    assert response.status_code == 400 and response.json()["code"] == "bad_cursor"


def test_full_text_search_finds_messages(alice, channel, api_as):
    services.ingest(
        channel,
        [
            event("The espresso machine is leaking"),
            event("Lovely croissants", author_handle="@b@x"),
        ],
    )

    hits = api_as(alice).get("/search?q=espresso leak").json()
    listed = api_as(alice).get("/conversations?q=croissant").json()["items"]

    assert [h["text"] for h in hits] == ["The espresso machine is leaking"]
    assert [c["last_message_preview"] for c in listed] == ["Lovely croissants"]


def test_search_treats_query_syntax_as_plain_words(alice, channel, api_as):
    services.ingest(channel, [event('Order "NEAR" AND OR *')])

    response = api_as(alice).get('/search?q="NEAR" AND ( OR *')

    assert response.status_code == 200


def test_macro_replies_and_applies_actions(alice, sam, complaint, api_as):
    macro = (
        api_as(sam)
        .post(
            "/macros",
            {
                "name": "Thanks",
                "body": "Thanks {customer_name}, from {agent_name}",
                "set_status": "pending_customer",
                "add_tags": ["courier"],
            },
        )
        .json()
    )

    response = api_as(alice).post(
        f"/conversations/{complaint.public_id}/macros/{macro['id']}", {"send": True}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending_customer" and body["tags"] == ["courier"]
    assert body["timers"]["paused"] is True
    assert Message.objects.filter(text="Thanks Jo Customer, from Alice Agent").exists()


def test_agent_cannot_create_a_shared_macro(alice, api_as, db):
    response = api_as(alice).post("/macros", {"name": "x", "body": "y"})

    assert response.status_code == 403


def test_bulk_update_is_all_or_nothing(alice, channel, api_as):
    services.ingest(channel, [event("a", author_handle="@a@x"), event("b", author_handle="@b@x")])
    ids = [str(c.public_id) for c in Conversation.objects.all()]

    bad = api_as(alice).post(
        "/conversations/bulk", {"ids": [*ids, str(uuid.uuid4())], "changes": {"status": "resolved"}}
    )
    good = api_as(alice).post(
        "/conversations/bulk", {"ids": ids, "changes": {"status": "resolved"}}
    )

    assert bad.status_code == 400
    assert good.json() == {"updated": 2}
    assert set(Conversation.objects.values_list("status", flat=True)) == {"resolved"}


def test_saved_view_with_unknown_filter_values_is_refused(alice, api_as, db):
    good = api_as(alice).post("/views", {"name": "Mine", "filters": {"mine": True, "active": True}})
    bad = api_as(alice).post("/views", {"name": "Bad", "filters": {"limit": "lots"}})

    assert good.status_code == 201
    assert bad.status_code == 400 and bad.json()["code"] == "bad_filters"


def _office_hours_policy(org):
    calendar = BusinessCalendar.objects.create(
        organisation=org,
        name="Office",
        time_zone="Europe/London",
        weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    policy = SlaPolicy.objects.create(
        organisation=org,
        name="Standard",
        calendar=calendar,
        is_default=True,
        warn_before_minutes=30,
    )
    SlaTarget.objects.create(policy=policy, first_response_minutes=240, resolution_minutes=960)
    return policy


def test_first_response_is_due_in_business_hours(org, channel):
    _office_hours_policy(org)
    friday_evening = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)

    services.ingest(channel, [event("Hello?")], now=friday_evening)

    conversation = Conversation.objects.get()
    assert conversation.first_response_due_at == dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
    assert conversation.next_due_at == conversation.first_response_due_at


def test_pending_customer_stops_the_clock_and_resuming_gives_the_time_back(org, channel, alice):
    _office_hours_policy(org)
    monday_nine = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    services.ingest(channel, [event("Hello?")], now=monday_nine)
    conversation = Conversation.objects.get()
    resolution_due = conversation.resolution_due_at

    services.update_conversation(
        alice, conversation, status="pending_customer", now=monday_nine + dt.timedelta(hours=1)
    )
    services.update_conversation(
        alice, conversation, status="open", now=monday_nine + dt.timedelta(hours=3)
    )

    conversation.refresh_from_db()
    # Due Tuesday 17:00 before the pause; two business hours later is Wednesday 11:00.
    assert resolution_due == dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)
    assert conversation.resolution_due_at == dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.UTC)
    assert conversation.sla_paused_at is None and conversation.sla_paused_seconds == 7200


def test_supervisor_is_told_of_a_breach_once(org, channel, sam, api_as):
    _office_hours_policy(org)
    opened = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    services.ingest(channel, [event("Hello?")], now=opened)

    warned = timers.check(now=opened + dt.timedelta(hours=3, minutes=45))
    first = timers.check(now=opened + dt.timedelta(hours=5))
    again = timers.check(now=opened + dt.timedelta(hours=5, minutes=1))

    assert warned["warned"] == 1 and first["breached"] == 1 and again["breached"] == 0
    assert Notification.objects.filter(user=sam, kind="sla_breach").count() == 1
    conversation = Conversation.objects.get()
    assert conversation.sla_breached_at == conversation.next_due_at
    assert conversation.sla_warned_at == conversation.next_due_at


def test_breached_view_lists_overdue_conversations(org, channel, sam, api_as):
    _office_hours_policy(org)
    services.ingest(channel, [event("late", author_handle="@late@x")])
    services.ingest(channel, [event("fine", author_handle="@fine@x")])
    late = Conversation.objects.get(
        customer__display_name="Jo Customer", last_message_preview="late"
    )
    Conversation.objects.filter(pk=late.pk).update(
        next_due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    Conversation.objects.exclude(pk=late.pk).update(
        next_due_at=timezone.now() + dt.timedelta(hours=5)
    )

    breached = api_as(sam).get("/conversations?breached=true").json()["items"]
    soon = api_as(sam).get("/conversations?breaching_within_minutes=600").json()["items"]

    assert [c["id"] for c in breached] == [str(late.public_id)]
    assert str(late.public_id) not in [c["id"] for c in soon] and len(soon) == 1


def test_snoozed_conversation_wakes_up(alice, complaint):
    until = timezone.now() + dt.timedelta(hours=1)
    services.update_conversation(alice, complaint, snoozed_until=until)

    timers.check(now=until + dt.timedelta(seconds=1))

    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN and complaint.snoozed_until is None


def _upload(api, conversation, name, content, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.client.post(
        f"/api/v1/conversations/{conversation.public_id}/messages/with-files",
        data={"text": "see attached", "files": [SimpleUploadedFile(name, content)], **extra},
        headers=api.headers,
    )


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def test_reply_with_a_sniffed_image_attachment(alice, complaint, api_as):
    response = _upload(api_as(alice), complaint, "receipt.txt", PNG)

    assert response.status_code == 201
    assert response.json()["attachments"][0]["mime_type"] == "image/png"


def test_disguised_attachment_is_refused_and_nothing_is_sent(alice, complaint, api_as):
    response = _upload(api_as(alice), complaint, "photo.jpg", b"<html><script>x</script></html>")

    assert response.status_code == 400 and response.json()["code"] == "upload_refused"
    assert not Message.objects.filter(direction="out").exists()


def test_oversized_attachment_is_a_413_and_nothing_is_sent(alice, complaint, api_as, settings):
    settings.RAPPORT_MAX_ATTACHMENT_BYTES = 1024

    response = _upload(api_as(alice), complaint, "big.txt", b"a" * 5000)

    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not Message.objects.filter(direction="out").exists()


def test_list_rows_match_the_documented_schema(alice, sam, channel, api_as):
    from rapport.inbox import schemas

    services.ingest(channel, [event("a", author_handle="@s1@x"), event("b", author_handle="@s2@x")])
    first = Conversation.objects.order_by("pk").first()
    assert first is not None
    services.update_conversation(alice, first, assignee=alice, tags=["vip", "courier"])

    body = api_as(alice).get("/conversations").json()

    def names(schema):
        return set(schema.model_fields)

    assert set(body) == names(schemas.ConversationPage)
    for item in body["items"]:
        assert set(item) == names(schemas.ConversationOut)
        assert set(item["timers"]) == names(schemas.TimersOut)
        assert set(item["channel"]) == names(schemas.ChannelRef)
        assert set(item["customer"]) == names(schemas.CustomerRef)
        assert item["team"] is None or set(item["team"]) == names(schemas.NamedRef)
    row = next(item for item in body["items"] if item["id"] == str(first.public_id))
    assert row["tags"] == ["courier", "vip"] and row["number"] == first.pk
    assert set(row["assignee"]) == names(schemas.UserRef)
    assert row["assignee"]["email"] == alice.email
    assert row["customer"]["display_name"] == "Jo Customer"
    assert row["timers"]["first_responded_at"] is None and row["timers"]["paused"] is False
    assert dt.datetime.fromisoformat(row["last_message_at"].replace("Z", "+00:00"))


def test_snooze_time_without_an_offset_is_read_as_utc(alice, complaint, api_as):
    response = api_as(alice).patch(
        f"/conversations/{complaint.public_id}", {"snoozed_until": "2031-01-01T10:00:00"}
    )

    assert response.status_code == 200 and response.json()["status"] == "on_hold"
    complaint.refresh_from_db()
    assert complaint.snoozed_until == dt.datetime(2031, 1, 1, 10, 0, tzinfo=dt.UTC)


def test_escalation_raises_priority_and_hands_to_the_team_lead(alice, sam, bob, complaint, api_as):
    from rapport.accounts import services as accounts

    team = accounts.create_team(sam, name="Escalations")
    accounts.set_team_members(sam, team, members=[sam, bob], leads=[bob])

    response = api_as(alice).post(
        f"/conversations/{complaint.public_id}/escalate",
        {"reason": "Customer threatens legal action", "team": str(team.public_id)},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["priority"] == 3 and body["assignee"]["email"] == bob.email
    assert Notification.objects.filter(user=bob, kind="escalated").count() == 1
    assert not Notification.objects.filter(user=sam, kind="escalated").exists()


def test_escalation_without_a_team_goes_to_supervisors(alice, sam, complaint, api_as):
    response = api_as(alice).post(
        f"/conversations/{complaint.public_id}/escalate", {"reason": "Angry"}
    )

    assert response.status_code == 200 and response.json()["assignee"]["email"] == sam.email
    assert Notification.objects.filter(user=sam, kind="escalated").exists()
