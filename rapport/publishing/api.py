"""/api/v1/publishing/ endpoints: posts, reviews, schedule, campaigns, UGC, accounts, metrics.

Everyone in the organisation reads; marketers, managers and admins draft and
schedule; managers and admins approve, override compliance findings and set
approval rules and banned words. The asset library, platform research and the
calendar are in api_library.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status

from rapport.accounts.models import User
from rapport.channels.models import Channel
from rapport.lib.errors import DomainError
from rapport.lib.schema_types import UtcDatetime
from rapport.publishing import api_library, compliance, constraints, selectors, services
from rapport.publishing.compliance import Finding
from rapport.publishing.models import BannedWord, Post, ProfileVersion
from rapport.publishing.schemas import (
    AccountMetricOut,
    ApprovalRuleIn,
    ApprovalRuleOut,
    BannedWordIn,
    BannedWordOut,
    CampaignIn,
    CampaignOut,
    CampaignPatchIn,
    CancelIn,
    CheckIn,
    CheckOut,
    CollectedOut,
    NoteIn,
    OverrideIn,
    PermissionIn,
    PlatformRulesOut,
    PostDetailOut,
    PostIn,
    PostMetricOut,
    PostPage,
    PostPatchIn,
    PostStatusName,
    ProfileVersionDetailOut,
    ProfileVersionIn,
    ProfileVersionOut,
    RescheduleIn,
    ReviewIn,
    ReviewOut,
    ScheduleIn,
    SlotOut,
    SlotsIn,
    UgcAssetOut,
    UgcPage,
    VariantIn,
)

router = Router(tags=["publishing"])
router.add_router("", api_library.router)


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _variants(variants: Iterable[VariantIn]) -> list[services.VariantInput]:
    return [
        services.VariantInput(
            channel=v.account_id,
            text=v.text,
            link=v.link,
            first_comment=v.first_comment,
            asset_ids=tuple(v.asset_ids),
        )
        for v in variants
    ]


def _findings(findings: Iterable[Finding], channels: dict[int, uuid.UUID]) -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "severity": f.severity,
            "message": f.message,
            "account_id": channels.get(f.channel_id) if f.channel_id else None,
        }
        for f in findings
    ]


def _detail(actor: User, post_id: uuid.UUID) -> Post:
    post = selectors.get_post_for_user(actor, post_id)
    channels = {v.channel_id: v.channel.public_id for v in post.variants.all()}
    post.detail_transitions = selectors.transitions_of(post)  # type: ignore[attr-defined]
    post.detail_reviews = selectors.reviews_of(post)  # type: ignore[attr-defined]
    post.detail_findings = _findings(services.check_post(post), channels)  # type: ignore[attr-defined]
    post.detail_approvals_missing = services.approvals_missing(post)  # type: ignore[attr-defined]
    return post


def _post(actor: User, post_id: uuid.UUID) -> Post:
    return selectors.get_post_for_user(actor, post_id)


# --- Posts ----------------------------------------


class PostQuery(Schema):
    status: PostStatusName | None = None
    campaign: uuid.UUID | None = None
    account: uuid.UUID | None = None
    scheduled_from: UtcDatetime | None = None
    scheduled_to: UtcDatetime | None = None
    cursor: str | None = SchemaField(None, max_length=200)
    limit: int = SchemaField(50, ge=1, le=200)


@router.get("/posts", response=PostPage, summary="List posts, newest first (cursor-paginated)")
def list_posts(request: HttpRequest, query: Query[PostQuery]) -> Any:
    data = query.dict()
    cursor, limit = data.pop("cursor"), data.pop("limit")
    items, next_cursor = selectors.post_page(
        _actor(request), selectors.PostFilter(**data), cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/posts", response={201: PostDetailOut}, summary="Draft a post")
def create_post(request: HttpRequest, payload: PostIn) -> Any:
    post = services.create_post(
        _actor(request),
        title=payload.title,
        campaign=payload.campaign_id,
        variants=_variants(payload.variants),
        scheduled_at=payload.scheduled_at,
    )
    return Status(201, _detail(_actor(request), post.public_id))


@router.get("/posts/{post_id}", response=PostDetailOut, summary="A post with its findings")
def get_post(request: HttpRequest, post_id: uuid.UUID) -> Any:
    return _detail(_actor(request), post_id)


@router.patch("/posts/{post_id}", response=PostDetailOut, summary="Edit a post")
def update_post(request: HttpRequest, post_id: uuid.UUID, payload: PostPatchIn) -> Any:
    given = payload.dict(exclude_unset=True)
    fields: dict[str, Any] = {}
    if "title" in given and payload.title is not None:
        fields["title"] = payload.title
    if "campaign_id" in given:
        fields["campaign"] = payload.campaign_id
    if payload.variants is not None:
        fields["variants"] = _variants(payload.variants)
    services.update_post(_actor(request), _post(_actor(request), post_id), **fields)
    return _detail(_actor(request), post_id)


@router.post("/posts/{post_id}/submit", response=PostDetailOut, summary="Send for approval")
def submit_post(request: HttpRequest, post_id: uuid.UUID, payload: NoteIn) -> Any:
    services.submit_for_review(_actor(request), _post(_actor(request), post_id), note=payload.note)
    return _detail(_actor(request), post_id)


@router.post(
    "/posts/{post_id}/reviews",
    response={201: ReviewOut},
    summary="Approve, request changes or comment",
)
def review_post(request: HttpRequest, post_id: uuid.UUID, payload: ReviewIn) -> Any:
    review = services.review_post(
        _actor(request),
        _post(_actor(request), post_id),
        decision=payload.decision,
        note=payload.note,
    )
    return Status(201, review)


@router.post("/posts/{post_id}/schedule", response=PostDetailOut, summary="Schedule a post")
def schedule_post(request: HttpRequest, post_id: uuid.UUID, payload: ScheduleIn) -> Any:
    services.schedule_post(
        _actor(request),
        _post(_actor(request), post_id),
        at=payload.at,
        override_reason=payload.override_reason,
    )
    return _detail(_actor(request), post_id)


@router.post("/posts/{post_id}/reschedule", response=PostDetailOut, summary="Move a post")
def reschedule_post(request: HttpRequest, post_id: uuid.UUID, payload: RescheduleIn) -> Any:
    services.reschedule_post(_actor(request), _post(_actor(request), post_id), at=payload.at)
    return _detail(_actor(request), post_id)


@router.post("/posts/{post_id}/queue", response=PostDetailOut, summary="Add to the queue")
def queue_post(request: HttpRequest, post_id: uuid.UUID, payload: OverrideIn) -> Any:
    services.add_to_queue(
        _actor(request), _post(_actor(request), post_id), override_reason=payload.override_reason
    )
    return _detail(_actor(request), post_id)


@router.post("/posts/{post_id}/publish-now", response=PostDetailOut, summary="Publish now")
def publish_now(request: HttpRequest, post_id: uuid.UUID, payload: OverrideIn) -> Any:
    services.publish_now(
        _actor(request), _post(_actor(request), post_id), override_reason=payload.override_reason
    )
    return _detail(_actor(request), post_id)


@router.post("/posts/{post_id}/cancel", response=PostDetailOut, summary="Cancel a post")
def cancel_post(request: HttpRequest, post_id: uuid.UUID, payload: CancelIn) -> Any:
    services.cancel_post(_actor(request), _post(_actor(request), post_id), reason=payload.reason)
    return _detail(_actor(request), post_id)


@router.get(
    "/posts/{post_id}/metrics", response=list[PostMetricOut], summary="Engagement over time"
)
def post_metrics(request: HttpRequest, post_id: uuid.UUID) -> Any:
    post = _post(_actor(request), post_id)
    return [
        {
            "account_id": sample.variant.channel.public_id,
            "collected_at": sample.collected_at,
            "favourites": sample.favourites,
            "boosts": sample.boosts,
            "replies": sample.replies,
            "impressions": sample.impressions,
            "reach": sample.reach,
        }
        for sample in selectors.post_metrics(post)
    ]


@router.post("/check", response=CheckOut, summary="Check a variant live (composer)")
def check_variant(request: HttpRequest, payload: CheckIn) -> Any:
    channel = selectors.get_account_for_user(_actor(request), payload.account_id)
    rules = constraints.rules_for(channel.kind)
    findings = constraints.check_variant(
        channel.kind,
        text=payload.text,
        link=payload.link,
        media_kinds=payload.media_kinds,
        first_comment=payload.first_comment,
        channel_id=channel.pk,
    )
    banned = BannedWord.objects.filter(organisation_id=channel.organisation_id).values_list(
        "word", "blocking"
    )
    full = constraints.published_text(payload.text, payload.link)
    findings += compliance.check_text(full, public=True, banned_words=list(banned))
    return {
        "length": constraints.length(channel.kind, full),
        "max_length": rules.max_length,
        "findings": _findings(findings, {channel.pk: channel.public_id}),
    }


@router.get("/platform-rules", response=list[PlatformRulesOut], summary="Per-platform limits")
def platform_rules(request: HttpRequest) -> Any:
    selectors.social_accounts_visible_to(_actor(request))  # checks the viewer may read
    return [
        {
            "platform": name,
            **{k: getattr(r, k) for k in PlatformRulesOut.model_fields if hasattr(r, k)},
            "media_kinds": sorted(r.media_kinds),
        }
        for name, r in constraints.PLATFORM_RULES.items()
    ]


# --- Campaigns and UGC ----------------------------------------


@router.get("/campaigns", response=list[CampaignOut], summary="List campaigns")
def list_campaigns(request: HttpRequest, archived: bool = False) -> Any:
    return list(
        selectors.campaigns_visible_to(_actor(request)).filter(archived=archived).order_by("name")
    )


@router.post("/campaigns", response={201: CampaignOut}, summary="Plan a campaign")
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    return Status(201, services.create_campaign(_actor(request), **payload.dict()))


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: uuid.UUID) -> Any:
    return selectors.get_campaign_for_user(_actor(request), campaign_id)


@router.patch("/campaigns/{campaign_id}", response=CampaignOut, summary="Change a campaign")
def update_campaign(request: HttpRequest, campaign_id: uuid.UUID, payload: CampaignPatchIn) -> Any:
    campaign = selectors.get_campaign_for_user(_actor(request), campaign_id)
    return services.update_campaign(_actor(request), campaign, **payload.dict(exclude_unset=True))


@router.get("/campaigns/{campaign_id}/ugc", response=UgcPage, summary="The UGC gallery")
def ugc_gallery(
    request: HttpRequest, campaign_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> Any:
    campaign = selectors.get_campaign_for_user(_actor(request), campaign_id)
    items, next_cursor = selectors.ugc_page(_actor(request), campaign, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/campaigns/{campaign_id}/ugc/collect",
    response=CollectedOut,
    summary="Search the campaign's hashtag now",
)
def collect_ugc(request: HttpRequest, campaign_id: uuid.UUID) -> Any:
    campaign = selectors.get_campaign_for_user(_actor(request), campaign_id)
    return {"new_items": services.collect_ugc_now(_actor(request), campaign)}


@router.post(
    "/ugc/{item_id}/permission",
    response={201: UgcAssetOut},
    summary="Record the creator's permission (makes a library asset)",
)
def record_permission(request: HttpRequest, item_id: uuid.UUID, payload: PermissionIn) -> Any:
    item = selectors.get_ugc_item_for_user(_actor(request), item_id)
    asset = services.record_ugc_permission(
        _actor(request), item, granted_on=payload.granted_on, note=payload.note
    )
    return Status(201, asset)


# --- Accounts: approval rules, queue slots, profiles, metrics --------------------------


def _account(request: HttpRequest, account_id: uuid.UUID) -> Channel:
    return selectors.get_account_for_user(_actor(request), account_id)


@router.get("/accounts/{account_id}/approval-rule", response={200: ApprovalRuleOut, 204: None})
def get_approval_rule(request: HttpRequest, account_id: uuid.UUID) -> Any:
    rule = selectors.approval_rule_of(_account(request, account_id))
    return rule if rule else Status(204, None)


@router.put(
    "/accounts/{account_id}/approval-rule",
    response=ApprovalRuleOut,
    summary="Require approvals (managers)",
)
def set_approval_rule(request: HttpRequest, account_id: uuid.UUID, payload: ApprovalRuleIn) -> Any:
    actor = _actor(request)
    channel = _account(request, account_id)
    wanted = set(payload.approver_ids)
    people = list(User.objects.filter(organisation_id=actor.organisation_id, public_id__in=wanted))
    if len(people) != len(wanted):
        raise DomainError("Approvers must be people in your organisation.", code="bad_approver")
    services.set_approval_rule(
        actor,
        channel,
        approvals_required=payload.approvals_required,
        approver_role=payload.approver_role,
        approvers=people,
    )
    return selectors.approval_rule_of(channel)


@router.delete("/accounts/{account_id}/approval-rule", response={204: None})
def remove_approval_rule(request: HttpRequest, account_id: uuid.UUID) -> Any:
    services.remove_approval_rule(_actor(request), _account(request, account_id))
    return Status(204, None)


@router.get("/accounts/{account_id}/queue-slots", response=list[SlotOut])
def get_queue_slots(request: HttpRequest, account_id: uuid.UUID) -> Any:
    return selectors.queue_slots_of(_account(request, account_id))


@router.put("/accounts/{account_id}/queue-slots", response=list[SlotOut], summary="Best times")
def set_queue_slots(request: HttpRequest, account_id: uuid.UUID, payload: SlotsIn) -> Any:
    channel = _account(request, account_id)
    services.set_queue_slots(
        _actor(request), channel, slots=[(s.weekday, s.time) for s in payload.slots]
    )
    return selectors.queue_slots_of(channel)


@router.get("/accounts/{account_id}/profile-versions", response=list[ProfileVersionOut])
def list_profile_versions(request: HttpRequest, account_id: uuid.UUID) -> Any:
    return selectors.profile_versions_of(_actor(request), _account(request, account_id))


@router.post(
    "/accounts/{account_id}/profile-versions",
    response={201: ProfileVersionDetailOut},
    summary="Record a new profile look",
)
def create_profile_version(
    request: HttpRequest, account_id: uuid.UUID, payload: ProfileVersionIn
) -> Any:
    version = services.create_profile_version(
        _actor(request),
        _account(request, account_id),
        display_name=payload.display_name,
        bio=payload.bio,
        avatar=payload.avatar_id,
        header=payload.header_id,
        links=[link.dict() for link in payload.links],
        note=payload.note,
    )
    return Status(201, _profile_detail(request, version.public_id))


def _profile_detail(request: HttpRequest, version_id: uuid.UUID) -> ProfileVersion:
    version = selectors.get_profile_version_for_user(_actor(request), version_id)
    version.detail_changes = services.profile_diff(version)  # type: ignore[attr-defined]
    return version


@router.get("/profile-versions/{version_id}", response=ProfileVersionDetailOut)
def get_profile_version(request: HttpRequest, version_id: uuid.UUID) -> Any:
    return _profile_detail(request, version_id)


@router.post(
    "/profile-versions/{version_id}/apply",
    response=ProfileVersionDetailOut,
    summary="Apply this look on the platform",
)
def apply_profile_version(request: HttpRequest, version_id: uuid.UUID) -> Any:
    version = selectors.get_profile_version_for_user(_actor(request), version_id)
    services.apply_profile_version(_actor(request), version)
    return _profile_detail(request, version_id)


@router.get("/accounts/{account_id}/metrics", response=list[AccountMetricOut])
def account_metrics(request: HttpRequest, account_id: uuid.UUID) -> Any:
    return selectors.account_metrics(_account(request, account_id))


# --- Banned words ----------------------------------------


@router.get("/banned-words", response=list[BannedWordOut])
def list_banned_words(request: HttpRequest) -> Any:
    return list(selectors.banned_words_visible_to(_actor(request)))


@router.post("/banned-words", response={201: BannedWordOut}, summary="Ban a word (managers)")
def add_banned_word(request: HttpRequest, payload: BannedWordIn) -> Any:
    return Status(201, services.add_banned_word(_actor(request), **payload.dict()))


@router.delete("/banned-words/{word_id}", response={204: None})
def remove_banned_word(request: HttpRequest, word_id: int) -> Any:
    banned = selectors.get_banned_word_for_user(_actor(request), word_id)
    services.remove_banned_word(_actor(request), banned)
    return Status(204, None)
