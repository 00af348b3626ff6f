"""/api/v1/publishing/ endpoints for the asset library, platform research and the calendar.

Everyone in the organisation reads; admins, managers and marketers change.
Errors are the API's usual {code, message, details}.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.lib.errors import DomainError, NotFound
from rapport.publishing import assets as asset_lib
from rapport.publishing import calendar as cal
from rapport.publishing import research
from rapport.publishing.models import Campaign, Post

router = Router(tags=["publishing: library, research, calendar"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


# --- Schemas --------------------------------------------------------------------------------

AssetKindName = Literal["image", "text", "pdf", "audio", "video", "link"]
SourceName = Literal["own", "licensed", "ugc", "cc"]


class AssetOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    kind: str
    title: str
    description: str
    alt_text: str
    tags: list[str]
    url: str
    body: str
    mime_type: str
    size: int
    width: int | None
    height: int | None
    source: str
    licence: str
    licence_url: str
    licence_expires_on: dt.date | None
    licence_status: str
    attribution_required: bool
    attribution_text: str
    creator_handle: str
    permission_granted_on: dt.date | None
    archived: bool
    file_url: str | None
    thumbnail_url: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_licence_status(obj: Any) -> str:
        return asset_lib.licence_status(obj)

    @staticmethod
    def resolve_file_url(obj: Any) -> str | None:
        return reverse("publishing:asset_file", args=[obj.public_id]) if obj.file else None

    @staticmethod
    def resolve_thumbnail_url(obj: Any) -> str | None:
        return (
            reverse("publishing:asset_thumbnail", args=[obj.public_id]) if obj.thumbnail else None
        )


class AssetDetailsIn(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    alt_text: str | None = Field(None, max_length=1000)
    tags: list[str] | None = Field(None, max_length=20)
    source: SourceName | None = None
    licence: str | None = Field(None, max_length=200)
    licence_url: str | None = Field(None, max_length=500)
    licence_expires_on: dt.date | None = None
    attribution_required: bool | None = None
    attribution_text: str | None = Field(None, max_length=500)
    creator_handle: str | None = Field(None, max_length=200)


class AssetIn(AssetDetailsIn):
    title: str = Field(..., min_length=1, max_length=200)
    kind: AssetKindName = "link"
    url: str = Field("", max_length=1000)
    body: str = Field("", max_length=100_000)


class AssetFilterIn(Schema):
    q: str = Field("", max_length=200)
    tag: str = Field("", max_length=40)
    kind: AssetKindName | None = None
    source: SourceName | None = None
    licence: str = Field("", max_length=200)
    expiry: Literal["expired", "expiring", "valid"] | None = None
    archived: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class PermissionIn(Schema):
    creator_handle: str = Field(..., min_length=1, max_length=200)
    granted_on: dt.date


class UsageOut(Schema):
    post_id: uuid.UUID
    post_title: str
    post_status: str
    account: str
    published_at: dt.datetime | None
    url: str


class FactOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    aspect: str
    text: str
    source_name: str
    source_url: str
    as_of: dt.date | None
    updated_by: str | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_updated_by(obj: Any) -> str | None:
        return obj.updated_by.display_name if obj.updated_by else None


class PlatformOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    slug: str
    name: str
    summary: str
    website: str
    updated_at: dt.datetime
    facts: list[FactOut]

    @staticmethod
    def resolve_facts(obj: Any) -> list[Any]:
        return list(obj.facts.all())


class FactIn(Schema):
    aspect: Literal[
        "audience", "features", "reach", "business_fit", "usability", "privacy", "costs"
    ]
    text: str = Field(..., min_length=1, max_length=4000)
    source_name: str = Field("", max_length=200)
    source_url: str = Field("", max_length=500)
    as_of: dt.date | None = None


class ResearchIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    brand: str = Field(..., min_length=1, max_length=4000)
    target_customer: str = Field(..., min_length=1, max_length=4000)


class ScoreIn(Schema):
    audience_fit: int = Field(..., ge=1, le=5)
    business_fit: int = Field(..., ge=1, le=5)
    usability: int = Field(..., ge=1, le=5)
    privacy: int = Field(..., ge=1, le=5)
    cost: int = Field(..., ge=1, le=5)
    notes: str = Field("", max_length=2000)


class DecisionIn(Schema):
    platform: str = Field(..., min_length=1, max_length=40)
    selected: bool
    reason: str = Field(..., min_length=1, max_length=4000)


class DecisionOut(Schema):
    platform: str
    selected: bool
    reason: str
    decided_by: str | None
    decided_at: dt.datetime


class StandingOut(Schema):
    platform: str
    name: str
    scores: dict[str, int] | None
    total: int | None
    notes: str
    decision: DecisionOut | None
    history: list[DecisionOut]


class ResearchOut(Schema):
    id: uuid.UUID
    title: str
    brand: str
    target_customer: str
    created_at: dt.datetime
    platforms: list[StandingOut]
    selected: list[str]


EntryKindName = Literal["event", "promotion", "milestone", "date", "release"]


class EntryOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    kind: str
    title: str
    notes: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    all_day: bool
    campaign_id: uuid.UUID | None
    account_id: uuid.UUID | None
    colour: str

    @staticmethod
    def resolve_campaign_id(obj: Any) -> uuid.UUID | None:
        return obj.campaign.public_id if obj.campaign_id else None

    @staticmethod
    def resolve_account_id(obj: Any) -> uuid.UUID | None:
        return obj.channel.public_id if obj.channel_id else None


class EntryIn(Schema):
    kind: EntryKindName
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: dt.datetime | dt.date
    ends_at: dt.datetime | dt.date | None = None
    all_day: bool = False
    notes: str = Field("", max_length=10_000)
    campaign_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    colour: str = Field("", max_length=7)


class EntryPatchIn(Schema):
    kind: EntryKindName | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    starts_at: dt.datetime | dt.date | None = None
    ends_at: dt.datetime | dt.date | None = None
    all_day: bool | None = None
    notes: str | None = Field(None, max_length=10_000)
    campaign_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    colour: str | None = Field(None, max_length=7)


class RangeIn(Schema):
    start: dt.datetime
    end: dt.datetime
    campaign: uuid.UUID | None = None
    account: uuid.UUID | None = None
    kind: Literal["event", "promotion", "milestone", "date", "release", "post"] | None = None


class ItemOut(Schema):
    uid: str
    type: str
    id: str
    title: str
    start: dt.datetime
    end: dt.datetime | None
    all_day: bool
    colour: str
    kind: str
    status: str
    campaign: str
    accounts: str
    editable: bool
    failed: bool

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.public_id)


class MoveIn(Schema):
    type: Literal["entry", "post"]
    id: uuid.UUID
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None = None
    all_day: bool = False


class FeedOut(Schema):
    url: str


# --- Assets ---------------------------------------------------------------------------------


@router.get("/assets", response=list[AssetOut], summary="Search the asset library")
def list_assets(request: HttpRequest, filters: Query[AssetFilterIn]) -> Any:
    wanted = asset_lib.AssetFilters(
        q=filters.q,
        tag=filters.tag,
        kind=filters.kind or "",
        source=filters.source or "",
        licence=filters.licence,
        expiry=filters.expiry or "",
        archived=filters.archived,
    )
    found = asset_lib.search_assets(_actor(request), wanted)
    return list(found[filters.offset : filters.offset + filters.limit])


@router.post("/assets", response={201: AssetOut}, summary="Add a link or text asset")
def create_asset(request: HttpRequest, payload: AssetIn) -> Any:
    data = payload.dict(exclude_none=True)
    kind, url, body = data.pop("kind"), data.pop("url", ""), data.pop("body", "")
    if kind == "text" and url:
        raise DomainError("A text asset holds its text in body.", code="invalid")
    asset = asset_lib.create_asset(
        _actor(request), url=url, body=body, kind="" if body else kind, **data
    )
    return Status(201, asset)


@router.post(
    "/assets/upload", response={201: AssetOut}, summary="Upload a file (typed by its content)"
)
def upload_asset(
    request: HttpRequest,
    file: File[UploadedFile],
    title: Form[str] = "",
    description: Form[str] = "",
    alt_text: Form[str] = "",
    tags: Form[str] = "",
    source: Form[SourceName] = "own",
    licence: Form[str] = "",
    licence_expires_on: Form[dt.date | None] = None,
    attribution_text: Form[str] = "",
    creator_handle: Form[str] = "",
) -> Any:
    asset = asset_lib.create_asset(
        _actor(request),
        upload=file,
        title=title,
        description=description,
        alt_text=alt_text,
        tags=tags,
        source=source,
        licence=licence,
        licence_expires_on=licence_expires_on,
        attribution_required=bool(attribution_text.strip()),
        attribution_text=attribution_text,
        creator_handle=creator_handle,
    )
    return Status(201, asset)


@router.get("/assets/{asset_id}", response=AssetOut)
def get_asset(request: HttpRequest, asset_id: uuid.UUID) -> Any:
    return asset_lib.get_asset_for_user(_actor(request), asset_id)


@router.patch("/assets/{asset_id}", response=AssetOut, summary="Change an asset's details")
def update_asset(request: HttpRequest, asset_id: uuid.UUID, payload: AssetDetailsIn) -> Any:
    asset = asset_lib.get_asset_for_user(_actor(request), asset_id)
    return asset_lib.update_asset(_actor(request), asset, **payload.dict(exclude_unset=True))


@router.post("/assets/{asset_id}/archive", response=AssetOut)
def archive_asset(request: HttpRequest, asset_id: uuid.UUID) -> Any:
    asset = asset_lib.get_asset_for_user(_actor(request), asset_id)
    return asset_lib.archive_asset(_actor(request), asset)


@router.post("/assets/{asset_id}/restore", response=AssetOut)
def restore_asset(request: HttpRequest, asset_id: uuid.UUID) -> Any:
    asset = asset_lib.get_asset_for_user(_actor(request), asset_id)
    return asset_lib.archive_asset(_actor(request), asset, archived=False)


@router.post(
    "/assets/{asset_id}/permission",
    response=AssetOut,
    summary="Record the creator's permission (user-generated content)",
)
def record_permission(request: HttpRequest, asset_id: uuid.UUID, payload: PermissionIn) -> Any:
    asset = asset_lib.get_asset_for_user(_actor(request), asset_id)
    return asset_lib.record_permission(_actor(request), asset, **payload.dict())


@router.get("/assets/{asset_id}/usage", response=list[UsageOut], summary="Posts that used it")
def asset_usage(request: HttpRequest, asset_id: uuid.UUID) -> Any:
    asset = asset_lib.get_asset_for_user(_actor(request), asset_id)
    return [
        {
            "post_id": v.post.public_id,
            "post_title": str(v.post),
            "post_status": v.post.status,
            "account": v.channel.name,
            "published_at": v.published_at,
            "url": v.url,
        }
        for v in asset_lib.asset_usage(asset)
    ]


# --- Platform research ----------------------------------------------------------------------


@router.get("/platforms", response=list[PlatformOut], summary="Platform profiles and facts")
def list_platforms(request: HttpRequest) -> Any:
    return list(research.profiles_visible_to(_actor(request)))


@router.post(
    "/platforms/starting-set", response=dict[str, int], summary="Load the dated starting set"
)
def load_starting_set(request: HttpRequest) -> Any:
    actor = _actor(request)
    return {"facts_added": research.load_starting_set(actor.organisation, actor=actor)}


@router.get("/platforms/{slug}", response=PlatformOut)
def get_platform(request: HttpRequest, slug: str) -> Any:
    return research.get_profile_for_user(_actor(request), slug)


@router.post("/platforms/{slug}/facts", response={201: FactOut}, summary="Add a fact")
def add_fact(request: HttpRequest, slug: str, payload: FactIn) -> Any:
    profile = research.get_profile_for_user(_actor(request), slug)
    return Status(201, research.add_fact(_actor(request), profile, **payload.dict()))


@router.put("/facts/{fact_id}", response=FactOut, summary="Correct a fact")
def update_fact(request: HttpRequest, fact_id: uuid.UUID, payload: FactIn) -> Any:
    fact = research.get_fact_for_user(_actor(request), fact_id)
    return research.update_fact(_actor(request), fact, **payload.dict())


@router.delete("/facts/{fact_id}", response={204: None})
def delete_fact(request: HttpRequest, fact_id: uuid.UUID) -> Any:
    fact = research.get_fact_for_user(_actor(request), fact_id)
    research.delete_fact(_actor(request), fact)
    return Status(204, None)


def _decision(d: Any) -> dict[str, Any]:
    return {
        "platform": d.platform.slug,
        "selected": d.selected,
        "reason": d.reason,
        "decided_by": d.decided_by.display_name if d.decided_by else None,
        "decided_at": d.decided_at,
    }


def _research_out(record: Any) -> dict[str, Any]:
    rows = research.standings(record)
    platforms: list[dict[str, Any]] = []
    for row in rows:
        score = row.score
        platforms.append(
            {
                "platform": row.platform.slug,
                "name": row.platform.name,
                "scores": {k: getattr(score, k) for k in research.SCORE_CRITERIA}
                if score
                else None,
                "total": score.total if score else None,
                "notes": score.notes if score else "",
                "decision": _decision(row.decision) if row.decision else None,
                "history": [_decision(d) for d in row.history],
            }
        )
    return {
        "id": record.public_id,
        "title": record.title,
        "brand": record.brand,
        "target_customer": record.target_customer,
        "created_at": record.created_at,
        "platforms": platforms,
        "selected": [
            p["platform"] for p in platforms if p["decision"] and p["decision"]["selected"]
        ],
    }


@router.get("/research", response=list[ResearchOut], summary="Research records")
def list_research(request: HttpRequest) -> Any:
    return [_research_out(r) for r in research.research_visible_to(_actor(request))[:50]]


@router.post("/research", response={201: ResearchOut}, summary="Start a research record")
def create_research(request: HttpRequest, payload: ResearchIn) -> Any:
    record = research.create_research(_actor(request), **payload.dict())
    return Status(201, _research_out(record))


@router.get("/research/{research_id}", response=ResearchOut)
def get_research(request: HttpRequest, research_id: uuid.UUID) -> Any:
    return _research_out(research.get_research_for_user(_actor(request), research_id))


@router.put(
    "/research/{research_id}/scores/{slug}", response=ResearchOut, summary="Score a platform"
)
def score_platform(
    request: HttpRequest, research_id: uuid.UUID, slug: str, payload: ScoreIn
) -> Any:
    actor = _actor(request)
    record = research.get_research_for_user(actor, research_id)
    platform = research.get_profile_for_user(actor, slug)
    data = payload.dict()
    notes = data.pop("notes")
    research.score_platform(actor, record, platform, notes=notes, **data)
    return _research_out(record)


@router.post(
    "/research/{research_id}/decisions",
    response={201: ResearchOut},
    summary="Select a platform or not, with the reason (appended to the history)",
)
def decide(request: HttpRequest, research_id: uuid.UUID, payload: DecisionIn) -> Any:
    actor = _actor(request)
    record = research.get_research_for_user(actor, research_id)
    platform = research.get_profile_for_user(actor, payload.platform)
    research.decide(actor, record, platform, selected=payload.selected, reason=payload.reason)
    return Status(201, _research_out(record))


# --- Calendar -------------------------------------------------------------------------------


def _campaign(actor: User, public_id: uuid.UUID | None) -> Campaign | None:
    if public_id is None:
        return None
    found = Campaign.objects.filter(
        organisation_id=actor.organisation_id, public_id=public_id
    ).first()
    if found is None:
        raise NotFound("No such campaign.")
    return found


def _account(actor: User, public_id: uuid.UUID | None) -> Channel | None:
    if public_id is None:
        return None
    found = next((c for c in cal.social_accounts(actor) if c.public_id == public_id), None)
    if found is None:
        raise NotFound("No such account.")
    return found


def _entry_fields(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    if "campaign_id" in data:
        data["campaign"] = _campaign(actor, data.pop("campaign_id"))
    if "account_id" in data:
        data["channel"] = _account(actor, data.pop("account_id"))
    return data


@router.get("/calendar/entries", response=list[EntryOut], summary="Calendar entries in a range")
def list_entries(request: HttpRequest, start: dt.datetime, end: dt.datetime) -> Any:
    entries = cal.entries_visible_to(_actor(request)).filter(
        starts_at__lt=end, starts_at__gte=start - dt.timedelta(days=366)
    )
    return [
        e
        for e in entries.select_related("campaign", "channel")[:2000]
        if (e.ends_at or e.starts_at) >= start
    ]


@router.post("/calendar/entries", response={201: EntryOut}, summary="Put an entry on the calendar")
def create_entry(request: HttpRequest, payload: EntryIn) -> Any:
    actor = _actor(request)
    entry = cal.create_entry(actor, **_entry_fields(actor, payload.dict()))
    return Status(201, entry)


@router.get("/calendar/entries/{entry_id}", response=EntryOut)
def get_entry(request: HttpRequest, entry_id: uuid.UUID) -> Any:
    return cal.get_entry_for_user(_actor(request), entry_id)


@router.patch("/calendar/entries/{entry_id}", response=EntryOut, summary="Change an entry")
def update_entry(request: HttpRequest, entry_id: uuid.UUID, payload: EntryPatchIn) -> Any:
    actor = _actor(request)
    entry = cal.get_entry_for_user(actor, entry_id)
    return cal.update_entry(actor, entry, **_entry_fields(actor, payload.dict(exclude_unset=True)))


@router.delete("/calendar/entries/{entry_id}", response={204: None})
def delete_entry(request: HttpRequest, entry_id: uuid.UUID) -> Any:
    actor = _actor(request)
    cal.delete_entry(actor, cal.get_entry_for_user(actor, entry_id))
    return Status(204, None)


@router.get("/calendar/items", response=list[ItemOut], summary="Entries and posts in a range")
def calendar_items(request: HttpRequest, filters: Query[RangeIn]) -> Any:
    if filters.end <= filters.start or filters.end - filters.start > dt.timedelta(days=400):
        raise DomainError("Give a start and end at most 400 days apart.", code="invalid_range")
    return cal.calendar_items(
        _actor(request),
        start=filters.start,
        end=filters.end,
        filters=cal.CalendarFilters(
            campaign=str(filters.campaign or ""),
            channel=str(filters.account or ""),
            kind=filters.kind or "",
        ),
    )


@router.post("/calendar/move", response=dict[str, str], summary="Move an entry or a post")
def move(request: HttpRequest, payload: MoveIn) -> Any:
    actor = _actor(request)
    if payload.type == "entry":
        entry = cal.get_entry_for_user(actor, payload.id)
        cal.move_entry(
            actor, entry, starts_at=payload.start, ends_at=payload.end, all_day=payload.all_day
        )
        return {"moved": str(entry.public_id)}
    if not isinstance(payload.start, dt.datetime):
        raise DomainError("A post moves to a date and time.", code="invalid")
    post = Post.objects.filter(organisation_id=actor.organisation_id, public_id=payload.id).first()
    if post is None or not actor.can(Cap.PUBLISHING_VIEW):
        raise NotFound("No such post.")
    cal.move_post(actor, post, at=payload.start)
    return {"moved": str(post.public_id)}


@router.post("/calendar/feed-token", response={201: FeedOut}, summary="Make my iCalendar feed URL")
def make_feed_token(request: HttpRequest) -> Any:
    _, raw = cal.create_feed_token(_actor(request))
    return Status(
        201, {"url": request.build_absolute_uri(reverse("publishing:calendar_feed", args=[raw]))}
    )


@router.delete("/calendar/feed-token", response={204: None}, summary="Turn my feed URL off")
def revoke_feed_token(request: HttpRequest) -> Any:
    cal.revoke_feed_tokens(_actor(request))
    return Status(204, None)
