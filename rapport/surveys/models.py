"""Surveys (CSAT, NPS, CES, free text, custom), their invitations and the responses.

A survey is sent in one of three ways (its trigger): when a conversation is
resolved, on a schedule to a segment of customers, or as one public link that
anyone may open. An invitation carries an unguessable token (only its SHA-256
is stored) and allows exactly one response. Public-link responses have no
invitation.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from rapport.accounts.models import Organisation, Team, TimeStamped, User
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import Conversation, Message


class Trigger(models.TextChoices):
    ON_RESOLVE = "on_resolve", "When a conversation is resolved"
    SCHEDULED = "scheduled", "On a schedule, to a customer segment"
    PUBLIC_LINK = "public_link", "A public link anyone can open"


class QuestionKind(models.TextChoices):
    CSAT = "csat", "Satisfaction (CSAT, 1–5)"
    NPS = "nps", "Likelihood to recommend (NPS, 0–10)"
    CES = "ces", "Effort (CES, 1–7)"
    TEXT = "text", "Free text"
    CHOICE = "choice", "Custom: one choice from a list"
    SCALE = "scale", "Custom: a number on a scale"


# The fixed range of each standard question; custom scales carry their own.
SCALES: dict[str, tuple[int, int]] = {
    QuestionKind.CSAT: (1, 5),
    QuestionKind.NPS: (0, 10),
    QuestionKind.CES: (1, 7),
}


class Survey(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.ON_RESOLVE)
    # Channel kinds (ChannelKind values) the survey applies to; empty means every kind.
    channel_kinds = models.JSONField(default=list, blank=True)
    # Conversation kinds it applies to; empty means every kind but spam and abuse,
    # which are never surveyed whatever is listed here.
    conversation_kinds = models.JSONField(default=list, blank=True)
    # Never invite the same customer twice in this many days (to any survey).
    cooldown_days = models.PositiveIntegerField(default=30)
    # An invitation can be answered for this many days after it is sent.
    expires_after_days = models.PositiveIntegerField(default=14)
    # Only send to customers who gave marketing consent (sensible for scheduled sends).
    require_consent = models.BooleanField(default=False)
    default_language = models.CharField(max_length=12, default="en")
    # Wording shown above and after the questions, per language: {"en": "...", "fr": "..."}.
    intro = models.JSONField(default=dict, blank=True)
    thank_you = models.JSONField(default=dict, blank=True)
    # Scheduled sends: customers with a conversation resolved in the last N days,
    # narrowed by channel_kinds, conversation_kinds and tags.
    segment_days = models.PositiveIntegerField(default=30)
    segment_tags = models.JSONField(default=list, blank=True)
    schedule_every_days = models.PositiveIntegerField(default=30)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["organisation", "trigger", "active"], name="survey_trigger"),
            models.Index(
                fields=["next_run_at"],
                name="survey_due",
                condition=Q(next_run_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def wording(self, field: str, language: str) -> str:
        texts = getattr(self, field) or {}
        return str(texts.get(language) or texts.get(self.default_language) or "")


class Question(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    # {"en": "How satisfied were you?", "fr": "..."}; the survey's default language is required.
    text = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=0)
    required = models.BooleanField(default=True)
    # choice: {"choices": [{"value": "a", "label": {"en": "..."}}]};
    # scale: {"min": 1, "max": 10, "low": {"en": "..."}, "high": {"en": "..."}}.
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text.get('en') or next(iter(self.text.values()), '')}"

    def wording(self, language: str, default_language: str) -> str:
        return str(self.text.get(language) or self.text.get(default_language) or "")

    def scale(self) -> tuple[int, int] | None:
        if self.kind in SCALES:
            return SCALES[self.kind]
        if self.kind == QuestionKind.SCALE:
            return int(self.options.get("min", 1)), int(self.options.get("max", 5))
        return None


class SentBy(models.TextChoices):
    EMAIL = "email", "Email with a link"
    PLATFORM = "platform", "Private reply on the platform"
    WEBFORM = "webform", "Email to the web form's sender"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


class SurveyInvitation(TimeStamped):
    """One customer's invitation to answer a survey, once, before it expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    # SHA-256 of the token in the link; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=12, blank=True)
    sent_by = models.CharField(max_length=10, choices=SentBy.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    # The outbound message that carries the link, when it went as a reply in the conversation.
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # One survey per conversation, even when it is resolved again.
            models.UniqueConstraint(
                fields=["conversation"],
                name="invitation_one_per_conversation",
                condition=Q(conversation__isnull=False),
            )
        ]
        indexes = [
            # The cooldown: has this customer been invited lately?
            models.Index(fields=["customer", "-sent_at"], name="invitation_customer"),
            models.Index(fields=["survey", "-sent_at"], name="invitation_survey"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.public_id} to {self.customer_id}"

    def is_expired(self, now: object) -> bool:
        return self.expires_at <= now  # type: ignore[operator]


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class SurveyResponse(models.Model):
    """One submitted survey; scores are copied out of the answers so they can be aggregated."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        SurveyInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=12, blank=True)
    submitted_at = models.DateTimeField()
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    themes = models.JSONField(default=list, blank=True)
    # Every answer by question public id: numbers for scales, strings for text and choices.
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5), name="response_csat"
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10), name="response_nps"
            ),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7), name="response_ces"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "-submitted_at"], name="response_recent"),
            models.Index(fields=["survey", "-submitted_at"], name="response_survey"),
            models.Index(fields=["agent", "-submitted_at"], name="response_agent"),
            models.Index(fields=["conversation"], name="response_conversation"),
        ]

    def __str__(self) -> str:
        return f"response {self.public_id} to {self.survey_id}"


class SurveyRun(TimeStamped):
    """One run of a scheduled survey over its segment: how many were invited or skipped."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    invited = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run of {self.survey_id} at {self.started_at:%Y-%m-%d %H:%M}"
