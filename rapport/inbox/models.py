"""Conversations (the case), messages, service standards, routing, macros and resolutions."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from rapport.accounts.models import Organisation, Team, TimeStamped, User
from rapport.channels.models import Channel
from rapport.customers.models import Customer


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.ON_HOLD)


class Kind(models.TextChoices):
    QUESTION = "question", "Question"
    COMPLAINT = "complaint", "Complaint"
    REVIEW = "review", "Review"
    UGC = "ugc", "User-generated content"
    PRAISE = "praise", "Praise"
    ABUSE = "abuse", "Abuse or troll"
    SPAM = "spam", "Spam"
    OTHER = "other", "Other"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Tag(TimeStamped):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(TimeStamped):
    """Opening hours in an organisation's time zone, with public holidays.

    `weekly_hours` maps a weekday ("0" is Monday) to a list of ["HH:MM", "HH:MM"]
    intervals; an interval ending at or before its start runs overnight.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="UTC")
    weekly_hours = models.JSONField(default=dict)
    holidays = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_default = models.BooleanField(default=False)
    # Raise a warning this long (in business minutes) before a target is breached.
    warn_before_minutes = models.PositiveIntegerField(default=30)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(TimeStamped):
    """Targets in business minutes for a priority and kind; empty means any."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-priority", "kind"]

    def __str__(self) -> str:
        return f"{self.policy_id} p{self.priority} {self.kind or 'any'}"

    def specificity(self) -> int:
        return (2 if self.kind else 0) + (1 if self.priority else 0)


class EscalationAction(models.TextChoices):
    BUMP_PRIORITY = "bump_priority", "Raise the priority"
    ASSIGN_TEAM = "assign_team", "Reassign to a team"
    NOTIFY_SUPERVISORS = "notify_supervisors", "Notify supervisors"


class EscalationRule(TimeStamped):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    on_warning = models.BooleanField(default=False, help_text="Act on the warning, not the breach")
    action = models.CharField(max_length=30, choices=EscalationAction.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["policy", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {'warning' if self.on_warning else 'breach'}"


class AssignmentMode(models.TextChoices):
    NONE = "none", "Leave unassigned in the team"
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class RoutingRule(TimeStamped):
    """When a new conversation matches every condition set, route it to a team.

    Conditions left empty match anything. Rules are tried in `position` order
    and the first match wins.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    channel_ids = models.JSONField(default=list, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    intents = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    customer_attributes = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    assignment = models.CharField(
        max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.ROUND_ROBIN
    )
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    required_skill = models.ForeignKey(
        "team.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    min_proficiency = models.PositiveSmallIntegerField(default=1)
    require_language = models.BooleanField(
        default=False, help_text="Only agents who speak the conversation's language"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Conversation(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # organisation and channel lead composite indexes (Meta), so they have none of their own.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="conversations", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    subject = models.CharField(max_length=300, blank=True)
    # The platform's thread this conversation follows (root status, first Message-ID).
    thread_key = models.CharField(max_length=500, blank=True)
    is_public = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    kind_set_by_agent = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    custom_fields = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=12, blank=True)
    intent = models.CharField(max_length=80, blank=True)
    sentiment = models.FloatField(default=0.0)
    brand_risk = models.FloatField(default=0.0)
    # Denormalised for the inbox list: one row, no join to messages.
    last_message_at = models.DateTimeField()
    last_message_preview = models.CharField(max_length=200, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # Service-standard timers.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # The earliest of the three running targets: what "breaching soon" filters on.
    next_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    # The same pauses in business seconds of the policy calendar (what the insights
    # subtract from resolution times), and the part of them before the first response.
    sla_paused_business_seconds = models.PositiveIntegerField(default=0)
    first_response_paused_business_seconds = models.PositiveIntegerField(default=0)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Empty on nearly every conversation: indexed only where set (see Meta).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        db_index=False,
    )
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The closed conversation this one continues",
        db_index=False,
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "team", "-last_message_at"], name="conv_inbox"
            ),
            models.Index(
                fields=["organisation", "assignee", "status", "-last_message_at"],
                name="conv_assignee",
            ),
            models.Index(fields=["organisation", "-last_message_at"], name="conv_recent"),
            # With conv_recent, lets the insights rollups find what changed since their
            # last refresh (updated_at OR last_message_at) without reading every row.
            models.Index(fields=["organisation", "updated_at"], name="conv_updated"),
            models.Index(fields=["organisation", "kind", "status"], name="conv_kind"),
            models.Index(
                fields=["next_due_at"],
                name="conv_due",
                condition=Q(next_due_at__isnull=False),
            ),
            models.Index(fields=["channel", "customer", "status"], name="conv_thread_customer"),
            models.Index(fields=["channel", "thread_key"], name="conv_thread_key"),
            models.Index(
                fields=["merged_into"],
                name="conv_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
            models.Index(
                fields=["follows"], name="conv_follows", condition=Q(follows__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject or self.last_message_preview[:40]}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Direction(models.TextChoices):
    INBOUND = "in", "From the customer"
    OUTBOUND = "out", "To the customer"
    NOTE = "note", "Internal note"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Foreign keys that lead a composite index below get no index of their own: every
    # index is written on every ingested row (db_index=False, here and on Conversation).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", db_index=False)
    # The platform's id; unique per channel, which is what makes ingest idempotent.
    external_id = models.CharField(max_length=500, null=True, blank=True)
    parent_external_id = models.CharField(max_length=500, blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices)
    is_public = models.BooleanField(default=True)
    author_customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # Empty on every inbound message: indexed only where set (see Meta).
    author_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    text = models.TextField()
    subject = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    rating = models.FloatField(null=True, blank=True)
    sent_at = models.DateTimeField(help_text="When the platform says it was written or sent")
    created_at = models.DateTimeField()
    # Triage of inbound text.
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    sentiment = models.FloatField(null=True, blank=True)
    persona = models.CharField(max_length=30, blank=True)
    urgency = models.CharField(max_length=10, blank=True)
    brand_risk = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=12, blank=True)
    intent = models.CharField(max_length=80, blank=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    # Delivery of outbound text.
    delivery_status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    idempotency_key = models.CharField(max_length=64, blank=True)
    delivery_error = models.TextField(blank=True)
    mentions = models.ManyToManyField(User, blank=True, related_name="mentioned_in")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                name="message_external_id_unique",
                condition=Q(external_id__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="msg_conversation"),
            models.Index(fields=["channel", "parent_external_id"], name="msg_parent"),
            models.Index(fields=["organisation", "-created_at"], name="msg_recent"),
            models.Index(
                fields=["author_user"],
                name="msg_author_user",
                condition=Q(author_user__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.text[:40]}"


class Attachment(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename or self.remote_url


class KindCorrection(TimeStamped):
    """An agent's correction of triage, kept as labelled data for retraining."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    predicted = models.CharField(max_length=20, blank=True)
    corrected = models.CharField(max_length=20, choices=Kind.choices)
    corrected_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.predicted} -> {self.corrected}"


class ResolutionAction(models.TextChoices):
    INFORMATION = "information", "Information or explanation given"
    APOLOGY = "apology", "Apology given"
    REFUND = "refund", "Refund"
    REPLACEMENT = "replacement", "Replacement"
    REPAIR = "repair", "Repair"
    CREDIT = "credit", "Credit or voucher"
    SUPERVISOR = "supervisor", "Referred to a supervisor"
    EXTERNAL_BODY = "external_body", "Referred to an external body"
    SERVICE_REVIEW = "service_review", "Review of the product or service"
    NO_ACTION = "no_action", "No action"


class CustomerAcceptance(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    NO_REPLY = "no_reply", "No reply yet"


class ComplaintResolution(TimeStamped):
    """What was done about a complaint, in the terms of a complaints procedure."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="resolutions"
    )
    action = models.CharField(max_length=20, choices=ResolutionAction.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    external_body = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    customer_acceptance = models.CharField(
        max_length=10, choices=CustomerAcceptance.choices, default=CustomerAcceptance.NO_REPLY
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    policy_reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} for {self.conversation_id}"


class Macro(TimeStamped):
    """A canned response with variables and actions; personal when it has an owner."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    body = models.TextField(
        help_text="Variables: {customer_name}, {agent_name}, {conversation_number}"
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    set_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    set_kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    add_tags = models.JSONField(default=list, blank=True)
    assign_to_self = models.BooleanField(default=False)
    usage_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedView(TimeStamped):
    """A named set of inbox filters, personal or shared with the organisation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict)
    is_shared = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """Something a person should look at: an @mention, an assignment, a timer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notif_unread")]

    def __str__(self) -> str:
        return self.text
