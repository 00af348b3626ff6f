"""The public contact form: a conversation and a confirmation, no bots, no floods."""

from __future__ import annotations

import pytest
from django.core import mail

from rapport.channels import services, views
from rapport.inbox.models import Conversation, Message


@pytest.fixture
def form_channel(ada):
    return services.create_channel(ada, name="Web form", kind="webform").channel


def _submit(client, org, **overrides):
    data = {
        "name": "Maya Okafor",
        "email": "maya@example.com",
        "subject": "Wholesale beans",
        "message": "Do you sell 5 kg bags of the house espresso?",
        "website": "",
        **overrides,
    }
    return client.post(f"/contact/{org.slug}/", data)


def test_the_form_opens_a_conversation_and_mails_a_confirmation(
    client, org, form_channel, django_capture_on_commit_callbacks
):
    page = client.get(f"/contact/{org.slug}/")
    assert page.status_code == 200 and "Contact Northwind" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        answer = _submit(client, org)

    assert answer.status_code == 200 and "Thank you" in answer.content.decode()
    conversation = Conversation.objects.get(channel=form_channel)
    assert conversation.subject == "Wholesale beans" and not conversation.is_public
    message = Message.objects.get(conversation=conversation)
    assert "5 kg bags" in message.text
    assert [m.to for m in mail.outbox] == [["maya@example.com"]]
    assert "Northwind" in mail.outbox[0].subject


def test_a_double_submit_is_one_message(
    client, org, form_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(client, org)
        _submit(client, org)

    assert Message.objects.filter(channel=form_channel).count() == 1
    assert len(mail.outbox) == 1


def test_a_filled_honeypot_is_thanked_and_nothing_is_kept(
    client, org, form_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = _submit(client, org, website="http://spam.example")

    assert answer.status_code == 200 and "Thank you" in answer.content.decode()
    assert not Message.objects.exists() and not mail.outbox


def test_validation_errors_are_shown_and_nothing_is_written(client, org, form_channel):
    answer = _submit(client, org, email="not-an-email", message="")

    body = answer.content.decode()
    assert answer.status_code == 200 and "valid email" in body and "required" in body
    assert not Message.objects.exists()


def test_one_address_is_rate_limited(client, org, form_channel):
    for n in range(views.CONTACT_LIMIT):
        assert _submit(client, org, message=f"Question number {n}").status_code == 200

    answer = _submit(client, org, message="One too many")

    assert answer.status_code == 429 and "Too many" in answer.content.decode()
    assert Message.objects.filter(channel=form_channel).count() == views.CONTACT_LIMIT


def test_an_organisation_without_a_form_has_no_page(client, org, other_org):
    assert client.get(f"/contact/{org.slug}/").status_code == 404
    assert client.get("/contact/nobody-here/").status_code == 404
