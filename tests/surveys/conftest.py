"""Fixtures for surveys: channels, a resolved conversation, an active on-resolve survey."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.accounts.models import Organisation, User
from rapport.channels.models import Channel
from rapport.inbox import services as inbox
from rapport.inbox.models import Conversation
from rapport.surveys import services
from rapport.surveys.demo import STANDARD_QUESTIONS
from rapport.surveys.models import Survey, SurveyInvitation
from tests.inbox.conftest import channel, email_channel, event  # noqa: F401  (fixtures)


@pytest.fixture
def survey(sam: User) -> Survey:
    return services.create_survey(
        sam, name="After each conversation", questions=STANDARD_QUESTIONS, active=True
    )


def open_conversation(where: Channel, text: str = "Where is my order?", **kw: Any) -> Conversation:
    result = inbox.ingest(where, [event(text, **kw)])
    assert result.created == 1
    return Conversation.objects.filter(channel=where).latest("id")


def resolve(actor: User, conversation: Conversation, capture: Any) -> None:
    with capture(execute=True):
        inbox.update_conversation(actor, conversation, status="resolved")


@pytest.fixture
def conversation(org: Organisation, channel: Channel, alice: User) -> Conversation:  # noqa: F811
    conv = open_conversation(channel)
    inbox.reply(alice, conv, text="It left the warehouse this morning.")
    conv.refresh_from_db()
    return conv


def invite(conversation_id: int, **kw: Any) -> SurveyInvitation:
    """Invite for a conversation and return the invitation (the rules must allow it)."""
    outcome = services.invite_for_conversation(conversation_id, **kw)
    assert isinstance(outcome, SurveyInvitation), outcome
    return outcome


def token_of(invitation: SurveyInvitation) -> str:
    """Return the token in the link the invitation's message carries."""
    assert invitation.message is not None
    return invitation.message.text.split("/surveys/r/")[1].split("/")[0]
