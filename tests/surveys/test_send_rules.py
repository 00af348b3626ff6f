import datetime as dt

from django.core import mail
from django.utils import timezone

from rapport.channels.models import Channel
from rapport.customers.models import Identity
from rapport.inbox.models import DeliveryStatus, Message
from rapport.surveys import services
from rapport.surveys.models import SentBy, Survey, SurveyInvitation, SurveyRun
from tests.surveys.conftest import invite, open_conversation, resolve, token_of


def test_resolving_queues_a_private_reply_with_the_link(
    survey, conversation, alice, django_capture_on_commit_callbacks
):
    resolve(alice, conversation, django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get()
    assert invitation.conversation == conversation and invitation.agent == alice
    assert invitation.sent_by == SentBy.PLATFORM and invitation.status == "sent"
    assert invitation.channel_id == conversation.channel_id
    message = invitation.message
    assert message is not None
    assert message.is_public is False and message.delivery_status == DeliveryStatus.SCHEDULED
    assert "/surveys/r/" in message.text
    token = token_of(invitation)
    assert services.hash_token(token) == invitation.token_hash
    assert token not in invitation.token_hash


def test_one_invitation_per_conversation_even_when_resolved_twice(
    survey, conversation, alice, django_capture_on_commit_callbacks
):
    resolve(alice, conversation, django_capture_on_commit_callbacks)
    from rapport.inbox import services as inbox

    inbox.update_conversation(alice, conversation, status="open")
    resolve(alice, conversation, django_capture_on_commit_callbacks)

    assert SurveyInvitation.objects.count() == 1
    assert services.invite_for_conversation(conversation.pk) == "already_invited"


def test_cooldown_spares_a_customer_invited_lately(survey, channel, org):
    other = Channel.objects.create(organisation=org, name="Sandbox 2", kind="sandbox")
    first = open_conversation(channel)
    second = open_conversation(
        other, "Is the shop open on Sunday?", author_handle="@jo@sandbox.local"
    )
    assert first.customer_id == second.customer_id
    for conv in (first, second):
        conv.status, conv.resolved_at = "resolved", timezone.now()
        conv.save()
    now = timezone.now()

    assert isinstance(services.invite_for_conversation(first.pk, now=now), SurveyInvitation)
    assert (
        services.invite_for_conversation(second.pk, now=now + dt.timedelta(days=29)) == "cooldown"
    )
    later = services.invite_for_conversation(second.pk, now=now + dt.timedelta(days=31))
    assert isinstance(later, SurveyInvitation)


def test_do_not_contact_and_consent_are_respected(survey, conversation):
    conversation.status = "resolved"
    conversation.save()
    customer = conversation.customer
    customer.preferred_contact = "none"
    customer.save()
    assert services.invite_for_conversation(conversation.pk) == "do_not_contact"

    customer.preferred_contact = "any"
    customer.save()
    Survey.objects.filter(pk=survey.pk).update(require_consent=True)
    assert services.invite_for_conversation(conversation.pk) == "no_consent"
    customer.marketing_consent = True
    customer.save()
    assert isinstance(services.invite_for_conversation(conversation.pk), SurveyInvitation)


def test_spam_and_abuse_are_never_surveyed(survey, conversation):
    for kind in ("spam", "abuse"):
        conversation.status, conversation.kind = "resolved", kind
        conversation.save()
        assert services.invite_for_conversation(conversation.pk) == "spam_or_abuse"
    assert not SurveyInvitation.objects.exists()


def test_survey_applies_only_to_its_channel_kinds(survey, conversation, sam):
    services.update_survey(sam, survey, channel_kinds=["email"])
    conversation.status = "resolved"
    conversation.save()
    assert services.invite_for_conversation(conversation.pk) == "no_survey"


def test_inactive_survey_sends_nothing(
    survey, conversation, sam, alice, django_capture_on_commit_callbacks
):
    services.update_survey(sam, survey, active=False)
    resolve(alice, conversation, django_capture_on_commit_callbacks)
    assert not SurveyInvitation.objects.exists()


def test_web_form_conversation_is_answered_by_mail_to_the_address_given(survey, org):
    from rapport.channels import services as channels

    form = Channel.objects.create(organisation=org, name="Form", kind="webform", is_public=False)
    channels.submit_contact_form(
        form, name="Ann", email="ann@example.com", subject="Refund", message="Where is my refund?"
    )
    conversation = form.conversations.get()
    conversation.status = "resolved"
    conversation.save()

    invitation = invite(conversation.pk)

    assert invitation.sent_by == SentBy.WEBFORM and invitation.email == "ann@example.com"
    mail.outbox.clear()
    assert invitation.message_id is not None
    result = channels.deliver_message(invitation.message_id)
    assert result == "sent"
    assert mail.outbox[0].to == ["ann@example.com"] and "/surveys/r/" in mail.outbox[0].body


def test_email_channel_replies_in_the_thread(survey, email_channel):
    conversation = open_conversation(
        email_channel,
        "Hello, my order",
        platform="email",
        author_handle="jo@example.com",
        author_email="jo@example.com",
    )
    conversation.status = "resolved"
    conversation.save()
    invitation = invite(conversation.pk)
    assert invitation.sent_by == SentBy.EMAIL and invitation.message is not None


def test_channel_without_replies_falls_back_to_an_email_on_file(survey, org):
    reviews = Channel.objects.create(organisation=org, name="Reviews", kind="reviews")
    conversation = open_conversation(reviews, "Lovely coffee", platform="reviews")
    conversation.status = "resolved"
    conversation.save()
    assert services.invite_for_conversation(conversation.pk) == "no_route"

    Identity.objects.create(
        organisation=org, customer=conversation.customer, platform="email", handle="jo@example.com"
    )
    invitation = invite(conversation.pk)
    assert invitation.sent_by == SentBy.EMAIL and invitation.status == "sent"
    assert mail.outbox[-1].to == ["jo@example.com"] and "/surveys/r/" in mail.outbox[-1].body
    assert not Message.objects.filter(direction="out", conversation=conversation).exists()


def test_scheduled_survey_invites_its_segment_once_per_run(sam, channel):
    convs = [
        open_conversation(channel, f"Question {n}", author_handle=f"@c{n}@sandbox.local")
        for n in range(3)
    ]
    now = timezone.now()
    for conv in convs[:2]:
        conv.status, conv.resolved_at = "resolved", now - dt.timedelta(days=3)
        conv.save()
    convs[2].status, convs[2].resolved_at = "resolved", now - dt.timedelta(days=60)
    convs[2].save()
    survey = services.create_survey(
        sam,
        name="Quarterly",
        trigger="scheduled",
        questions=[{"kind": "nps", "text": {"en": "Recommend us?"}}],
        active=True,
        segment_days=30,
        schedule_every_days=90,
        now=now,
    )

    result = services.run_scheduled_survey(survey.pk, now=now)

    assert result is not None and result.invited == 2
    assert services.run_scheduled_survey(survey.pk, now=now) is None  # claimed: not due again
    survey.refresh_from_db()
    assert survey.next_run_at == now + dt.timedelta(days=90)
    assert SurveyRun.objects.get().invited == 2
    assert services.due_scheduled_survey_ids(now + dt.timedelta(days=91)) == [survey.pk]
