"""Insights: rollups behind the dashboards, brand-risk alerts, reports, recommendations."""

from __future__ import annotations

import uuid

from django.db import models

from rapport.accounts.models import Organisation, Team, TimeStamped, User
from rapport.channels.models import Channel
from rapport.inbox.models import Conversation

# --- Service rollups (metrics.py, facts.py) ------------------------------------------
# The service dashboards aggregate these tables, not the inbox's: business-hours
# durations cannot be computed in SQL, so facts.refresh() computes them once per
# changed conversation (worker job, and incrementally before each dashboard read).


class FactState(models.Model):
    """How far the service rollups of one organisation are up to date."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Conversations changed at or after this instant are recomputed by the next refresh.
    refreshed_until = models.DateTimeField(null=True, blank=True)
    # The time zone whose local days the daily rollups (daily.py) are cut into; empty until
    # they are first built. A change of the organisation's zone rebuilds them.
    days_zone = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id"]

    def __str__(self) -> str:
        return f"facts of {self.organisation_id} until {self.refreshed_until}"


class ConversationFact(models.Model):
    """One conversation as the service dashboards count it; durations in business seconds."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)
    priority = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20)
    # The complaint category: the conversation's intent, as triage or the agent set it.
    category = models.CharField(max_length=80, blank=True)
    opened_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True)
    first_response_seconds = models.PositiveIntegerField(null=True)
    resolved_at = models.DateTimeField(null=True)
    resolution_due_at = models.DateTimeField(null=True)
    resolution_seconds = models.PositiveIntegerField(null=True)
    inbound_count = models.PositiveIntegerField(default=0)
    outbound_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["opened_at"]
        indexes = [
            # Holds what the volume and complaint figures group by, so a month of them is
            # read from the index alone.
            models.Index(
                fields=[
                    "organisation",
                    "opened_at",
                    "channel",
                    "kind",
                    "team",
                    "category",
                    "inbound_count",
                    "outbound_count",
                ],
                name="fact_conv_opened_cover",
            ),
            # Each also holds the columns its figures read, so a month is read from the
            # index alone (resolution times; resolution targets met).
            models.Index(
                fields=["organisation", "resolved_at", "resolution_seconds"],
                name="fact_conv_resolved_cover",
            ),
            models.Index(
                fields=["organisation", "resolution_due_at", "resolved_at"],
                name="fact_conv_res_due_cover",
            ),
            # The backlog: conversations not (yet) resolved, a small share of the table.
            models.Index(
                fields=["organisation", "opened_at"],
                name="fact_conv_unresolved",
                condition=models.Q(resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"fact of conversation {self.conversation_id}"


class ResponseFact(models.Model):
    """One wait of a customer for our reply: the first response or a next response.

    `responded_at` is empty while the customer is still waiting; `due_at` is the
    service-standard deadline, empty when no target applies.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    is_first = models.BooleanField()
    customer_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    business_seconds = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["customer_at"]
        indexes = [
            # Each also holds the columns its figures read, so a month is read from the
            # index alone (response times, first waits by weekday; targets met).
            models.Index(
                fields=[
                    "organisation",
                    "responded_at",
                    "is_first",
                    "business_seconds",
                    "customer_at",
                ],
                name="fact_resp_responded_cover",
            ),
            models.Index(
                fields=["organisation", "due_at", "is_first", "responded_at"],
                name="fact_resp_due_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"response in {self.conversation_id} at {self.responded_at}"


# --- Daily rollups (daily.py) ----------------------------------------------------------
# One organisation's figures per local day, recomputed from the rollups above (and the
# messages) for the days that a refresh touched, so a month's report reads about thirty
# rows per figure instead of every conversation and wait of the month.


class DailyVolume(models.Model):
    """Conversations opened on one local day by channel, kind, team (and complaint category)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20)
    team = models.ForeignKey(
        Team, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Only complaints are counted by category; empty for other kinds.
    category = models.CharField(max_length=80, blank=True)
    conversations = models.PositiveIntegerField()
    inbound_messages = models.PositiveIntegerField()
    outbound_messages = models.PositiveIntegerField()

    class Meta:
        ordering = ["organisation", "day"]
        indexes = [models.Index(fields=["organisation", "day"], name="daily_volume_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.conversations}"


class DailyTarget(models.Model):
    """Service-standard deadlines falling on one local day: answered (and met) or not."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    # first_response, next_response or resolution
    target = models.CharField(max_length=20)
    answered = models.PositiveIntegerField()
    met = models.PositiveIntegerField()
    unanswered = models.PositiveIntegerField()

    class Meta:
        ordering = ["organisation", "day"]
        indexes = [models.Index(fields=["organisation", "day"], name="daily_target_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.target}: {self.met}/{self.answered + self.unanswered}"


class DailyDurations(models.Model):
    """Every duration of one kind ended on one local day, sorted (float64, packed).

    Medians and Mood's test need the values themselves, not a count; a day's values
    packed in one row are read at once and merged for any run of days.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    # first_response, next_response, resolution (business seconds); first_wait (wall-clock
    # seconds to the first reply, grouped by the ISO weekday the customer wrote).
    measure = models.CharField(max_length=20)
    group = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField()
    values = models.BinaryField()

    class Meta:
        ordering = ["organisation", "day"]
        indexes = [
            models.Index(fields=["organisation", "measure", "day"], name="daily_durations_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.group}: {self.count} values"


class DailyMentions(models.Model):
    """Inbound messages of one local day on one channel, by sentiment, and those triaged UGC."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    total = models.PositiveIntegerField()
    positive = models.PositiveIntegerField()
    negative = models.PositiveIntegerField()
    ugc = models.PositiveIntegerField()

    class Meta:
        ordering = ["organisation", "day"]
        indexes = [models.Index(fields=["organisation", "day"], name="daily_mentions_day")]

    def __str__(self) -> str:
        return f"{self.day} channel {self.channel_id}: {self.total}"


# --- end of service rollups ----------------------------------------------------------


# --- Alerts, monthly report and recommendations (helper I2) -----------------------------------


class AlertBucket(models.Model):
    """How many inbound messages of one scope arrived in a 15-minute bucket (by their own time).

    The brand-risk detector keeps these as its memory: `scope` is "inbound" (every
    inbound message), "negative" (complaints, abuse, clearly negative or high-risk
    messages) or "term:<word>" (negative messages that use the word). `slot` is the
    bucket's quarter-hour of the day in the organisation's time zone (0-95), so a
    time-of-day baseline is one indexed aggregate.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=80)
    bucket_start = models.DateTimeField()
    slot = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "scope", "bucket_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "bucket_start"], name="alert_bucket_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.bucket_start:%Y-%m-%d %H:%M} {self.count}"


class Alert(TimeStamped):
    """A spike of negative or high-risk inbound messages, and what the team did about it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    # What tripped the detector: "negative" (overall) and/or "term:<word>" scopes.
    scopes = models.JSONField(default=list)
    terms = models.JSONField(default=list, blank=True)
    # Times are the messages' own (sent_at), so replayed or simulated streams alert correctly.
    started_at = models.DateTimeField()
    triggered_at = models.DateTimeField()
    last_signal_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    observed = models.PositiveIntegerField(help_text="Messages in the window that raised it")
    expected = models.FloatField(help_text="What the baseline expected in that window")
    p_value = models.FloatField()
    window_minutes = models.PositiveSmallIntegerField(default=30)
    peak_observed = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    messages = models.ManyToManyField("inbox.Message", blank=True, related_name="+")
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["-triggered_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-triggered_at"], name="alert_recent"),
            models.Index(fields=["organisation", "ended_at"], name="alert_open"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class RecommendationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class Recommendation(TimeStamped):
    """A data-backed suggestion from a report rule, and the decision a manager took on it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the reported month")
    rule = models.CharField(max_length=60)
    # Tells apart two findings of one rule in one month (a channel, a topic).
    key = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=300)
    action = models.TextField(help_text="What to do")
    owner = models.CharField(max_length=60, help_text="Who should act")
    evidence = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "rule", "key"], name="recommendation_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ReportRecipient(TimeStamped):
    """Someone who gets the monthly report by email."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    name = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="report_recipient_unique"
            )
        ]

    def __str__(self) -> str:
        return self.email


class ReportMailing(TimeStamped):
    """One month's report mailed to an organisation: the row is the claim, so it goes once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="report_mailing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m}"
