"""API schemas for customers: explicit fields in, explicit fields out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, model_validator

from rapport.customers.services import (
    MAX_ATTRIBUTE_KEY,
    MAX_ATTRIBUTE_TEXT,
    MAX_ATTRIBUTES,
    MERGE_UNDO_DAYS,
    normalise_identity,
)
from rapport.lib.errors import DomainError

KindName = Literal["public", "corporate", "internal", "supplier", "agency", "board"]
ContactName = Literal["any", "email", "phone", "social", "none"]
AttributeName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ATTRIBUTE_KEY)]
AttributeValue = (
    Annotated[str, StringConstraints(max_length=MAX_ATTRIBUTE_TEXT)] | int | float | bool | None
)
Attributes = dict[AttributeName, AttributeValue]


class CustomerRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    display_name: str


class IdentityOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    platform: str
    handle: str
    display_name: str
    created_at: dt.datetime


class IdentityIn(Schema):
    platform: str = Field(..., min_length=1, max_length=30, examples=["email"])
    handle: str = Field(..., min_length=1, max_length=320, examples=["jo@example.com"])
    display_name: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _valid_handle(self) -> IdentityIn:
        # The same rules the service applies, so a bad address is a 422 with its field.
        try:
            normalise_identity(self.platform, self.handle)
        except DomainError as exc:
            raise ValueError(exc.message) from None
        return self


class CustomerOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    display_name: str
    kind: str
    company: str
    language: str
    notes: str
    attributes: dict[str, Any]
    preferred_contact: str
    marketing_consent: bool
    consent_recorded_at: dt.datetime | None
    consent_source: str
    identities: list[IdentityOut]
    conversation_count: int = 0
    merged_into: CustomerRef | None
    erased_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_identities(obj: Any) -> list[Any]:
        return list(obj.identities.all())

    @staticmethod
    def resolve_conversation_count(obj: Any) -> int:
        return getattr(obj, "conversation_count", 0)


class CustomerIn(Schema):
    display_name: str = Field(..., min_length=1, max_length=200)
    kind: KindName = "public"
    company: str = Field("", max_length=200)
    language: str = Field("", max_length=12, description="A language tag such as en or fr-CA")
    notes: str = Field("", max_length=20000)
    attributes: Attributes = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    preferred_contact: ContactName = "any"
    marketing_consent: bool = False
    consent_source: str = Field(
        "", max_length=200, description="Where consent was given; required with consent"
    )
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)


class CustomerPatchIn(Schema):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    kind: KindName | None = None
    company: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=12)
    notes: str | None = Field(None, max_length=20000)
    attributes: Attributes | None = Field(
        None, max_length=MAX_ATTRIBUTES, description="Replaces all attributes"
    )
    preferred_contact: ContactName | None = None
    marketing_consent: bool | None = Field(
        None, description="A change records the time and `consent_source`"
    )
    consent_source: str | None = Field(None, max_length=200)


class MergeIn(Schema):
    into: uuid.UUID = Field(..., description="The customer that remains")


class MergeOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    source: CustomerRef
    target: CustomerRef
    identities_moved: int
    conversations_moved: int
    messages_moved: int
    created_at: dt.datetime
    undo_until: dt.datetime
    undone_at: dt.datetime | None

    @staticmethod
    def resolve_identities_moved(obj: Any) -> int:
        return len(obj.moved_identity_ids)

    @staticmethod
    def resolve_conversations_moved(obj: Any) -> int:
        return len(obj.moved_conversation_ids)

    @staticmethod
    def resolve_messages_moved(obj: Any) -> int:
        return len(obj.moved_message_ids)

    @staticmethod
    def resolve_undo_until(obj: Any) -> dt.datetime:
        return obj.created_at + dt.timedelta(days=MERGE_UNDO_DAYS)


class EraseIn(Schema):
    confirm: Literal["erase"] = Field(..., description='The word "erase", to confirm')


class ChannelRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str


class ConversationRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    subject: str
    status: str


class TimelineItemOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    channel: ChannelRef
    conversation: ConversationRef
    direction: str
    is_public: bool
    author: str
    subject: str
    text: str
    url: str
    sent_at: dt.datetime
    attachments: int

    @staticmethod
    def resolve_author(obj: Any) -> str:
        if obj.author_customer is not None:
            return str(obj.author_customer.display_name)
        return obj.author_user.display_name if obj.author_user is not None else ""

    @staticmethod
    def resolve_attachments(obj: Any) -> int:
        return len(obj.attachments.all())


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next_before: uuid.UUID | None = Field(
        None, description="Pass as `before` for the next, older page"
    )


class TimelineQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    before: uuid.UUID | None = None


class CustomerQuery(Schema):
    q: str = Field("", max_length=200, description="Name, company or identity handle")
    include_merged: bool = False
