"""API schemas for the inbox."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from rapport.lib.schema_types import UtcDatetime

StatusName = Literal["new", "open", "pending_customer", "on_hold", "resolved", "closed"]
KindName = Literal["question", "complaint", "review", "ugc", "praise", "abuse", "spam", "other"]


class NamedRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str


class UserRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    email: str
    full_name: str


class CustomerRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    display_name: str


class ChannelRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str


class TimersOut(Schema):
    first_response_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    next_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    next_due_at: dt.datetime | None
    paused: bool


class ConversationOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    number: int = Field(..., alias="pk")
    subject: str
    status: str
    kind: str
    priority: int
    is_public: bool
    channel: ChannelRef
    customer: CustomerRef
    assignee: UserRef | None
    team: NamedRef | None
    tags: list[str]
    language: str
    intent: str
    sentiment: float
    brand_risk: float
    last_message_at: dt.datetime
    last_message_preview: str
    message_count: int
    timers: TimersOut
    snoozed_until: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        names = getattr(obj, "tag_names", None)
        return names if names is not None else sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_timers(obj: Any) -> dict[str, Any]:
        return {
            "first_response_due_at": obj.first_response_due_at,
            "first_responded_at": obj.first_responded_at,
            "next_response_due_at": obj.next_response_due_at,
            "resolution_due_at": obj.resolution_due_at,
            "next_due_at": obj.next_due_at,
            "paused": obj.sla_paused_at is not None,
        }


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class ResolutionOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    action: str
    amount: Decimal | None
    currency: str
    external_body: str
    reason: str
    outcome: str
    customer_acceptance: str
    cost: Decimal
    policy_reference: str
    created_at: dt.datetime


class ConversationDetailOut(ConversationOut):
    custom_fields: dict[str, Any]
    resolutions: list[ResolutionOut]

    @staticmethod
    def resolve_resolutions(obj: Any) -> list[Any]:
        return list(obj.resolutions.all())


class AttachmentOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    filename: str
    mime_type: str
    size: int | None


class MessageOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    direction: str
    is_public: bool
    text: str
    subject: str
    url: str
    author: str
    sent_at: dt.datetime
    kind: str
    sentiment: float | None
    persona: str
    urgency: str
    brand_risk: float | None
    language: str
    delivery_status: str
    triage_reasons: list[str]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_author(obj: Any) -> str:
        if obj.author_user_id:
            return str(obj.author_user.display_name)
        if obj.author_customer_id:
            return str(obj.author_customer.display_name)
        return ""


class ConversationPatchIn(Schema):
    status: StatusName | None = None
    kind: KindName | None = None
    priority: int | None = Field(None, ge=1, le=4)
    assignee: uuid.UUID | None = Field(None, description="A user's id; null to unassign")
    team: uuid.UUID | None = Field(None, description="A team's id; null for no team")
    snoozed_until: UtcDatetime | None = None
    tags: list[str] | None = Field(None, max_length=50)
    custom_fields: dict[str, Any] | None = None


class ReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=100_000)
    public: bool = True
    note: bool = False


class EscalateIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)
    team: uuid.UUID | None = None


class MergeIn(Schema):
    into: uuid.UUID


class SplitIn(Schema):
    message_ids: list[uuid.UUID] = Field(..., min_length=1, max_length=1000)


class ResolutionIn(Schema):
    action: Literal[
        "information",
        "apology",
        "refund",
        "replacement",
        "repair",
        "credit",
        "supervisor",
        "external_body",
        "service_review",
        "no_action",
    ]
    amount: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3)
    external_body: str = Field("", max_length=200)
    reason: str = Field("", max_length=5000)
    outcome: str = Field("", max_length=5000)
    customer_acceptance: Literal["accepted", "rejected", "no_reply"] = "no_reply"
    cost: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    policy_reference: str = Field("", max_length=200)


class AcceptanceIn(Schema):
    customer_acceptance: Literal["accepted", "rejected", "no_reply"]


class BulkIn(Schema):
    ids: list[uuid.UUID] = Field(..., min_length=1, max_length=500)
    changes: ConversationPatchIn


class MacroOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    body: str
    personal: bool
    set_status: str
    set_kind: str
    add_tags: list[str]
    usage_count: int

    @staticmethod
    def resolve_personal(obj: Any) -> bool:
        return obj.owner_id is not None


class MacroIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    body: str = Field("", max_length=20_000)
    personal: bool = False
    set_status: StatusName | Literal[""] = ""
    set_kind: KindName | Literal[""] = ""
    add_tags: list[str] = Field(default_factory=list, max_length=20)
    assign_to_self: bool = False


class ApplyMacroIn(Schema):
    send: bool = True


class SavedViewOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    filters: dict[str, Any]
    is_shared: bool


class SavedViewIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    filters: dict[str, Any]
    is_shared: bool = False


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    conversation: uuid.UUID | None
    created_at: dt.datetime

    @staticmethod
    def resolve_conversation(obj: Any) -> uuid.UUID | None:
        return obj.conversation.public_id if obj.conversation_id else None


class SearchHit(Schema):
    conversation: uuid.UUID
    message: uuid.UUID
    text: str
    sent_at: dt.datetime
