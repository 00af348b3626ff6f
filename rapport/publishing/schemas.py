"""API schemas for posts, reviews, campaigns, UGC, profiles, approval rules and metrics."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema

from rapport.lib.schema_types import UtcDatetime

PostStatusName = Literal[
    "draft",
    "in_review",
    "changes_requested",
    "approved",
    "scheduled",
    "publishing",
    "published",
    "failed",
    "cancelled",
]
CampaignKindName = Literal["promotion", "offer", "event", "ugc", "awareness"]


class AccountRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str


class UserRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    email: str
    full_name: str


class CampaignRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str
    colour: str


class AssetRef(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    title: str
    kind: str


class FindingOut(Schema):
    code: str
    severity: Literal["info", "warning", "blocking"]
    message: str
    account_id: uuid.UUID | None = None


class VariantIn(Schema):
    account_id: uuid.UUID
    text: str = Field("", max_length=70000)
    link: str = Field("", max_length=1000)
    first_comment: str = Field("", max_length=70000)
    asset_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class PostIn(Schema):
    title: str = Field("", max_length=200)
    campaign_id: uuid.UUID | None = None
    variants: list[VariantIn] = Field(..., min_length=1, max_length=20)
    scheduled_at: UtcDatetime | None = None


class PostPatchIn(Schema):
    title: str | None = Field(None, max_length=200)
    campaign_id: uuid.UUID | None = None
    variants: list[VariantIn] | None = Field(None, min_length=1, max_length=20)


class VariantOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    account: AccountRef = Field(..., alias="channel")
    text: str
    link: str
    first_comment: str
    assets: list[AssetRef]
    status: str
    attempts: int
    last_error: str
    external_id: str
    url: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_assets(obj: Any) -> list[Any]:
        return list(obj.assets.all())


class PostOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    title: str
    status: PostStatusName
    author: UserRef
    campaign: CampaignRef | None
    scheduled_at: dt.datetime | None
    published_at: dt.datetime | None
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    variants: list[VariantOut]

    @staticmethod
    def resolve_variants(obj: Any) -> list[Any]:
        return list(obj.variants.all())


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor: UserRef | None
    reason: str
    created_at: dt.datetime


class ReviewOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    reviewer: UserRef
    decision: Literal["approve", "request_changes", "comment"]
    note: str
    revision: int
    created_at: dt.datetime


class PostDetailOut(PostOut):
    """A post with its history, reviews, current findings and missing approvals.

    The API sets these as `detail_*` attributes on the post before answering.
    """

    transitions: list[TransitionOut]
    reviews: list[ReviewOut]
    findings: list[FindingOut]
    approvals_missing: list[str]

    @staticmethod
    def resolve_transitions(obj: Any) -> list[Any]:
        return list(obj.detail_transitions)

    @staticmethod
    def resolve_reviews(obj: Any) -> list[Any]:
        return list(obj.detail_reviews)

    @staticmethod
    def resolve_findings(obj: Any) -> list[Any]:
        return list(obj.detail_findings)

    @staticmethod
    def resolve_approvals_missing(obj: Any) -> list[str]:
        return list(obj.detail_approvals_missing)


class NoteIn(Schema):
    note: str = Field("", max_length=5000)


class ReviewIn(Schema):
    decision: Literal["approve", "request_changes", "comment"]
    note: str = Field("", max_length=5000)


class ScheduleIn(Schema):
    at: UtcDatetime
    override_reason: str | None = Field(None, max_length=5000)


class RescheduleIn(Schema):
    at: UtcDatetime


class OverrideIn(Schema):
    override_reason: str | None = Field(None, max_length=5000)


class CancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class CheckIn(Schema):
    """A variant as the composer has it now, checked live."""

    account_id: uuid.UUID
    text: str = Field("", max_length=70000)
    link: str = Field("", max_length=1000)
    first_comment: str = Field("", max_length=70000)
    media_kinds: list[Literal["image", "video", "audio"]] = Field(
        default_factory=list, max_length=50
    )


class CheckOut(Schema):
    length: int
    max_length: int
    findings: list[FindingOut]


class PlatformRulesOut(Schema):
    platform: str
    label: str
    max_length: int
    length_unit: str
    max_media: int
    media_kinds: list[str]
    requires_media: bool
    links: str
    first_comment: bool
    max_hashtags: int | None
    publishable: bool
    source: str
    checked_on: str


# --- Campaigns and UGC --------------------------------------------------------------------------


class CampaignIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    kind: CampaignKindName
    goal: str = Field("", max_length=5000)
    goal_metric: str = Field("", max_length=40)
    goal_target: float | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    terms: str = Field("", max_length=20000)
    terms_url: str = Field("", max_length=500)
    hashtag: str = Field("", max_length=100)
    colour: str = Field("#4f6bed", max_length=7)


class CampaignPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    kind: CampaignKindName | None = None
    goal: str | None = Field(None, max_length=5000)
    goal_metric: str | None = Field(None, max_length=40)
    goal_target: float | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    terms: str | None = Field(None, max_length=20000)
    terms_url: str | None = Field(None, max_length=500)
    hashtag: str | None = Field(None, max_length=100)
    colour: str | None = Field(None, max_length=7)
    archived: bool | None = None


class CampaignOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    kind: str
    goal: str
    goal_metric: str
    goal_target: float | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    terms: str
    terms_url: str
    hashtag: str
    colour: str
    archived: bool
    created_at: dt.datetime


class UgcItemOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    platform: str
    author_handle: str
    author_name: str
    text: str
    url: str
    media: list[dict[str, str]]
    posted_at: dt.datetime
    status: str
    asset: AssetRef | None


class UgcPage(Schema):
    items: list[UgcItemOut]
    next_cursor: str | None


class CollectedOut(Schema):
    new_items: int


class PermissionIn(Schema):
    granted_on: dt.date
    note: str = Field("", max_length=1000)


class UgcAssetOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    title: str
    kind: str
    source: str
    creator_handle: str
    permission_granted_on: dt.date | None
    attribution_text: str


# --- Accounts: approval rules, queue slots, profiles, metrics -------------------------------------


class ApprovalRuleIn(Schema):
    approvals_required: int = Field(1, ge=1, le=10)
    approver_role: Literal["", "admin", "manager", "supervisor", "agent", "marketer"] = ""
    approver_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class ApprovalRuleOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    account: AccountRef = Field(..., alias="channel")
    approvals_required: int
    approver_role: str
    approvers: list[UserRef]

    @staticmethod
    def resolve_approvers(obj: Any) -> list[Any]:
        return list(obj.approvers.all())


class SlotIn(Schema):
    weekday: int = Field(..., ge=0, le=6)
    time: dt.time


class SlotsIn(Schema):
    slots: list[SlotIn] = Field(..., max_length=100)


class SlotOut(Schema):
    weekday: int
    time: dt.time


class BannedWordIn(Schema):
    word: str = Field(..., min_length=1, max_length=100)
    reason: str = Field("", max_length=300)
    blocking: bool = True


class BannedWordOut(Schema):
    id: int = Field(..., alias="pk")
    word: str
    reason: str
    blocking: bool


class LinkIn(Schema):
    name: str = Field("", max_length=60)
    url: str = Field(..., max_length=500)


class ProfileVersionIn(Schema):
    display_name: str = Field("", max_length=100)
    bio: str = Field("", max_length=2000)
    avatar_id: uuid.UUID | None = None
    header_id: uuid.UUID | None = None
    links: list[LinkIn] = Field(default_factory=list, max_length=10)
    note: str = Field("", max_length=300)


class ProfileVersionOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    account: AccountRef = Field(..., alias="channel")
    number: int
    display_name: str
    bio: str
    avatar: AssetRef | None
    header: AssetRef | None
    links: list[dict[str, str]]
    note: str
    created_by: UserRef | None
    created_at: dt.datetime
    applied_at: dt.datetime | None
    apply_error: str


class ProfileVersionDetailOut(ProfileVersionOut):
    # What changed from the version before, {field: [before, after]}.
    changes: dict[str, list[Any]]

    @staticmethod
    def resolve_changes(obj: Any) -> dict[str, list[Any]]:
        return dict(obj.detail_changes)


class PostMetricOut(Schema):
    account_id: uuid.UUID
    collected_at: dt.datetime
    favourites: int
    boosts: int
    replies: int
    impressions: int | None
    reach: int | None


class AccountMetricOut(Schema):
    collected_at: dt.datetime
    followers: int
    following: int | None
    posts_count: int | None
