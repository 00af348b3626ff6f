"""Customers of every kind, their identities on channels, and merges between them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from rapport.accounts.models import Organisation, TimeStamped, User


class CustomerKind(models.TextChoices):
    PUBLIC = "public", "Member of the public"
    CORPORATE = "corporate", "Corporate customer"
    INTERNAL = "internal", "Internal customer (colleague or department)"
    SUPPLIER = "supplier", "Supplier or contractor"
    AGENCY = "agency", "Agency or funding body"
    BOARD = "board", "Board member"


class ContactChannel(models.TextChoices):
    ANY = "any", "Any"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social media"
    NONE = "none", "Do not contact"


class Customer(TimeStamped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="customers"
    )
    display_name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=CustomerKind.choices, default=CustomerKind.PUBLIC
    )
    company = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=12, blank=True)
    notes = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.ANY
    )
    marketing_consent = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=200, blank=True)
    # Set when this customer was merged into another; kept so the merge can be undone.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["organisation", "display_name"])]

    def __str__(self) -> str:
        return self.display_name


class Identity(TimeStamped):
    """A way to reach a customer: a handle on a platform, an email address, a phone number."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    platform = models.CharField(max_length=30)
    # Normalised (lower-cased, trimmed) so the same person is found however they write it.
    handle = models.CharField(max_length=320)
    display_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "platform", "handle"], name="identity_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.handle}"


class CustomerMerge(TimeStamped):
    """A merge of one customer into another, with what moved, so it can be undone."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    moved_identity_ids = models.JSONField(default=list)
    moved_conversation_ids = models.JSONField(default=list)
    # Messages the source wrote in anyone's conversation (their author moves too).
    moved_message_ids = models.JSONField(default=list)
    merged_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"merge {self.source_id} into {self.target_id}"

    def can_undo(self, now: object = None, window_days: int = 30) -> bool:
        now = now or timezone.now()
        return self.undone_at is None and (now - self.created_at).days < window_days  # type: ignore[operator]
