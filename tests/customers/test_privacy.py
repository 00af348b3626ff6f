import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from rapport.accounts.models import AuditEntry
from rapport.customers import services
from rapport.customers.models import Customer, Identity
from rapport.customers.services import Author, resolve_identities
from rapport.inbox.models import (
    Attachment,
    ComplaintResolution,
    Conversation,
    Direction,
    KindCorrection,
    Message,
)
from tests.customers import helpers


@pytest.fixture
def jo(org, bob):
    """Jo Bloggs, with a profile, identities, two conversations, a resolution and an attachment."""
    jo = helpers.customer(org, "Jo Bloggs", ("email", "jo@example.com"), ("phone", "+447700900123"))
    Customer.objects.filter(pk=jo.pk).update(
        company="Bloggs Haulage",
        notes="Lives at 1 High Street",
        attributes={"account": "A-17"},
        marketing_consent=True,
        consent_source="Web form",
    )
    social, email = helpers.channel(org), helpers.channel(org, "Support email", "email")
    complaint = helpers.conversation(jo, email, "Refund for order 1042")
    written = helpers.message(complaint, "I want my £20 back", url="https://mail.example/1")
    helpers.message(complaint, "Refund sent, Jo", agent=bob, direction=Direction.OUTBOUND)
    helpers.message(complaint, "Jo is a regular", agent=bob, direction=Direction.NOTE)
    attachment = Attachment.objects.create(message=written, filename="receipt.pdf")
    attachment.file.save("receipt.pdf", ContentFile(b"%PDF receipt"), save=True)
    ComplaintResolution.objects.create(
        organisation=org,
        conversation=complaint,
        action="refund",
        amount="20.00",
        currency="GBP",
        reason="Jo's parcel was lost",
        outcome="Refunded Jo",
    )
    KindCorrection.objects.create(
        conversation=complaint, text="I want my £20 back", corrected="complaint"
    )
    public = helpers.conversation(jo, social, "Parcel")
    helpers.message(public, "Where is my parcel?")
    # Someone else replied in Jo's public thread: theirs, not Jo's.
    helpers.message(public, "Mine too, Sam here", author=helpers.customer(org, "Sam"))
    jo.refresh_from_db()
    return jo


def test_export_holds_the_profile_identities_and_every_message(jo, morgan, api_as):
    response = api_as(morgan).get(f"/customers/{jo.public_id}/export")

    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["display_name"] == "Jo Bloggs"
    assert data["customer"]["notes"] == "Lives at 1 High Street"
    assert data["customer"]["consent"]["marketing"] is True
    assert {i["handle"] for i in data["identities"]} == {"jo@example.com", "+447700900123"}
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert texts == [
        "I want my £20 back",
        "Refund sent, Jo",
        "Jo is a regular",
        "Where is my parcel?",
    ]
    complaint = data["conversations"][0]
    assert complaint["channel"] == {"name": "Support email", "kind": "email"}
    assert complaint["messages"][0]["attachments"][0]["filename"] == "receipt.pdf"
    assert complaint["resolutions"][0]["amount"] == "20.00"
    assert "Sam here" not in json.dumps(data)


def test_export_is_audited(jo, ada, api_as):
    api_as(ada).get(f"/customers/{jo.public_id}/export")

    entry = AuditEntry.objects.get(action="customer.export")
    assert entry.object_id == str(jo.public_id) and entry.actor == ada
    assert entry.changes == {"format": [None, "json"]}


def test_erase_removes_personal_data_and_keeps_the_counts(
    jo, ada, api_as, django_capture_on_commit_callbacks
):
    conversations = Conversation.objects.filter(customer=jo).count()
    messages = Message.objects.filter(conversation__customer=jo).count()
    stored = Attachment.objects.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(ada).post(f"/customers/{jo.public_id}/erase", {"confirm": "erase"})

    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Erased customer" and body["erased_at"]
    assert body["identities"] == [] and body["notes"] == "" and body["company"] == ""
    assert body["attributes"] == {} and body["marketing_consent"] is False
    assert body["consent_source"] == "" and body["consent_recorded_at"] is None
    assert body["preferred_contact"] == "none" and body["conversation_count"] == conversations
    assert Conversation.objects.filter(customer=jo).count() == conversations
    assert Message.objects.filter(conversation__customer=jo).count() == messages
    theirs = Message.objects.filter(author_customer=jo)
    assert set(theirs.values_list("text", "url")) == {("[erased]", "")}
    assert not Attachment.objects.exists() and not default_storage.exists(stored)
    assert not Identity.objects.filter(customer=jo).exists()
    assert set(Conversation.objects.filter(customer=jo).values_list("subject", flat=True)) == {""}
    resolution = ComplaintResolution.objects.get()
    assert (resolution.amount, resolution.reason, resolution.outcome) == (20, "", "")
    assert not KindCorrection.objects.exists()
    # Other people's words stay theirs.
    assert Message.objects.filter(text="Mine too, Sam here").exists()


def test_erase_is_idempotent_and_audited_once(jo, morgan, api_as):
    api = api_as(morgan)

    first = api.post(f"/customers/{jo.public_id}/erase", {"confirm": "erase"})
    second = api.post(f"/customers/{jo.public_id}/erase", {"confirm": "erase"})

    assert first.status_code == 200 and second.status_code == 200
    assert second.json()["erased_at"] == first.json()["erased_at"]
    entry = AuditEntry.objects.get(action="customer.erase")
    assert entry.actor == morgan
    assert entry.changes["identities_deleted"] == [0, 2]
    assert entry.changes["messages_erased"] == [0, 2]
    assert entry.changes["conversations_kept"] == [0, 2]


def test_the_audit_log_holds_none_of_the_erased_data(org, ada, api_as):
    api = api_as(ada)
    created = api.post(
        "/customers",
        {
            "display_name": "Jo Bloggs",
            "company": "Bloggs Haulage",
            "notes": "Lives at 1 High Street",
            "identities": [{"platform": "email", "handle": "jo.bloggs@example.com"}],
        },
    ).json()
    api.patch(f"/customers/{created['id']}", {"notes": "Moved to 2 Low Road"})
    api.get(f"/customers/{created['id']}/export")

    api.post(f"/customers/{created['id']}/erase", {"confirm": "erase"})

    log = json.dumps(list(AuditEntry.objects.values("object_label", "changes")), ensure_ascii=False)
    for secret in ("Jo Bloggs", "Bloggs", "High Street", "Low Road", "jo.bloggs@example.com"):
        assert secret not in log
    assert AuditEntry.objects.filter(object_id=created["id"]).count() == 4


@pytest.mark.parametrize("body", [{}, {"confirm": "yes"}, {"confirm": True}, None])
def test_erase_needs_the_word_erase(jo, ada, api_as, body):
    response = api_as(ada).post(f"/customers/{jo.public_id}/erase", body)

    assert response.status_code == 422
    jo.refresh_from_db()
    assert jo.erased_at is None and jo.display_name == "Jo Bloggs"


def test_erasing_a_customer_erases_those_merged_into_it(org, jo, ada, api_as):
    duplicate = helpers.customer(org, "Jo B. (old record)")
    Customer.objects.filter(pk=duplicate.pk).update(notes="Old address")
    services.merge_customers(ada, source=duplicate, target=jo)

    api_as(ada).post(f"/customers/{jo.public_id}/erase", {"confirm": "erase"})

    duplicate.refresh_from_db()
    assert duplicate.display_name == "Erased customer" and duplicate.notes == ""
    assert duplicate.erased_at is not None


def test_an_erased_customer_cannot_be_edited_and_a_new_message_starts_afresh(jo, ada, api_as):
    api = api_as(ada)
    api.post(f"/customers/{jo.public_id}/erase", {"confirm": "erase"})

    edited = api.patch(f"/customers/{jo.public_id}", {"display_name": "Jo Bloggs"})
    found = resolve_identities(jo.organisation, [Author("email", "jo@example.com", "Jo")])

    assert edited.status_code == 409 and edited.json()["code"] == "customer_erased"
    assert found[("email", "jo@example.com")].pk != jo.pk


def test_a_merged_away_record_is_erased_through_the_customer_it_joined(org, jo, ada, api_as):
    duplicate = helpers.customer(org, "Jo B. (old record)")
    services.merge_customers(ada, source=duplicate, target=jo)

    response = api_as(ada).post(f"/customers/{duplicate.public_id}/erase", {"confirm": "erase"})

    assert response.status_code == 409 and response.json()["code"] == "customer_merged"
    duplicate.refresh_from_db()
    assert duplicate.erased_at is None
