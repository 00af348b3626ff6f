"""State changes for posts: compose, check, review, schedule, publish, and what goes around them.

People-facing services take the acting user first, check rights, run in one
transaction, record every status change as a PostTransition and write the
audit log. The worker-facing ones (`publish_variant`, `collect_metrics`,
`collect_ugc`) take ids.

Exactly once, like the inbox's outbound replies (rapport.channels.services):
a due variant is claimed with a conditional UPDATE (pending -> sending) that
only one worker can win; it carries a stable idempotency key to the platform;
an attempt that timed out has an unknown outcome and the next attempt first
looks for our own post on the platform; retries back off; a variant that gives
up is marked failed, on the post and to its author.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import User
from rapport.accounts.roles import Cap, Role
from rapport.accounts.services import require
from rapport.channels import registry
from rapport.channels.models import Channel, ChannelKind
from rapport.connectors.base import (
    AuthRequired,
    MediaUpload,
    Permanent,
    PostResult,
    RateLimited,
    ReplyTarget,
    Transient,
)
from rapport.inbox.models import Notification
from rapport.lib import crypto
from rapport.lib.errors import Conflict, DomainError, NotAllowed, NotFound
from rapport.publishing import compliance, constraints
from rapport.publishing.compliance import Finding
from rapport.publishing.models import (
    ApprovalRule,
    Asset,
    AssetKind,
    AssetSource,
    BannedWord,
    Campaign,
    CampaignKind,
    ComplianceOverride,
    Post,
    PostMetricSample,
    PostReview,
    PostStatus,
    PostTransition,
    PostVariant,
    ProfileVersion,
    QueueSlot,
    ReviewDecision,
    UgcItem,
    UgcStatus,
    VariantStatus,
)

logger = logging.getLogger(__name__)

# Channel kinds that posts can go out to.
PUBLISHING_KINDS = frozenset({ChannelKind.SANDBOX, ChannelKind.MASTODON, ChannelKind.BLUESKY})
MAX_TEXT = 70000
MAX_VARIANTS = 20
MAX_ASSETS_PER_VARIANT = 20
# A variant claimed for sending and not finished after this long: its worker died mid-call.
PUBLISH_LEASE = dt.timedelta(minutes=5)
MAX_PUBLISH_ATTEMPTS = 8
PUBLISH_RETRY_BASE = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
# A schedule time this far in the past is refused; a few seconds absorb clock skew and
# the time a person takes to press the button.
PAST_GRACE = dt.timedelta(seconds=30)
# Metrics are collected for posts published within this window.
METRICS_WINDOW = dt.timedelta(days=30)
# Text repeated on the same account within this window is flagged.
REPEAT_WINDOW = dt.timedelta(days=30)
QUEUE_HORIZON_DAYS = 28
# Words that make a post a competition or an offer, which must carry its terms.
_PROMOTION_WORDS = (
    "win",
    "giveaway",
    "competition",
    "contest",
    "prize",
    "sweepstake",
    "raffle",
    "% off",
    "discount",
    "promo code",
    "voucher",
)

EDITABLE = frozenset(
    {
        PostStatus.DRAFT,
        PostStatus.IN_REVIEW,
        PostStatus.CHANGES_REQUESTED,
        PostStatus.APPROVED,
        PostStatus.SCHEDULED,
        PostStatus.FAILED,
    }
)
_CAMPAIGN_FIELDS = (
    "name",
    "kind",
    "goal",
    "goal_metric",
    "goal_target",
    "starts_on",
    "ends_on",
    "terms",
    "terms_url",
    "hashtag",
    "colour",
    "archived",
)


# --- Inputs ----------------------------------------


@dataclass(frozen=True)
class VariantInput:
    """The post as it should go to one account.

    `channel` is a Channel or its public id; `asset_ids` are public ids of the
    organisation's assets (or Asset objects).
    """

    channel: Channel | uuid.UUID | str
    text: str
    link: str = ""
    first_comment: str = ""
    asset_ids: Sequence[uuid.UUID | str | Asset] = ()


@dataclass(frozen=True)
class _Resolved:
    channel: Channel
    text: str
    link: str
    first_comment: str
    assets: list[Asset]


# --- Helpers ----------------------------------------


def _now(now: dt.datetime | None = None) -> dt.datetime:
    return now or timezone.now()


def _require_work(actor: User) -> None:
    if not actor.can(Cap.PUBLISHING_WORK):
        raise NotAllowed("Your role does not allow drafting or scheduling posts.")


def _own(actor: User, obj: Any, what: str) -> None:
    organisation_id = getattr(obj, "organisation_id", None)
    if organisation_id != actor.organisation_id:
        raise NotFound(f"No such {what}.")


def _locked_post(actor: User | None, post: Post) -> Post:
    found = Post.objects.select_for_update().filter(pk=post.pk).first()
    if found is None or (actor is not None and found.organisation_id != actor.organisation_id):
        raise NotFound("No such post.")
    return found


def _transition(
    post: Post,
    to_status: str,
    *,
    actor: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Move `post` to `to_status` (saved by the caller's update), recording who and why."""
    before = post.status
    if before == to_status:
        return
    post.status = to_status
    PostTransition.objects.create(
        post=post,
        from_status=before,
        to_status=to_status,
        actor=actor,
        reason=reason[:2000],
        created_at=_now(now),
    )


def _notify(user_ids: Iterable[int], text: str, *, kind: str) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(user_id=pk, kind=kind[:30], text=text[:300], created_at=now)
            for pk in sorted(set(user_ids))
        ]
    )


def _label(post: Post) -> str:
    return f"“{post.title}”" if post.title else f"your post of {post.created_at:%d %b}"


def _resolve_channel(actor: User, value: Channel | uuid.UUID | str) -> Channel:
    if isinstance(value, Channel):
        channel: Channel | None = value
        if value.organisation_id != actor.organisation_id or not value.is_active:
            channel = None
    else:
        try:
            wanted = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except ValueError:
            wanted = None
        channel = (
            Channel.objects.filter(
                public_id=wanted, organisation_id=actor.organisation_id, is_active=True
            ).first()
            if wanted
            else None
        )
    if channel is None:
        raise DomainError(
            "Unknown account: it is not one of your channels.", code="unknown_account"
        )
    if channel.kind not in PUBLISHING_KINDS:
        raise DomainError(
            f"{channel.name} is a {channel.get_kind_display()} channel; posts go to social "
            "accounts only.",
            code="not_a_social_account",
        )
    return channel


def _resolve_assets(actor: User, values: Sequence[uuid.UUID | str | Asset]) -> list[Asset]:
    if len(values) > MAX_ASSETS_PER_VARIANT:
        raise DomainError(
            f"Attach at most {MAX_ASSETS_PER_VARIANT} assets.", code="too_many_assets"
        )
    wanted: list[uuid.UUID] = []
    for value in values:
        if isinstance(value, Asset):
            wanted.append(value.public_id)
            continue
        try:
            wanted.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise DomainError(f"Unknown asset {value!s:.40}.", code="unknown_asset") from None
    found = {
        asset.public_id: asset
        for asset in Asset.objects.filter(
            public_id__in=wanted, organisation_id=actor.organisation_id, archived=False
        )
    }
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise DomainError(
            "Unknown asset: not in your library (or archived).",
            code="unknown_asset",
            details=missing,
        )
    # Keep the order given, without repeats.
    return list({pk: found[pk] for pk in wanted}.values())


def _resolve_campaign(actor: User, value: Campaign | uuid.UUID | str | None) -> Campaign | None:
    if value is None or value == "":
        return None
    if isinstance(value, Campaign):
        campaign: Campaign | None = value
        if value.organisation_id != actor.organisation_id:
            campaign = None
    else:
        try:
            wanted = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except ValueError:
            wanted = None
        campaign = (
            Campaign.objects.filter(public_id=wanted, organisation_id=actor.organisation_id).first()
            if wanted
            else None
        )
    if campaign is None:
        raise DomainError("Unknown campaign.", code="unknown_campaign")
    return campaign


def _resolve_variants(actor: User, variants: Sequence[VariantInput]) -> list[_Resolved]:
    if not variants:
        raise DomainError("Choose at least one account to post to.", code="no_accounts")
    if len(variants) > MAX_VARIANTS:
        raise DomainError(f"Post to at most {MAX_VARIANTS} accounts at once.", code="too_many")
    resolved: list[_Resolved] = []
    seen: set[int] = set()
    problems: list[dict[str, Any]] = []
    for given in variants:
        channel = _resolve_channel(actor, given.channel)
        if channel.pk in seen:
            raise DomainError(
                f"{channel.name} is chosen twice; a post has one variant per account.",
                code="duplicate_account",
            )
        seen.add(channel.pk)
        text = (given.text or "").strip()
        if len(text) > MAX_TEXT or len(given.first_comment or "") > MAX_TEXT:
            raise DomainError("The text is far too long.", code="text_too_long")
        link = (given.link or "").strip()
        if link and not link.startswith(("https://", "http://")):
            raise DomainError("A link must start with https:// or http://.", code="bad_link")
        assets = _resolve_assets(actor, given.asset_ids)
        item = _Resolved(channel, text, link, (given.first_comment or "").strip(), assets)
        resolved.append(item)
        # What the platform itself would refuse is refused now, so no draft is saved that
        # could never go out.
        for finding in _constraint_findings(item):
            if finding.blocking:
                problems.append({**finding.as_dict(), "account": channel.name})
    if problems:
        raise DomainError(
            " ".join(f"{p['account']}: {p['message']}" for p in problems),
            code="platform_limits",
            details=problems,
        )
    return resolved


def _constraint_findings(item: _Resolved) -> list[Finding]:
    return constraints.check_variant(
        item.channel.kind,
        text=item.text,
        link=item.link,
        media_kinds=[_media_kind(asset) for asset in item.assets if _is_media(asset)],
        first_comment=item.first_comment,
        channel_id=item.channel.pk,
    )


def _is_media(asset: Asset) -> bool:
    return asset.kind in (AssetKind.IMAGE, AssetKind.VIDEO, AssetKind.AUDIO)


def _media_kind(asset: Asset) -> str:
    return str(asset.kind)


def _check_future(at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if at < now - PAST_GRACE:
        raise DomainError(
            f"{at:%Y-%m-%d %H:%M} UTC is in the past; choose a time from now on.",
            code="past_time",
        )
    return at


# --- Compose ----------------------------------------


@transaction.atomic
def create_post(
    actor: User,
    *,
    title: str = "",
    campaign: Campaign | uuid.UUID | str | None = None,
    variants: Sequence[VariantInput],
    scheduled_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Post:
    """Draft a post with one variant per account.

    What a platform would refuse (too long, too many media, a media type it
    does not take) is refused here; compliance findings are shown but only
    stop scheduling. `scheduled_at` is the planned time, kept on the draft for
    the calendar; the post goes out only once scheduled.
    """
    _require_work(actor)
    now = _now(now)
    resolved = _resolve_variants(actor, variants)
    chosen_campaign = _resolve_campaign(actor, campaign)
    if scheduled_at is not None:
        scheduled_at = _check_future(scheduled_at, now)
    post = Post.objects.create(
        organisation_id=actor.organisation_id,
        author=actor,
        title=title.strip()[:200],
        campaign=chosen_campaign,
        scheduled_at=scheduled_at,
        created_at=now,
    )
    PostTransition.objects.create(
        post=post, from_status="", to_status=PostStatus.DRAFT, actor=actor, created_at=now
    )
    _write_variants(post, resolved)
    audit.record(
        actor,
        "post.create",
        post,
        changes={"accounts": [None, [item.channel.name for item in resolved]]},
    )
    return post


def _write_variants(post: Post, resolved: Sequence[_Resolved]) -> bool:
    """Make the post's variants match `resolved`; return whether any content changed."""
    existing = {variant.channel_id: variant for variant in post.variants.all()}
    changed = False
    wanted = {item.channel.pk for item in resolved}
    gone = [variant.pk for channel_id, variant in existing.items() if channel_id not in wanted]
    if gone:
        PostVariant.objects.filter(pk__in=gone).delete()
        changed = True
    for item in resolved:
        variant = existing.get(item.channel.pk)
        asset_ids = [asset.pk for asset in item.assets]
        if variant is None:
            variant = PostVariant.objects.create(
                post=post,
                channel=item.channel,
                text=item.text,
                link=item.link,
                first_comment=item.first_comment,
                idempotency_key=uuid.uuid4().hex,
            )
            variant.assets.set(asset_ids)
            changed = True
            continue
        before = (
            variant.text,
            variant.link,
            variant.first_comment,
            sorted(variant.assets.values_list("pk", flat=True)),
        )
        after = (item.text, item.link, item.first_comment, sorted(asset_ids))
        if before != after:
            PostVariant.objects.filter(pk=variant.pk).update(
                text=item.text,
                link=item.link,
                first_comment=item.first_comment,
                updated_at=timezone.now(),
            )
            variant.assets.set(asset_ids)
            changed = True
    return changed


_UNSET: Any = object()


@transaction.atomic
def update_post(
    actor: User,
    post: Post,
    *,
    title: str = _UNSET,
    campaign: Campaign | uuid.UUID | str | None = _UNSET,
    variants: Sequence[VariantInput] = _UNSET,
    now: dt.datetime | None = None,
) -> Post:
    """Change a post's title, campaign or variants.

    A content change bumps the revision. A post that was approved (or
    scheduled) and whose accounts need approval goes back to review: an
    approval covers only the text it saw. A scheduled post without approvals
    stays scheduled only while it passes the compliance checks.
    """
    _require_work(actor)
    post = _locked_post(actor, post)
    if post.status not in EDITABLE:
        raise Conflict(
            f"A {post.get_status_display().lower()} post cannot be edited.", code="not_editable"
        )
    now = _now(now)
    changes: dict[str, Any] = {}
    if title is not _UNSET and title.strip()[:200] != post.title:
        changes["title"] = [post.title, title.strip()[:200]]
        post.title = title.strip()[:200]
    if campaign is not _UNSET:
        chosen = _resolve_campaign(actor, campaign)
        if (chosen.pk if chosen else None) != post.campaign_id:
            changes["campaign"] = [post.campaign_id, chosen.pk if chosen else None]
            post.campaign = chosen
    content_changed = False
    if variants is not _UNSET:
        content_changed = _write_variants(post, _resolve_variants(actor, variants))
    if content_changed or "campaign" in changes:
        post.revision += 1
        changes["revision"] = [post.revision - 1, post.revision]
        if post.status in (PostStatus.APPROVED, PostStatus.SCHEDULED) and needs_approval(post):
            _transition(post, PostStatus.IN_REVIEW, actor=actor, reason="Edited after approval.")
            post.save()
            _unschedule_variants(post)
            _notify(_approver_ids(post), f"{actor} changed {_label(post)}: please review again.",
                    kind="post_review")  # fmt: skip
        elif post.status == PostStatus.SCHEDULED:
            blocking = compliance.blocking(check_post(post))
            if blocking and not _override_for(post):
                raise DomainError(
                    "The change has compliance findings that block a scheduled post: "
                    + compliance.describe(blocking),
                    code="compliance_blocked",
                    details=[f.as_dict() for f in blocking],
                )
            # An account added to a scheduled post goes out with the others.
            PostVariant.objects.filter(
                post=post, status=VariantStatus.PENDING, next_attempt_at__isnull=True
            ).update(next_attempt_at=post.scheduled_at, updated_at=now)
        elif post.status == PostStatus.FAILED:
            _transition(post, PostStatus.DRAFT, actor=actor, reason="Edited after failing.")
    post.save()
    if changes:
        audit.record(actor, "post.update", post, changes=changes)
    return post


# --- Checks ----------------------------------------


def check_post(post: Post, *, on: dt.date | None = None) -> list[Finding]:
    """Return every compliance and platform finding on the post's current variants.

    Each finding that concerns one account carries its channel id.
    """
    on = on or timezone.localdate()
    variants = list(post.variants.select_related("channel").prefetch_related("assets"))
    banned = list(
        BannedWord.objects.filter(organisation_id=post.organisation_id).values_list(
            "word", "blocking"
        )
    )
    # Read afresh: the campaign's terms may have changed since the post was loaded.
    campaign = Campaign.objects.filter(pk=post.campaign_id).first() if post.campaign_id else None
    findings: list[Finding] = []
    for variant in variants:
        assets = list(variant.assets.all())
        channel_id = variant.channel_id
        findings += constraints.check_variant(
            variant.channel.kind,
            text=variant.text,
            link=variant.link,
            media_kinds=[_media_kind(a) for a in assets if _is_media(a)],
            first_comment=variant.first_comment,
            channel_id=channel_id,
        )
        public_text = constraints.published_text(variant.text, variant.link)
        for text in (public_text, variant.first_comment):
            if text:
                findings += [
                    replace(finding, channel_id=channel_id)
                    for finding in compliance.check_text(text, public=True, banned_words=banned)
                ]
        findings += _asset_findings(assets, public_text, on, channel_id)
        findings += _promotion_findings(campaign, public_text, variant.first_comment, channel_id)
    findings += _repeat_findings(post, variants)
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _asset_findings(
    assets: Sequence[Asset], text: str, on: dt.date, channel_id: int
) -> list[Finding]:
    findings = []
    lowered = " ".join(text.lower().split())
    for asset in assets:
        name = f"“{asset.title}”"
        if asset.source in (AssetSource.LICENSED, AssetSource.CREATIVE_COMMONS) and not (
            asset.licence.strip()
        ):
            findings.append(
                Finding(
                    "asset_no_licence",
                    "blocking",
                    f"{name} is marked {asset.get_source_display().lower()} but has no licence "
                    "recorded.",
                    channel_id,
                )
            )
        if asset.licence_expired(on):
            findings.append(
                Finding(
                    "asset_licence_expired",
                    "blocking",
                    f"The licence of {name} expired on {asset.licence_expires_on:%d %b %Y}.",
                    channel_id,
                )
            )
        attribution = " ".join(asset.attribution_text.lower().split())
        if asset.attribution_required and (not attribution or attribution not in lowered):
            wanted = f" “{asset.attribution_text}”" if asset.attribution_text else ""
            findings.append(
                Finding(
                    "asset_attribution_missing",
                    "blocking",
                    f"{name} must be credited in the text{wanted}.",
                    channel_id,
                )
            )
        if asset.source == AssetSource.UGC and asset.permission_granted_on is None:
            findings.append(
                Finding(
                    "ugc_no_permission",
                    "blocking",
                    f"{name} is user-generated and its creator's permission is not recorded.",
                    channel_id,
                )
            )
    return findings


def _promotion_findings(
    campaign: Campaign | None, text: str, first_comment: str, channel_id: int
) -> list[Finding]:
    lowered = f"{text}\n{first_comment}".lower()
    is_promotion = bool(campaign and campaign.needs_terms) or any(
        _has_word(lowered, word) for word in _PROMOTION_WORDS
    )
    if not is_promotion:
        return []
    if campaign is None or not (campaign.terms.strip() or campaign.terms_url):
        return [
            Finding(
                "promotion_without_terms",
                "blocking",
                "This reads as a promotion or competition, but its campaign has no terms; "
                "add the terms to the campaign and link them.",
                channel_id,
            )
        ]
    if campaign.terms_url and campaign.terms_url.lower() not in lowered:
        return [
            Finding(
                "promotion_terms_not_linked",
                "warning",
                f"Link the terms ({campaign.terms_url}) in the post or its first comment.",
                channel_id,
            )
        ]
    return []


def _has_word(text: str, word: str) -> bool:
    if not word[0].isalnum():
        return word in text
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _repeat_findings(post: Post, variants: Sequence[PostVariant]) -> list[Finding]:
    findings = []
    by_text: dict[str, list[PostVariant]] = {}
    for variant in variants:
        key = compliance.normalised(variant.text)
        if len(key) >= 20:
            by_text.setdefault(key, []).append(variant)
    for same in by_text.values():
        if len(same) > 1:
            names = ", ".join(v.channel.name for v in same)
            findings.append(
                Finding(
                    "repeated_text",
                    "warning",
                    f"The same text goes to {names}; platforms and followers read identical "
                    "posts across accounts as spam. Vary each account's text.",
                )
            )
    since = timezone.now() - REPEAT_WINDOW
    for variant in variants:
        key = compliance.normalised(variant.text)
        if len(key) < 20:
            continue
        earlier = (
            PostVariant.objects.filter(
                channel_id=variant.channel_id,
                status=VariantStatus.PUBLISHED,
                published_at__gte=since,
            )
            .exclude(post_id=post.pk)
            .values_list("text", flat=True)[:200]
        )
        if any(compliance.normalised(text) == key for text in earlier):
            findings.append(
                Finding(
                    "repeated_on_account",
                    "warning",
                    f"{variant.channel.name} published this text in the last 30 days.",
                    variant.channel_id,
                )
            )
    return findings


def _override_for(post: Post) -> ComplianceOverride | None:
    return post.overrides.filter(revision=post.revision).order_by("-created_at").first()


# --- Approvals ----------------------------------------


def rules_for_post(post: Post) -> list[ApprovalRule]:
    channel_ids = list(post.variants.values_list("channel_id", flat=True))
    return list(
        ApprovalRule.objects.filter(channel_id__in=channel_ids).prefetch_related("approvers")
    )


def needs_approval(post: Post) -> bool:
    return bool(rules_for_post(post))


def may_approve(user: User, rule: ApprovalRule) -> bool:
    """Return whether `user` counts as an approver under `rule`."""
    if not user.is_active or user.organisation_id != rule.organisation_id:
        return False
    named = {approver.pk for approver in rule.approvers.all()}
    if named and user.pk in named:
        return True
    if rule.approver_role:
        return user.role == rule.approver_role
    return not named and user.can(Cap.PUBLISHING_APPROVE)


def _approver_ids(post: Post) -> list[int]:
    rules = rules_for_post(post)
    if not rules:
        return []
    people = User.objects.filter(organisation_id=post.organisation_id, is_active=True)
    return [
        user.pk
        for user in people
        if user.pk != post.author_id and any(may_approve(user, rule) for rule in rules)
    ]


def approvals_missing(post: Post) -> list[str]:
    """Return, per account whose rule is not yet met, what is still needed."""
    reviews = list(
        PostReview.objects.filter(
            post=post, revision=post.revision, decision=ReviewDecision.APPROVE
        ).select_related("reviewer")
    )
    missing = []
    for rule in rules_for_post(post):
        approvers = {r.reviewer_id for r in reviews if may_approve(r.reviewer, rule)}
        if len(approvers) < rule.approvals_required:
            channel = Channel.objects.get(pk=rule.channel_id)
            missing.append(
                f"{channel.name}: {rule.approvals_required - len(approvers)} more approval(s)"
            )
    return missing


@transaction.atomic
def submit_for_review(
    actor: User, post: Post, *, note: str = "", now: dt.datetime | None = None
) -> Post:
    """Send a draft for approval; with no approval rule on its accounts it is approved at once."""
    _require_work(actor)
    post = _locked_post(actor, post)
    if post.status not in (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED, PostStatus.FAILED):
        raise Conflict(
            f"A {post.get_status_display().lower()} post cannot be sent for review.",
            code="bad_status",
        )
    if needs_approval(post):
        _transition(post, PostStatus.IN_REVIEW, actor=actor, reason=note, now=now)
        post.save()
        _notify(
            _approver_ids(post),
            f"{actor} asks you to review {_label(post)}.",
            kind="post_review",
        )
    else:
        _transition(
            post,
            PostStatus.APPROVED,
            actor=actor,
            reason=note or "No approval needed for these accounts.",
            now=now,
        )
        post.save()
    audit.record(actor, "post.submit", post, changes={"status": [None, post.status]})
    return post


@transaction.atomic
def review_post(
    actor: User,
    post: Post,
    *,
    decision: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> PostReview:
    """Approve, request changes to, or comment on a post in review; the author is told.

    The post is approved once every account's rule has its approvals for the
    current revision. An author cannot approve their own post.
    """
    if decision not in ReviewDecision.values:
        raise DomainError(f"Unknown decision {decision!r}.", code="bad_decision")
    if not actor.can(Cap.WRITE):
        raise NotAllowed("Your role does not allow reviewing posts.")
    post = _locked_post(actor, post)
    note = note.strip()
    rules = rules_for_post(post)
    if decision != ReviewDecision.COMMENT:
        if post.status != PostStatus.IN_REVIEW:
            raise Conflict("Only a post in review can be approved or sent back.", code="bad_status")
        # With no rule left (it was removed while the post waited), any approver may decide.
        eligible = (
            any(may_approve(actor, rule) for rule in rules)
            if rules
            else actor.can(Cap.PUBLISHING_APPROVE)
        )
        if not eligible:
            raise NotAllowed("You are not an approver for this post's accounts.")
        if decision == ReviewDecision.APPROVE and post.author_id == actor.pk:
            raise NotAllowed("You cannot approve your own post.")
        if decision == ReviewDecision.REQUEST_CHANGES and not note:
            raise DomainError("Say what should change.", code="note_required")
    else:
        if not (actor.can(Cap.PUBLISHING_WORK) or actor.can(Cap.PUBLISHING_APPROVE)):
            raise NotAllowed("Your role does not allow commenting on posts.")
        if not note:
            raise DomainError("A comment needs some text.", code="note_required")
    now = _now(now)
    review = PostReview.objects.create(
        post=post,
        reviewer=actor,
        decision=decision,
        note=note[:5000],
        revision=post.revision,
        created_at=now,
    )
    if decision == ReviewDecision.REQUEST_CHANGES:
        _transition(post, PostStatus.CHANGES_REQUESTED, actor=actor, reason=note, now=now)
        post.save()
        text = f"{actor} asked for changes to {_label(post)}: {note}"
    elif decision == ReviewDecision.APPROVE:
        missing = approvals_missing(post)
        if not missing:
            _transition(post, PostStatus.APPROVED, actor=actor, reason=note, now=now)
            post.save()
            text = f"{actor} approved {_label(post)}; it can be scheduled."
        else:
            text = f"{actor} approved {_label(post)}; still needed: {'; '.join(missing)}."
    else:
        text = f"{actor} commented on {_label(post)}: {note}"
    if post.author_id != actor.pk:
        _notify([post.author_id], text, kind=f"post_{decision}")
    audit.record(
        actor,
        f"post.review.{decision}",
        post,
        changes={"revision": [None, post.revision], "status": [None, post.status]},
    )
    return review


# --- Schedule, publish now, cancel ----------------------------------------


def _ready_to_schedule(actor: User, post: Post, override_reason: str | None) -> None:
    if post.status in (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED, PostStatus.IN_REVIEW):
        if needs_approval(post):
            raise Conflict(
                "This post needs approval before it can be scheduled.", code="needs_approval"
            )
    elif post.status not in (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.FAILED):
        raise Conflict(
            f"A {post.get_status_display().lower()} post cannot be scheduled.", code="bad_status"
        )
    findings = check_post(post)
    blocking = compliance.blocking(findings)
    if not blocking or _override_for(post):
        return
    if override_reason is None or not override_reason.strip():
        raise DomainError(
            "Fix these before scheduling (or a manager may override them with a reason): "
            + compliance.describe(blocking),
            code="compliance_blocked",
            details=[finding.as_dict() for finding in blocking],
        )
    if not actor.can(Cap.COMPLIANCE_OVERRIDE):
        raise NotAllowed("Only a manager can override blocking compliance findings.")
    ComplianceOverride.objects.create(
        post=post,
        revision=post.revision,
        actor=actor,
        reason=override_reason.strip()[:5000],
        findings=[finding.as_dict() for finding in blocking],
        created_at=timezone.now(),
    )
    audit.record(
        actor,
        "post.compliance_override",
        post,
        changes={
            "findings": [None, [finding.code for finding in blocking]],
            "reason": [None, override_reason.strip()[:500]],
        },
    )


def _arm_variants(post: Post, at: dt.datetime) -> None:
    """Make every variant that has not gone out wait for `at`."""
    PostVariant.objects.filter(post=post).exclude(status=VariantStatus.PUBLISHED).update(
        status=VariantStatus.PENDING,
        next_attempt_at=at,
        attempts=0,
        outcome_unknown=False,
        last_error="",
        updated_at=timezone.now(),
    )
    for variant in PostVariant.objects.filter(post=post, idempotency_key=""):
        PostVariant.objects.filter(pk=variant.pk).update(idempotency_key=uuid.uuid4().hex)


def _unschedule_variants(post: Post) -> None:
    PostVariant.objects.filter(post=post, status=VariantStatus.PENDING).update(
        next_attempt_at=None, updated_at=timezone.now()
    )


@transaction.atomic
def schedule_post(
    actor: User,
    post: Post,
    *,
    at: dt.datetime,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> Post:
    """Schedule an approved post (or one that needs no approval) to go out at `at`.

    Refused for a time in the past, and while blocking compliance findings
    exist, unless a manager overrides them with a reason (recorded and audited).
    """
    _require_work(actor)
    now = _now(now)
    at = _check_future(at, now)
    post = _locked_post(actor, post)
    _ready_to_schedule(actor, post, override_reason)
    before = post.scheduled_at
    post.scheduled_at = at
    _transition(post, PostStatus.SCHEDULED, actor=actor, reason=f"For {at:%Y-%m-%d %H:%M} UTC.")
    post.save()
    _arm_variants(post, at)
    audit.record(
        actor,
        "post.schedule",
        post,
        changes={"scheduled_at": [before, at], "status": [None, "scheduled"]},
    )
    return post


@transaction.atomic
def reschedule_post(
    actor: User, post: Post, *, at: dt.datetime, now: dt.datetime | None = None
) -> Post:
    """Move a post to another time (the calendar's drag); a scheduled one goes out then."""
    _require_work(actor)
    now = _now(now)
    at = _check_future(at, now)
    post = _locked_post(actor, post)
    if post.status in (PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.CANCELLED):
        raise Conflict(
            f"A {post.get_status_display().lower()} post cannot be moved.", code="bad_status"
        )
    before = post.scheduled_at
    post.scheduled_at = at
    post.save()
    if post.status == PostStatus.SCHEDULED:
        PostVariant.objects.filter(post=post, status=VariantStatus.PENDING).update(
            next_attempt_at=at, updated_at=timezone.now()
        )
    audit.record(actor, "post.reschedule", post, changes={"scheduled_at": [before, at]})
    return post


def publish_now(
    actor: User, post: Post, *, override_reason: str | None = None, now: dt.datetime | None = None
) -> Post:
    """Schedule the post for now and hand its variants to the worker at once."""
    now = _now(now)
    with transaction.atomic():
        post = schedule_post(actor, post, at=now, override_reason=override_reason, now=now)
        ids = list(post.variants.filter(status=VariantStatus.PENDING).values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue_publish(ids))
    return post


def _enqueue_publish(variant_ids: Sequence[int]) -> None:
    from rapport.publishing import tasks

    for variant_id in variant_ids:
        tasks.publish_variant.enqueue(variant_id)


@transaction.atomic
def cancel_post(actor: User, post: Post, *, reason: str, now: dt.datetime | None = None) -> Post:
    """Stop a post that has not gone out; what was already published stays published."""
    _require_work(actor)
    if not reason or not reason.strip():
        raise DomainError("Say why the post is cancelled.", code="reason_required")
    post = _locked_post(actor, post)
    if post.status in (PostStatus.PUBLISHED, PostStatus.CANCELLED, PostStatus.PUBLISHING):
        raise Conflict(
            f"A {post.get_status_display().lower()} post cannot be cancelled.", code="bad_status"
        )
    PostVariant.objects.filter(post=post, status=VariantStatus.PENDING).update(
        status=VariantStatus.CANCELLED, next_attempt_at=None, updated_at=timezone.now()
    )
    _transition(post, PostStatus.CANCELLED, actor=actor, reason=reason.strip(), now=now)
    post.save()
    audit.record(actor, "post.cancel", post, changes={"status": [None, "cancelled"]})
    return post


# --- Queue slots ----------------------------------------


@transaction.atomic
def set_queue_slots(
    actor: User, channel: Channel, *, slots: Sequence[tuple[int, dt.time]]
) -> list[QueueSlot]:
    """Replace an account's "best times" (weekday 0 = Monday, local time)."""
    _require_work(actor)
    _own(actor, channel, "account")
    clean = set()
    for weekday, at in slots:
        if not 0 <= int(weekday) <= 6:
            raise DomainError("A weekday is 0 (Monday) to 6 (Sunday).", code="bad_weekday")
        clean.add((int(weekday), at.replace(second=0, microsecond=0, tzinfo=None)))
    QueueSlot.objects.filter(channel=channel).delete()
    made = QueueSlot.objects.bulk_create(
        [QueueSlot(channel=channel, weekday=d, time=t) for d, t in sorted(clean)]
    )
    audit.record(
        actor,
        "publishing.queue_slots",
        channel,
        changes={"slots": [None, [f"{d} {t:%H:%M}" for d, t in sorted(clean)]]},
    )
    return made


def next_free_slot(post: Post, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """Return the first slot of the post's accounts, from now on, that no other post holds."""
    now = _now(now)
    channel_ids = list(post.variants.values_list("channel_id", flat=True))
    slots = list(QueueSlot.objects.filter(channel_id__in=channel_ids))
    if not slots:
        return None
    zone = post.organisation.zone
    taken = set(
        Post.objects.filter(
            variants__channel_id__in=channel_ids,
            status__in=(PostStatus.SCHEDULED, PostStatus.PUBLISHING),
            scheduled_at__gte=now,
        )
        .exclude(pk=post.pk)
        .values_list("scheduled_at", flat=True)
    )
    local_today = now.astimezone(zone).date()
    candidates = []
    for offset in range(QUEUE_HORIZON_DAYS):
        day = local_today + dt.timedelta(days=offset)
        for slot in slots:
            if slot.weekday == day.weekday():
                at = dt.datetime.combine(day, slot.time, tzinfo=zone).astimezone(dt.UTC)
                if at > now:
                    candidates.append(at)
    for at in sorted(set(candidates)):
        if at not in taken:
            return at
    return None


def add_to_queue(
    actor: User, post: Post, *, override_reason: str | None = None, now: dt.datetime | None = None
) -> Post:
    """Schedule the post at its accounts' next free "best time"."""
    _require_work(actor)
    _own(actor, post, "post")
    at = next_free_slot(post, now=now)
    if at is None:
        raise DomainError(
            "These accounts have no free queue slot in the next four weeks; add best times "
            "or pick a time.",
            code="no_free_slot",
        )
    return schedule_post(actor, post, at=at, override_reason=override_reason, now=now)


# --- The worker: publishing ----------------------------------------


def due_variant_ids(now: dt.datetime | None = None, *, limit: int = 1000) -> list[int]:
    """Return the ids of variants due to go out, the longest-waiting first."""
    now = _now(now)
    return list(
        PostVariant.objects.filter(
            status=VariantStatus.PENDING,
            next_attempt_at__lte=now,
            post__status__in=(PostStatus.SCHEDULED, PostStatus.PUBLISHING),
            channel__is_active=True,
            channel__paused_at__isnull=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def recover_stuck_variants(now: dt.datetime | None = None) -> int:
    """Put back variants whose worker died mid-attempt, marked outcome unknown; return how many.

    A claim leases the variant until `next_attempt_at`; past it, the attempt
    is over one way or the other.
    """
    now = _now(now)
    return PostVariant.objects.filter(status=VariantStatus.SENDING, next_attempt_at__lt=now).update(
        status=VariantStatus.PENDING, outcome_unknown=True, next_attempt_at=now
    )


def claim_variant(variant_id: int, *, now: dt.datetime | None = None) -> PostVariant | None:
    """Claim a due variant for sending (pending -> sending); None when not ours to send."""
    now = _now(now)
    won = PostVariant.objects.filter(
        pk=variant_id,
        status=VariantStatus.PENDING,
        next_attempt_at__lte=now,
        post__status__in=(PostStatus.SCHEDULED, PostStatus.PUBLISHING),
    ).update(
        status=VariantStatus.SENDING,
        attempts=F("attempts") + 1,
        # The lease: past it, recover_stuck_variants puts the variant back.
        next_attempt_at=now + PUBLISH_LEASE,
        updated_at=now,
    )
    if won != 1:
        # Nothing got updated: published already, not due, or another worker has it.
        return None
    variant = PostVariant.objects.select_related("channel", "post").get(pk=variant_id)
    post = variant.post
    if post.status == PostStatus.SCHEDULED:
        with transaction.atomic():
            # The first variant out moves the post on; only one claim can win this update.
            moved = Post.objects.filter(pk=post.pk, status=PostStatus.SCHEDULED).update(
                status=PostStatus.PUBLISHING, updated_at=now
            )
            if moved == 1:
                PostTransition.objects.create(
                    post=post,
                    from_status=PostStatus.SCHEDULED,
                    to_status=PostStatus.PUBLISHING,
                    reason="Publishing.",
                    created_at=now,
                )
                post.status = PostStatus.PUBLISHING
    return variant


def publish_variant(
    variant_id: int, *, now: dt.datetime | None = None, connectors: dict[int, Any] | None = None
) -> str:
    """Publish one variant through its account's connector, at most once on the platform.

    Returns "skipped" (not due or not ours), "published", "retrying" or "failed".
    A worker publishing many variants may pass `connectors` (channel id ->
    connector), kept between calls so each account's HTTP connection is reused;
    the caller then closes them.
    """
    now = _now(now)
    variant = claim_variant(variant_id, now=now)
    if variant is None:
        return "skipped"
    connector = None
    try:
        if connectors is not None and variant.channel_id in connectors:
            connector = connectors[variant.channel_id]
        else:
            connector = registry.build_connector(variant.channel)
            if connectors is not None:
                connectors[variant.channel_id] = connector
        text = constraints.published_text(variant.text, variant.link)
        if variant.outcome_unknown:
            # The last attempt may have posted: look before posting again.
            found = connector.find_own_post(text, idempotency_key=variant.idempotency_key)
            if found is not None:
                return _published(variant, found, connector, now)
        posted = connector.publish(
            text, idempotency_key=variant.idempotency_key, media=_media_of(variant)
        )
        return _published(variant, posted, connector, now)
    except RateLimited as exc:
        return _retry(variant, now, exc.message, at=exc.reset_at, unknown=False)
    except (AuthRequired, crypto.SecretUnreadable) as exc:
        return _retry(variant, now, f"The account needs reconnecting: {exc}", unknown=False)
    except Permanent as exc:
        return _failed(variant, exc.message)
    except Transient as exc:
        # A timeout or a dropped connection: the post may or may not exist now.
        return _retry(variant, now, exc.message, unknown=True)
    except Exception as exc:
        logger.exception("publishing variant %s failed", variant.pk)
        return _retry(variant, now, f"{exc.__class__.__name__}: {exc}", unknown=True)
    finally:
        if connectors is None:
            registry.close(connector)


def _media_of(variant: PostVariant) -> list[MediaUpload]:
    uploads = []
    for asset in variant.assets.all():
        if not _is_media(asset) or not asset.file:
            continue
        with asset.file.open("rb") as handle:
            data = handle.read()
        uploads.append(
            MediaUpload(
                data=data,
                mime_type=asset.mime_type or "application/octet-stream",
                filename=asset.file.name.rsplit("/", 1)[-1],
                description=asset.alt_text,
            )
        )
    return uploads


def _published(variant: PostVariant, posted: PostResult, connector: Any, now: dt.datetime) -> str:
    published_at = posted.created_at or now
    with transaction.atomic():
        PostVariant.objects.filter(pk=variant.pk).update(
            status=VariantStatus.PUBLISHED,
            external_id=posted.external_id[:500],
            url=posted.url[:1000],
            published_at=published_at,
            outcome_unknown=False,
            next_attempt_at=None,
            last_error="",
            updated_at=now,
        )
        _settle_post(variant.post_id, now)
    if variant.first_comment and constraints.rules_for(variant.channel.kind).first_comment:
        _post_first_comment(variant, posted, connector)
    return "published"


def _post_first_comment(variant: PostVariant, posted: PostResult, connector: Any) -> None:
    """Reply to our own post with the first comment; its own key makes a retry post it once."""
    try:
        connector.reply(
            ReplyTarget(external_id=posted.external_id, is_public=True),
            variant.first_comment,
            idempotency_key=f"{variant.idempotency_key}-comment",
        )
    except Exception as exc:
        # The post is out; a lost first comment is reported, not retried into a double.
        logger.warning("first comment of variant %s failed: %s", variant.pk, exc)
        PostVariant.objects.filter(pk=variant.pk).update(
            last_error=f"The first comment was not posted: {exc}"[:500]
        )
        _notify(
            [variant.post.author_id],
            f"{_label(variant.post)} is out on {variant.channel.name}, but its first comment "
            f"could not be posted: {exc}",
            kind="post_comment_failed",
        )


def _settle_post(post_id: int, now: dt.datetime) -> None:
    """Once no variant is waiting or sending, mark the post published or failed."""
    post = Post.objects.select_for_update().get(pk=post_id)
    states = list(post.variants.values_list("status", "published_at"))
    if any(status in (VariantStatus.PENDING, VariantStatus.SENDING) for status, _ in states):
        return
    published = [at for status, at in states if status == VariantStatus.PUBLISHED and at]
    failed = any(status == VariantStatus.FAILED for status, _ in states)
    if published and post.published_at is None:
        post.published_at = min(published)
    if failed:
        _transition(
            post,
            PostStatus.FAILED,
            actor=None,
            reason="Some accounts could not be published to." if published else "Not published.",
            now=now,
        )
    elif published and post.status != PostStatus.CANCELLED:
        _transition(post, PostStatus.PUBLISHED, actor=None, reason="Published.", now=now)
    post.save()


def _failed(variant: PostVariant, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        PostVariant.objects.filter(pk=variant.pk).update(
            status=VariantStatus.FAILED,
            last_error=error[:500],
            next_attempt_at=None,
            updated_at=now,
        )
        _settle_post(variant.post_id, now)
    _notify(
        [variant.post.author_id],
        f"{_label(variant.post)} could not be published to {variant.channel.name}: {error}",
        kind="post_failed",
    )
    return "failed"


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before retry number `attempts`: doubling from 30 s, jittered, at most 1 h."""
    base = min(
        PUBLISH_RETRY_BASE.total_seconds() * 2 ** max(0, attempts - 1),
        MAX_BACKOFF.total_seconds(),
    )
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


def _retry(
    variant: PostVariant,
    now: dt.datetime,
    error: str,
    *,
    unknown: bool,
    at: dt.datetime | None = None,
) -> str:
    if variant.attempts >= MAX_PUBLISH_ATTEMPTS:
        note = " (the last attempt's outcome is unknown)" if unknown else ""
        return _failed(variant, f"Gave up after {variant.attempts} attempts{note}: {error}")
    next_attempt = (
        max(at, now) + dt.timedelta(seconds=random.uniform(1, 5))
        if at
        else now + backoff(variant.attempts)
    )
    PostVariant.objects.filter(pk=variant.pk, status=VariantStatus.SENDING).update(
        status=VariantStatus.PENDING,
        # Once unknown, stays unknown until we have looked on the platform.
        outcome_unknown=variant.outcome_unknown or unknown,
        next_attempt_at=next_attempt,
        last_error=error[:500],
        updated_at=now,
    )
    return "retrying"


# --- Campaigns ----------------------------------------


def _clean_campaign(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = str(fields["name"] or "").strip()[:150]
        if not fields["name"]:
            raise DomainError("A campaign needs a name.", code="name_required")
    if "kind" in fields and fields["kind"] not in CampaignKind.values:
        raise DomainError(f"Unknown campaign kind {fields['kind']!r}.", code="bad_kind")
    if "hashtag" in fields:
        fields["hashtag"] = str(fields["hashtag"] or "").strip().lstrip("#")[:100]
        if fields["hashtag"] and not fields["hashtag"].replace("_", "").isalnum():
            raise DomainError("A hashtag is letters, digits and _ only.", code="bad_hashtag")
    terms_url = str(fields.get("terms_url") or "")
    if terms_url and not terms_url.startswith(("https://", "http://")):
        raise DomainError("The terms link must start with https://.", code="bad_link")
    if "colour" in fields:
        colour = str(fields["colour"] or "#4f6bed")
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise DomainError("A colour is #rrggbb.", code="bad_colour")
        fields["colour"] = colour.lower()
    return fields


def _check_dates(campaign: Campaign) -> None:
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise DomainError("A campaign cannot end before it starts.", code="bad_dates")
    if campaign.kind == CampaignKind.UGC and not campaign.hashtag:
        raise DomainError(
            "A user-generated content campaign needs the hashtag it collects.",
            code="hashtag_required",
        )


@transaction.atomic
def create_campaign(
    actor: User,
    *,
    name: str,
    kind: str,
    goal: str = "",
    goal_metric: str = "",
    goal_target: float | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    terms: str = "",
    terms_url: str = "",
    hashtag: str = "",
    colour: str = "#4f6bed",
) -> Campaign:
    """Start a campaign: a promotion, an offer (with terms and dates), an event, or UGC."""
    _require_work(actor)
    fields = _clean_campaign(
        {
            "name": name,
            "kind": kind,
            "goal": goal.strip(),
            "goal_metric": goal_metric.strip()[:40],
            "goal_target": goal_target,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "terms": terms.strip(),
            "terms_url": terms_url.strip(),
            "hashtag": hashtag,
            "colour": colour,
        }
    )
    if Campaign.objects.filter(
        organisation_id=actor.organisation_id, name__iexact=fields["name"]
    ).exists():
        raise Conflict(f"There is already a campaign called {fields['name']!r}.", code="name_taken")
    campaign = Campaign(organisation_id=actor.organisation_id, owner=actor, **fields)
    _check_dates(campaign)
    campaign.save()
    audit.record(
        actor,
        "campaign.create",
        campaign,
        changes={k: [None, v] for k, v in audit.snapshot(campaign, _CAMPAIGN_FIELDS).items()},
    )
    return campaign


@transaction.atomic
def update_campaign(actor: User, campaign: Campaign, **fields: Any) -> Campaign:
    """Change a campaign's fields (those given); archive it with archived=True."""
    _require_work(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _own(actor, campaign, "campaign")
    unknown = set(fields) - set(_CAMPAIGN_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.", code="bad_fields")
    fields = _clean_campaign(dict(fields))
    if "name" in fields and (
        Campaign.objects.filter(organisation_id=actor.organisation_id, name__iexact=fields["name"])
        .exclude(pk=campaign.pk)
        .exists()
    ):
        raise Conflict(f"There is already a campaign called {fields['name']!r}.", code="name_taken")
    before = audit.snapshot(campaign, _CAMPAIGN_FIELDS)
    for name, value in fields.items():
        setattr(campaign, name, value)
    _check_dates(campaign)
    campaign.save()
    changes = audit.diff(before, audit.snapshot(campaign, _CAMPAIGN_FIELDS))
    if changes:
        audit.record(actor, "campaign.update", campaign, changes=changes)
    return campaign


# --- User-generated content ----------------------------------------------------------------


def collect_ugc(campaign_id: int, *, limit: int = 40) -> int:
    """Search the organisation's Mastodon-compatible accounts for the campaign's hashtag.

    Each public post found becomes a UgcItem once (dedupe on platform and
    id); returns how many were new.
    """
    campaign = Campaign.objects.filter(
        pk=campaign_id, kind=CampaignKind.UGC, archived=False
    ).first()
    if campaign is None or not campaign.hashtag:
        return 0
    channels = Channel.objects.filter(
        organisation_id=campaign.organisation_id,
        is_active=True,
        paused_at__isnull=True,
        kind__in=(ChannelKind.SANDBOX, ChannelKind.MASTODON),
    )
    made = 0
    for channel in channels:
        connector = None
        try:
            connector = registry.build_connector(channel)
            listen = getattr(connector, "listen", None)
            if not callable(listen):
                continue
            events = listen(f"#{campaign.hashtag}", limit=limit)
        except Exception as exc:
            logger.warning("UGC search on channel %s failed: %s", channel.pk, exc)
            continue
        finally:
            registry.close(connector)
        wanted = f"#{campaign.hashtag.lower()}"
        for event in events:
            if not event.is_public or wanted not in event.text.lower():
                continue
            try:
                with transaction.atomic():
                    _, created = UgcItem.objects.get_or_create(
                        campaign=campaign,
                        platform=event.platform,
                        external_id=event.external_id,
                        defaults={
                            "channel": channel,
                            "author_handle": event.author_handle[:200],
                            "author_name": event.author_name[:200],
                            "text": event.text,
                            "url": event.url[:1000],
                            "media": [
                                {
                                    "url": m.url,
                                    "mime_type": m.mime_type,
                                    "description": m.description,
                                }
                                for m in event.media
                            ],
                            "posted_at": event.created_at,
                        },
                    )
            except IntegrityError:
                created = False
            made += int(created)
    return made


def collect_ugc_now(actor: User, campaign: Campaign) -> int:
    """Search a UGC campaign's hashtag now, instead of waiting for the worker."""
    _require_work(actor)
    _own(actor, campaign, "campaign")
    if campaign.kind != CampaignKind.UGC:
        raise DomainError("Only a user-generated content campaign collects posts.", code="not_ugc")
    return collect_ugc(campaign.pk)


@transaction.atomic
def record_ugc_permission(
    actor: User, item: UgcItem, *, granted_on: dt.date, note: str = ""
) -> Asset:
    """Record that the creator allowed reuse; the post becomes a library asset that says so."""
    _require_work(actor)
    item = UgcItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
    if item.campaign.organisation_id != actor.organisation_id:
        raise NotFound("No such item.")
    if granted_on > timezone.localdate():
        raise DomainError("Permission cannot be granted in the future.", code="future_date")
    if item.asset_id is not None:
        raise Conflict("Permission is already recorded for this post.", code="already_recorded")
    image = next((m for m in item.media if str(m.get("mime_type", "")).startswith("image")), None)
    handle = item.author_handle.lstrip("@")
    asset = Asset.objects.create(
        organisation_id=actor.organisation_id,
        kind=AssetKind.IMAGE if image else AssetKind.TEXT,
        title=f"@{handle}: {item.text[:80]}".strip()[:200],
        description=(
            f"User-generated, permission granted on {granted_on:%d %b %Y} by @{handle}"
            f" (recorded by {actor}).{f' {note.strip()}' if note.strip() else ''}"
        )[:5000],
        alt_text=str(image.get("description") or "")[:1000] if image else "",
        tags=["ugc", item.campaign.hashtag.lower()] if item.campaign.hashtag else ["ugc"],
        owner=actor,
        url=(str(image.get("url") or "") if image else "") or item.url,
        body="" if image else item.text,
        mime_type=str(image.get("mime_type") or "") if image else "text/plain",
        source=AssetSource.UGC,
        attribution_required=True,
        attribution_text=f"@{handle}",
        creator_handle=handle,
        permission_granted_on=granted_on,
        permission_recorded_by=actor,
    )
    item.asset = asset
    item.status = UgcStatus.PERMISSION_GRANTED
    item.save(update_fields=["asset", "status", "updated_at"])
    audit.record(
        actor,
        "ugc.permission",
        asset,
        changes={"creator": [None, handle], "granted_on": [None, granted_on], "note": [None, note]},
    )
    return asset


# --- Approval rules and banned words ----------------------------------------


@transaction.atomic
def set_approval_rule(
    actor: User,
    channel: Channel,
    *,
    approvals_required: int = 1,
    approver_role: str = "",
    approvers: Sequence[User] = (),
) -> ApprovalRule:
    """Require approvals for an account's posts (managers and admins)."""
    require(actor, Cap.PUBLISHING_APPROVE)
    _own(actor, channel, "account")
    if channel.kind not in PUBLISHING_KINDS:
        raise DomainError("Approval rules apply to social accounts.", code="not_a_social_account")
    if not 1 <= approvals_required <= 10:
        raise DomainError("Between 1 and 10 approvals.", code="bad_count")
    if approver_role and approver_role not in Role.values:
        raise DomainError(f"Unknown role {approver_role!r}.", code="bad_role")
    if any(user.organisation_id != actor.organisation_id for user in approvers):
        raise DomainError("Approvers must be people in your organisation.", code="bad_approver")
    rule, created = ApprovalRule.objects.update_or_create(
        channel=channel,
        defaults={
            "organisation_id": actor.organisation_id,
            "approvals_required": approvals_required,
            "approver_role": approver_role,
        },
    )
    rule.approvers.set(approvers)
    audit.record(
        actor,
        "publishing.approval_rule",
        channel,
        changes={
            "approvals_required": [None, approvals_required],
            "approver_role": [None, approver_role],
            "approvers": [None, sorted(user.email for user in approvers)],
        },
    )
    return rule


@transaction.atomic
def remove_approval_rule(actor: User, channel: Channel) -> None:
    require(actor, Cap.PUBLISHING_APPROVE)
    _own(actor, channel, "account")
    deleted, _ = ApprovalRule.objects.filter(channel=channel).delete()
    if deleted:
        audit.record(actor, "publishing.approval_rule.remove", channel)


@transaction.atomic
def add_banned_word(
    actor: User, *, word: str, reason: str = "", blocking: bool = True
) -> BannedWord:
    """Add a word or phrase the social media policy forbids (managers and admins)."""
    require(actor, Cap.PUBLISHING_APPROVE)
    word = " ".join(word.split())[:100]
    if not word:
        raise DomainError("Give the word or phrase.", code="word_required")
    if BannedWord.objects.filter(organisation_id=actor.organisation_id, word__iexact=word).exists():
        raise Conflict(f"“{word}” is already on the list.", code="already_banned")
    banned = BannedWord.objects.create(
        organisation_id=actor.organisation_id, word=word, reason=reason.strip()[:300],
        blocking=blocking,
    )  # fmt: skip
    audit.record(actor, "publishing.banned_word.add", banned, changes={"word": [None, word]})
    return banned


@transaction.atomic
def remove_banned_word(actor: User, banned: BannedWord) -> None:
    require(actor, Cap.PUBLISHING_APPROVE)
    _own(actor, banned, "word")
    audit.record(
        actor, "publishing.banned_word.remove", banned, changes={"word": [banned.word, None]}
    )
    banned.delete()


# --- The inbox's public replies ----------------------------------------


def check_reply(actor: User, conversation: Any, text: str, public: bool) -> None:
    """Refuse a public reply with blocking findings (registered on the inbox's outbound checks).

    Private replies are never refused for personal details: a customer's own
    order number or address belongs in a private answer.
    """
    if not public:
        return
    banned = list(
        BannedWord.objects.filter(organisation_id=conversation.organisation_id).values_list(
            "word", "blocking"
        )
    )
    blocking = compliance.blocking(compliance.check_text(text, public=True, banned_words=banned))
    if blocking:
        raise DomainError(
            "This public reply cannot be sent: "
            + compliance.describe(blocking)
            + " Send it privately or change the text.",
            code="compliance_blocked",
            details=[finding.as_dict() for finding in blocking],
        )


# --- Profile look and feel ----------------------------------------

_PROFILE_FIELDS = ("display_name", "bio", "avatar", "header", "links")


@transaction.atomic
def create_profile_version(
    actor: User,
    channel: Channel,
    *,
    display_name: str = "",
    bio: str = "",
    avatar: Asset | uuid.UUID | str | None = None,
    header: Asset | uuid.UUID | str | None = None,
    links: Sequence[Mapping[str, str]] = (),
    note: str = "",
) -> ProfileVersion:
    """Record a new look for an account (not yet applied)."""
    _require_work(actor)
    _own(actor, channel, "account")
    if channel.kind not in PUBLISHING_KINDS:
        raise DomainError("Profiles are kept for social accounts.", code="not_a_social_account")
    images: list[Asset | None] = []
    for value in (avatar, header):
        if value is None or value == "":
            images.append(None)
            continue
        asset = _resolve_assets(actor, [value])[0]
        if asset.kind != AssetKind.IMAGE:
            raise DomainError(f"“{asset.title}” is not an image.", code="not_an_image")
        images.append(asset)
    clean_links = []
    for link in links:
        url = str(link.get("url") or "").strip()
        if not url.startswith(("https://", "http://")):
            raise DomainError("A profile link must start with https://.", code="bad_link")
        clean_links.append({"name": str(link.get("name") or "").strip()[:60], "url": url[:500]})
    if len(display_name) > 100 or len(bio) > 2000:
        raise DomainError("The display name or bio is too long.", code="too_long")
    latest = ProfileVersion.objects.filter(channel=channel).order_by("-number").first()
    version = ProfileVersion.objects.create(
        channel=channel,
        number=(latest.number + 1) if latest else 1,
        display_name=display_name.strip(),
        bio=bio.strip(),
        avatar=images[0],
        header=images[1],
        links=clean_links,
        note=note.strip()[:300],
        created_by=actor,
    )
    audit.record(
        actor,
        "profile.version",
        channel,
        changes={"version": [latest.number if latest else None, version.number]},
    )
    return version


def profile_diff(version: ProfileVersion) -> dict[str, list[Any]]:
    """Return {field: [previous, this]} for what this version changed from the one before it."""
    previous = (
        ProfileVersion.objects.filter(channel_id=version.channel_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )

    def values(v: ProfileVersion | None) -> dict[str, Any]:
        if v is None:
            return {name: None for name in _PROFILE_FIELDS}
        return {
            "display_name": v.display_name,
            "bio": v.bio,
            "avatar": str(v.avatar.public_id) if v.avatar else None,
            "header": str(v.header.public_id) if v.header else None,
            "links": v.links,
        }

    return audit.diff(values(previous), values(version))


def apply_profile_version(
    actor: User, version: ProfileVersion, *, now: dt.datetime | None = None
) -> ProfileVersion:
    """Set the account's look on the platform to this version, through its connector."""
    _require_work(actor)
    channel = version.channel
    _own(actor, channel, "account")
    connector = None
    bio = version.bio
    for link in version.links:
        # The adapters take no profile fields yet, so links go at the end of the bio.
        if link["url"] not in bio:
            bio = f"{bio}\n{link['name'] + ': ' if link['name'] else ''}{link['url']}".strip()
    try:
        connector = registry.build_connector(channel)
        connector.update_profile(
            display_name=version.display_name or None,
            bio=bio,
            avatar=_upload_of(version.avatar),
            header=_upload_of(version.header),
        )
    except (Permanent, AuthRequired, Transient, RateLimited, crypto.SecretUnreadable) as exc:
        ProfileVersion.objects.filter(pk=version.pk).update(apply_error=str(exc)[:500])
        raise DomainError(
            f"The platform did not take the new profile: {exc}", code="platform_refused"
        ) from exc
    finally:
        registry.close(connector)
    ProfileVersion.objects.filter(pk=version.pk).update(
        applied_at=_now(now), apply_error="", updated_at=_now(now)
    )
    version.refresh_from_db()
    audit.record(actor, "profile.apply", channel, changes={"version": [None, version.number]})
    return version


def _upload_of(asset: Asset | None) -> MediaUpload | None:
    if asset is None or not asset.file:
        return None
    with asset.file.open("rb") as handle:
        data = handle.read()
    return MediaUpload(
        data=data,
        mime_type=asset.mime_type or "image/png",
        filename=asset.file.name.rsplit("/", 1)[-1],
        description=asset.alt_text,
    )


# --- Metrics ----------------------------------------


def channels_with_recent_posts(now: dt.datetime | None = None) -> list[int]:
    since = _now(now) - METRICS_WINDOW
    return sorted(
        set(
            PostVariant.objects.filter(
                status=VariantStatus.PUBLISHED,
                published_at__gte=since,
                channel__is_active=True,
                channel__paused_at__isnull=True,
            ).values_list("channel_id", flat=True)
        )
    )


def collect_metrics(channel_id: int, *, now: dt.datetime | None = None) -> int:
    """Sample the account's followers and its recent posts' engagement; return posts sampled."""
    from rapport.publishing.models import AccountMetricSample

    now = _now(now)
    channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        return 0
    variants = dict(
        PostVariant.objects.filter(
            channel_id=channel_id,
            status=VariantStatus.PUBLISHED,
            published_at__gte=now - METRICS_WINDOW,
        )
        .exclude(external_id="")
        .values_list("external_id", "pk")
    )
    connector = None
    try:
        connector = registry.build_connector(channel)
        metrics = connector.metrics(list(variants))
    except Exception as exc:
        logger.warning("metrics of channel %s not collected: %s", channel_id, exc)
        return 0
    finally:
        registry.close(connector)
    with transaction.atomic():
        AccountMetricSample.objects.create(
            channel_id=channel_id,
            collected_at=now,
            followers=metrics.followers,
            following=metrics.following,
            posts_count=metrics.posts_count,
        )
        PostMetricSample.objects.bulk_create(
            [
                PostMetricSample(
                    variant_id=variants[external_id],
                    collected_at=now,
                    favourites=sample.favourites,
                    boosts=sample.boosts,
                    replies=sample.replies,
                    impressions=sample.impressions,
                )
                for external_id, sample in metrics.posts.items()
                if external_id in variants
            ]
        )
    return len(metrics.posts)


__all__ = [
    "VariantInput",
    "add_banned_word",
    "add_to_queue",
    "apply_profile_version",
    "cancel_post",
    "check_post",
    "check_reply",
    "collect_metrics",
    "collect_ugc",
    "create_campaign",
    "create_post",
    "create_profile_version",
    "publish_now",
    "publish_variant",
    "record_ugc_permission",
    "reschedule_post",
    "review_post",
    "schedule_post",
    "set_approval_rule",
    "set_queue_slots",
    "submit_for_review",
    "update_campaign",
    "update_post",
]
