"""Publishing pages: posts and the composer, review queue, calendar, asset library, research,
campaigns. Views load through the read helpers and call one service each."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.channels.models import Channel
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.pages import domain_errors_to_form
from rapport.publishing import assets as asset_lib
from rapport.publishing import calendar as cal
from rapport.publishing import compliance, constraints, research, services
from rapport.publishing.forms import (
    AssetCreateForm,
    AssetDetailsForm,
    AssetPermissionForm,
    CampaignForm,
    DecisionForm,
    EntryForm,
    FactForm,
    PlatformForm,
    ResearchForm,
    ScheduleForm,
    ScoreForm,
)
from rapport.publishing.models import (
    ApprovalRule,
    Asset,
    AssetKind,
    AssetSource,
    BannedWord,
    Campaign,
    CampaignKind,
    EntryKind,
    Post,
    PostMetricSample,
    PostReview,
    PostStatus,
    PostTransition,
    PostVariant,
    ProfileVersion,
    QueueSlot,
    UgcItem,
)

PAGE_SIZE = 25
CAMPAIGN_POSTS_SHOWN = 50
ASSET_PAGE_SIZE = 24


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _view(actor: User) -> None:
    if not actor.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing publishing.")


def _uuid(value: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def _local(actor: User, value: dt.datetime) -> dt.datetime:
    """Read a naive datetime from a form as the organisation's local time."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=actor.organisation.zone)
    return value


# --- Reads for posts and campaigns ----------------------------------------------------------


def _posts(actor: User) -> QuerySet[Post]:
    _view(actor)
    return Post.objects.filter(organisation_id=actor.organisation_id)


def _post(actor: User, post_id: str | uuid.UUID) -> Post:
    found = (
        _posts(actor)
        .select_related("author", "campaign")
        .filter(public_id=_uuid(post_id, "post"))
        .first()
    )
    if found is None:
        raise NotFound("No such post.")
    return found


def _campaigns(actor: User) -> QuerySet[Campaign]:
    _view(actor)
    return Campaign.objects.filter(organisation_id=actor.organisation_id)


def _campaign(actor: User, campaign_id: str | uuid.UUID) -> Campaign:
    found = _campaigns(actor).filter(public_id=_uuid(campaign_id, "campaign")).first()
    if found is None:
        raise NotFound("No such campaign.")
    return found


def _with_variants(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.select_related("author", "campaign").prefetch_related(
        Prefetch("variants", queryset=PostVariant.objects.select_related("channel"))
    )


# --- Posts ----------------------------------------------------------------------------------


@login_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    posts = _posts(actor)
    status = request.GET.get("status", "")
    campaign = request.GET.get("campaign", "")
    account = request.GET.get("account", "")
    query = request.GET.get("q", "").strip()
    if status in PostStatus.values:
        posts = posts.filter(status=status)
    if campaign:
        posts = posts.filter(campaign__public_id=_uuid(campaign, "campaign"))
    if account:
        posts = posts.filter(variants__channel__public_id=_uuid(account, "account")).distinct()
    if request.GET.get("mine"):
        posts = posts.filter(author=actor)
    if query:
        posts = posts.filter(
            Q(title__icontains=query) | Q(variants__text__icontains=query)
        ).distinct()
    page = Paginator(_with_variants(posts.order_by("-updated_at")), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "statuses": PostStatus.choices,
        "campaigns": cal.campaigns_for_filter(actor),
        "accounts": cal.social_accounts(actor),
        "filters": {"status": status, "campaign": campaign, "account": account, "q": query},
        "mine": bool(request.GET.get("mine")),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "counts": dict(_posts(actor).values_list("status").annotate(n=Count("id"))),
    }
    return render(request, "publishing/post_list.html", context)


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    posts = _with_variants(
        _posts(actor).filter(status=PostStatus.IN_REVIEW).order_by("scheduled_at", "updated_at")
    )
    rows = []
    for post in posts[:200]:
        missing = services.approvals_missing(post)
        rows.append({"post": post, "missing": missing, "mine": post.author_id == actor.pk})
    context = {
        "rows": rows,
        "can_approve": actor.can(Cap.PUBLISHING_APPROVE),
        "changes_requested": _with_variants(
            _posts(actor).filter(status=PostStatus.CHANGES_REQUESTED).order_by("-updated_at")
        )[:50],
    }
    return render(request, "publishing/review_queue.html", context)


def _composer_context(
    actor: User, request: HttpRequest, post: Post | None, errors: list[str]
) -> dict[str, Any]:
    accounts = cal.social_accounts(actor)
    data = request.POST if request.method == "POST" else None
    variants = {v.channel_id: v for v in post.variants.all()} if post else {}
    selected: set[str] = set()
    base_text = link = first_comment = ""
    asset_ids: list[str] = []
    if data is not None:
        selected = set(data.getlist("accounts"))
        base_text, link = data.get("text", ""), data.get("link", "")
        first_comment = data.get("first_comment", "")
        asset_ids = data.getlist("assets")
    elif post is not None:
        first = next(iter(variants.values()), None)
        selected = {str(c.public_id) for c in accounts if c.pk in variants}
        if first is not None:
            base_text, link, first_comment = first.text, first.link, first.first_comment
            asset_ids = [str(a.public_id) for a in first.assets.all()]
    elif request.GET.get("account"):
        selected = {request.GET["account"]}
    rows = []
    for account in accounts:
        key = str(account.public_id)
        own = ""
        if data is not None:
            own = data.get(f"text_{key}", "")
        elif account.pk in variants and variants[account.pk].text != base_text:
            own = variants[account.pk].text
        rules = constraints.rules_for(account.kind)
        rows.append(
            {"account": account, "key": key, "own": own, "rules": rules, "on": key in selected}
        )
    chosen_assets = asset_lib.assets_by_ids(actor, asset_ids) if asset_ids else []
    planned = ""
    if data is not None:
        planned = data.get("planned_at", "")
    elif post is not None and post.scheduled_at:
        planned = post.scheduled_at.astimezone(actor.organisation.zone).strftime("%Y-%m-%dT%H:%M")
    elif request.GET.get("date"):
        planned = f"{request.GET['date'][:10]}T10:00"
    campaign = (
        data.get("campaign", "")
        if data is not None
        else (
            str(post.campaign.public_id)
            if post and post.campaign
            else request.GET.get("campaign", "")
        )
    )
    return {
        "post": post,
        "rows": rows,
        "title": data.get("title", "") if data is not None else (post.title if post else ""),
        "text": base_text,
        "link": link,
        "first_comment": first_comment,
        "campaigns": cal.campaigns_for_filter(actor),
        "campaign": campaign,
        "chosen_assets": chosen_assets,
        "library": asset_lib.search_assets(actor, asset_lib.AssetFilters())[:24],
        "planned_at": planned,
        "errors": errors,
    }


def _variant_inputs(request: HttpRequest, accounts: list[Channel]) -> list[services.VariantInput]:
    chosen = set(request.POST.getlist("accounts"))
    base = request.POST.get("text", "")
    inputs = []
    for account in accounts:
        key = str(account.public_id)
        if key not in chosen:
            continue
        own = request.POST.get(f"text_{key}", "").strip()
        inputs.append(
            services.VariantInput(
                channel=account.public_id,
                text=own or base,
                link=request.POST.get("link", "").strip(),
                first_comment=request.POST.get("first_comment", "").strip(),
                asset_ids=tuple(request.POST.getlist("assets")),
            )
        )
    return inputs


def _planned(actor: User, request: HttpRequest) -> dt.datetime | None:
    raw = request.POST.get("planned_at", "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise DomainError("The planned time is not a date and time.", code="invalid_date")
    return _local(actor, parsed)


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest, post_id: str | None = None) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    post = _post(actor, post_id) if post_id else None
    errors: list[str] = []
    if request.method == "POST":
        accounts = cal.social_accounts(actor)
        try:
            post = _save_composed(actor, request, post, accounts)
        except (NotAllowed, NotFound):
            raise
        except DomainError as exc:
            errors.append(exc.message)
        else:
            return redirect("publishing:post_detail", post.public_id)
    context = _composer_context(actor, request, post, errors)
    return render(request, "publishing/compose.html", context, status=400 if errors else 200)


def _save_composed(
    actor: User, request: HttpRequest, post: Post | None, accounts: list[Channel]
) -> Post:
    inputs = _variant_inputs(request, accounts)
    if not inputs:
        raise DomainError("Choose at least one account.", code="no_accounts")
    campaign = request.POST.get("campaign") or None
    title = request.POST.get("title", "")
    planned = _planned(actor, request)
    with transaction.atomic():
        if post is None:
            post = services.create_post(
                actor, title=title, campaign=campaign, variants=inputs, scheduled_at=planned
            )
            messages.success(request, "Draft saved.")
        else:
            post = services.update_post(
                actor, post, title=title, campaign=campaign, variants=inputs
            )
            if planned is not None and planned != post.scheduled_at:
                post = services.reschedule_post(actor, post, at=planned)
            messages.success(request, "Post saved.")
        if request.POST.get("action") == "submit":
            post = services.submit_for_review(actor, post, note=request.POST.get("note", ""))
            messages.success(request, "Sent for review.")
    return post


@login_required
@require_POST
def compose_check(request: HttpRequest) -> HttpResponse:
    """Return live per-account checks and previews for the composer (htmx)."""
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    accounts = cal.social_accounts(actor)
    inputs = _variant_inputs(request, accounts)
    by_key = {str(a.public_id): a for a in accounts}
    assets = asset_lib.assets_by_ids(actor, request.POST.getlist("assets"))
    media_kinds = [
        a.kind for a in assets if a.kind in (AssetKind.IMAGE, AssetKind.VIDEO, AssetKind.AUDIO)
    ]
    banned = list(
        BannedWord.objects.filter(organisation_id=actor.organisation_id).values_list(
            "word", "blocking"
        )
    )
    today = timezone.localdate()
    asset_notes = _asset_notes(assets, today)
    checks = []
    for item in inputs:
        account = by_key[str(item.channel)]
        rules = constraints.rules_for(account.kind)
        public = constraints.published_text(item.text, item.link)
        findings = constraints.check_variant(
            account.kind,
            text=item.text,
            link=item.link,
            media_kinds=media_kinds,
            first_comment=item.first_comment,
        )
        for text in (public, item.first_comment):
            if text.strip():
                findings += compliance.check_text(text, public=True, banned_words=banned)
        findings = list(dict.fromkeys(findings))
        checks.append(
            {
                "account": account,
                "rules": rules,
                "used": constraints.length(account.kind, public),
                "over": constraints.length(account.kind, public) > rules.max_length,
                "findings": findings,
                "blocking": any(f.blocking for f in findings),
                "preview": public,
                "first_comment": item.first_comment if rules.first_comment else "",
                "assets": assets,
            }
        )
    context = {"checks": checks, "asset_notes": asset_notes}
    return render(request, "publishing/_checks.html", context)


def _asset_notes(assets: list[Asset], today: dt.date) -> list[str]:
    notes = []
    for asset in assets:
        if (
            asset.source in (AssetSource.LICENSED, AssetSource.CREATIVE_COMMONS)
            and not asset.licence
        ):
            notes.append(f"“{asset.title}” has no licence recorded.")
        if asset.licence_expired(today):
            notes.append(f"“{asset.title}”: its licence expired on {asset.licence_expires_on}.")
        if asset.source == AssetSource.UGC and not asset.permission_granted_on:
            notes.append(f"“{asset.title}”: the creator's permission is not recorded.")
        if asset.attribution_required:
            notes.append(
                f"“{asset.title}” needs its attribution in the text: {asset.attribution_text}"
            )
    return notes


@login_required
@require_GET
def post_detail(request: HttpRequest, post_id: str) -> HttpResponse:
    actor = _user(request)
    post = _post(actor, post_id)
    variants = list(post.variants.select_related("channel").prefetch_related("assets"))
    findings = services.check_post(post)
    by_channel: dict[int | None, list[compliance.Finding]] = {}
    for finding in findings:
        by_channel.setdefault(finding.channel_id, []).append(finding)
    for variant in variants:
        variant.findings = by_channel.get(variant.channel_id, [])  # type: ignore[attr-defined]
        variant.preview = constraints.published_text(variant.text, variant.link)  # type: ignore[attr-defined]
    metrics = {
        s.variant_id: s
        for s in PostMetricSample.objects.filter(variant__post=post).order_by(
            "variant_id", "collected_at"
        )
    }
    is_author = post.author_id == actor.pk
    can_work = actor.can(Cap.PUBLISHING_WORK)
    context = {
        "post": post,
        "variants": variants,
        "general_findings": by_channel.get(None, []),
        "blocking": [f for f in findings if f.blocking],
        "transitions": PostTransition.objects.filter(post=post).select_related("actor"),
        "reviews": PostReview.objects.filter(post=post).select_related("reviewer"),
        "missing": services.approvals_missing(post) if post.status == PostStatus.IN_REVIEW else [],
        "metrics": metrics,
        "can_work": can_work,
        "can_approve": actor.can(Cap.PUBLISHING_APPROVE),
        "can_override": actor.can(Cap.COMPLIANCE_OVERRIDE),
        "is_author": is_author,
        "editable": can_work and post.status in services.EDITABLE,
        "schedule_form": ScheduleForm(
            initial={
                "at": post.scheduled_at.astimezone(actor.organisation.zone)
                if post.scheduled_at
                else None
            }
        ),
        "now": timezone.now(),
    }
    return render(request, "publishing/post_detail.html", context)


def _post_action(
    request: HttpRequest, post_id: str, action: Callable[[User, Post], Any], done: str
) -> HttpResponse:
    actor = _user(request)
    post = _post(actor, post_id)
    try:
        action(actor, post)
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("publishing:post_detail", post.public_id)


@login_required
@require_POST
def post_submit(request: HttpRequest, post_id: str) -> HttpResponse:
    note = request.POST.get("note", "")
    return _post_action(
        request,
        post_id,
        lambda actor, post: services.submit_for_review(actor, post, note=note),
        "Sent for review; the approvers were notified.",
    )


@login_required
@require_POST
def post_review(request: HttpRequest, post_id: str) -> HttpResponse:
    _post(_user(request), post_id)  # an unknown or foreign post is a 404 before anything else
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    labels = {
        "approve": "Approved.",
        "request_changes": "Changes requested; the author was notified.",
        "comment": "Comment added.",
    }
    if decision not in labels:
        messages.error(request, "Choose approve, request changes or comment.")
        return redirect("publishing:post_detail", post_id)
    return _post_action(
        request,
        post_id,
        lambda actor, post: services.review_post(actor, post, decision=decision, note=note),
        labels[decision],
    )


@login_required
@require_POST
def post_schedule(request: HttpRequest, post_id: str) -> HttpResponse:
    actor = _user(request)
    _post(actor, post_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date and time to publish at.")
        return redirect("publishing:post_detail", post_id)
    at = _local(actor, form.cleaned_data["at"])
    reason = form.cleaned_data["override_reason"].strip() or None
    return _post_action(
        request,
        post_id,
        lambda a, post: services.schedule_post(a, post, at=at, override_reason=reason),
        f"Scheduled for {at:%Y-%m-%d %H:%M}.",
    )


@login_required
@require_POST
def post_publish_now(request: HttpRequest, post_id: str) -> HttpResponse:
    reason = request.POST.get("override_reason", "").strip() or None
    return _post_action(
        request,
        post_id,
        lambda actor, post: services.publish_now(actor, post, override_reason=reason),
        "Publishing now; the page shows each account's result as it lands.",
    )


@login_required
@require_POST
def post_cancel(request: HttpRequest, post_id: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _post_action(
        request,
        post_id,
        lambda actor, post: services.cancel_post(actor, post, reason=reason),
        "Post cancelled.",
    )


# --- Calendar -------------------------------------------------------------------------------


# FullCalendar injects its own stylesheet and icon font at run time; this page alone lets it,
# with a per-response nonce for the style element and data: fonts.
@csp_update({"style-src": [NONCE], "font-src": ["data:"]})
@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    _view(actor)
    token = cal.active_feed_token(actor)
    context = {
        "campaigns": cal.campaigns_for_filter(actor),
        "accounts": cal.social_accounts(actor),
        "kinds": EntryKind.choices,
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "feed_token": token,
        "feed_url": request.session.pop("calendar_feed_url", ""),
        "time_zone": str(actor.organisation.zone),
        "entry_form": EntryForm(
            campaigns=cal.campaigns_for_filter(actor), channels=cal.social_accounts(actor)
        ),
    }
    return render(request, "publishing/calendar.html", context)


def _range(request: HttpRequest) -> tuple[dt.datetime, dt.datetime]:
    def read(name: str) -> dt.datetime | None:
        raw = request.GET.get(name, "")
        value = parse_datetime(raw) if "T" in raw else None
        if value is None and raw:
            day = parse_date(raw[:10])
            value = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None
        if value is not None and timezone.is_naive(value):
            value = value.replace(tzinfo=dt.UTC)
        return value

    try:
        start, end = read("start"), read("end")
    except ValueError:
        start = end = None
    if start is None or end is None or end <= start or end - start > dt.timedelta(days=120):
        raise DomainError("Give a start and end no more than 120 days apart.", code="invalid_range")
    return start, end


@login_required
@require_GET
def calendar_events(request: HttpRequest) -> JsonResponse:
    """Return entries and posts in a range as FullCalendar events."""
    actor = _user(request)
    try:
        start, end = _range(request)
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    filters = cal.CalendarFilters(
        campaign=request.GET.get("campaign", ""),
        channel=request.GET.get("account", ""),
        kind=request.GET.get("kind", ""),
        colour_by=request.GET.get("colour_by", "campaign"),
    )
    zone = actor.organisation.zone
    items = cal.calendar_items(actor, start=start, end=end, filters=filters)
    return JsonResponse([cal.as_widget_event(item, zone) for item in items], safe=False)


@login_required
@require_POST
def calendar_move(request: HttpRequest) -> JsonResponse:
    """Move an entry or a post after a drag on the calendar; answer JSON."""
    actor = _user(request)
    try:
        body = json.loads(request.body or b"{}")
        kind, public_id = str(body["type"]), str(body["id"])
        start = _parse_moment(actor, str(body["start"]))
        end = _parse_moment(actor, str(body["end"])) if body.get("end") else None
        all_day = bool(body.get("allDay"))
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"code": "invalid", "message": "A move needs type, id and start."}, status=400
        )
    try:
        if kind == "entry":
            entry = cal.get_entry_for_user(actor, public_id)
            cal.move_entry(actor, entry, starts_at=start, ends_at=end, all_day=all_day)
            message = f"“{entry.title}” moved."
        elif kind == "post":
            if all_day:
                raise DomainError("Drop a post on a time, in the week view.", code="invalid")
            post = _post(actor, public_id)
            cal.move_post(actor, post, at=start)
            message = f"Post moved to {start.astimezone(actor.organisation.zone):%a %d %b %H:%M}."
        else:
            raise DomainError("Unknown calendar item.", code="invalid")
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    return JsonResponse({"ok": True, "message": message})


def _parse_moment(actor: User, raw: str) -> dt.datetime:
    if "T" not in raw:
        day = parse_date(raw)
        if day is None:
            raise ValueError(raw)
        return dt.datetime.combine(day, dt.time.min, tzinfo=actor.organisation.zone)
    value = parse_datetime(raw)
    if value is None:
        raise ValueError(raw)
    return _local(actor, value)


def _entry_args(actor: User, form: EntryForm) -> dict[str, Any]:
    data = form.cleaned_data
    campaign = _campaign(actor, data["campaign"]) if data.get("campaign") else None
    channel = None
    if data.get("channel"):
        channel = next(
            (c for c in cal.social_accounts(actor) if str(c.public_id) == data["channel"]), None
        )
        if channel is None:
            raise NotFound("No such account.")
    if data["all_day"]:
        start: Any = data["starts_on"]
        end: Any = (data["ends_on"] + dt.timedelta(days=1)) if data.get("ends_on") else None
    else:
        start = _local(actor, data["starts_at"])
        end = _local(actor, data["ends_at"]) if data.get("ends_at") else None
    colour = data.get("colour") or ""
    if colour.lower() == "#000000":  # an untouched colour input
        colour = ""
    return {
        "kind": data["kind"],
        "title": data["title"],
        "starts_at": start,
        "ends_at": end,
        "all_day": data["all_day"],
        "notes": data.get("notes", ""),
        "campaign": campaign,
        "channel": channel,
        "colour": colour,
    }


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    lists = {"campaigns": cal.campaigns_for_filter(actor), "channels": cal.social_accounts(actor)}
    initial = {
        "starts_on": request.GET.get("date", "")[:10] or None,
        "all_day": True,
        "campaign": request.GET.get("campaign", ""),
    }
    form = EntryForm(request.POST or None, initial=initial, **lists)
    if request.method == "POST" and form.is_valid():
        with domain_errors_to_form(form):
            entry = cal.create_entry(actor, **_entry_args(actor, form))
            messages.success(request, f"“{entry.title}” is on the calendar.")
            return redirect(reverse("publishing:calendar") + f"?date={entry.starts_at.date()}")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "publishing/entry_form.html", {"form": form, "entry": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_detail(request: HttpRequest, entry_id: str) -> HttpResponse:
    actor = _user(request)
    entry = cal.get_entry_for_user(actor, entry_id)
    lists = {"campaigns": cal.campaigns_for_filter(actor), "channels": cal.social_accounts(actor)}
    zone = actor.organisation.zone
    local_start = entry.starts_at.astimezone(zone)
    last_day = (
        (entry.ends_at.astimezone(zone) - dt.timedelta(days=1)).date() if entry.ends_at else None
    )
    initial = {
        "kind": entry.kind,
        "title": entry.title,
        "all_day": entry.all_day,
        "starts_on": local_start.date(),
        "ends_on": last_day if entry.all_day else None,
        "starts_at": local_start.replace(tzinfo=None),
        "ends_at": entry.ends_at.astimezone(zone).replace(tzinfo=None) if entry.ends_at else None,
        "campaign": str(entry.campaign.public_id) if entry.campaign else "",
        "channel": str(entry.channel.public_id) if entry.channel else "",
        "colour": entry.colour or "#000000",
        "notes": entry.notes,
    }
    form = EntryForm(request.POST or None, initial=initial, **lists)
    if request.method == "POST":
        require(actor, Cap.PUBLISHING_WORK)
        if form.is_valid():
            with domain_errors_to_form(form):
                cal.update_entry(actor, entry, **_entry_args(actor, form))
                messages.success(request, "Entry saved.")
                return redirect("publishing:entry_detail", entry.public_id)
    context = {"form": form, "entry": entry, "can_work": actor.can(Cap.PUBLISHING_WORK)}
    return render(
        request, "publishing/entry_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def entry_delete(request: HttpRequest, entry_id: str) -> HttpResponse:
    actor = _user(request)
    entry = cal.get_entry_for_user(actor, entry_id)
    cal.delete_entry(actor, entry)
    messages.success(request, f"“{entry.title}” removed from the calendar.")
    return redirect("publishing:calendar")


@login_required
@require_POST
def feed_token(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    if request.POST.get("action") == "revoke":
        cal.revoke_feed_tokens(actor)
        messages.success(request, "Your calendar feed address no longer works.")
    else:
        _, raw = cal.create_feed_token(actor)
        url = request.build_absolute_uri(reverse("publishing:calendar_feed", args=[raw]))
        request.session["calendar_feed_url"] = url
        messages.success(request, "New feed address made; the old one (if any) stopped working.")
    return redirect(reverse("publishing:calendar") + "#feed")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the iCalendar feed to a calendar app, authenticated by the secret in the URL."""
    try:
        user = cal.user_for_feed_token(token)
    except NotFound:
        raise Http404("No such calendar feed.") from None
    body = cal.ical_feed(user, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rapport-calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Asset library --------------------------------------------------------------------------


def _asset_filters(request: HttpRequest) -> asset_lib.AssetFilters:
    get = request.GET
    kind = get.get("kind", "")
    source = get.get("source", "")
    expiry = get.get("expiry", "")
    return asset_lib.AssetFilters(
        q=get.get("q", "")[:200],
        tag=get.get("tag", "")[:40],
        kind=kind if kind in AssetKind.values else "",
        source=source if source in AssetSource.values else "",
        licence=get.get("licence", "")[:200],
        expiry=expiry if expiry in ("expired", "expiring", "valid") else "",
        archived=get.get("archived") == "1",
    )


@login_required
@require_GET
def asset_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    filters = _asset_filters(request)
    found = asset_lib.search_assets(actor, filters)
    page = Paginator(found, ASSET_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for asset in page.object_list:
        asset.licence_state = asset_lib.licence_status(asset, on=today)
    context = {
        "page": page,
        "filters": filters,
        "kinds": AssetKind.choices,
        "sources": AssetSource.choices,
        "tags": asset_lib.tags_in_use(actor),
        "licences": asset_lib.licences_in_use(actor),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "form": AssetCreateForm(),
        "limits": [
            (label, asset_lib.MAX_BYTES[k] // asset_lib.MB)
            for k, label in AssetKind.choices
            if k in asset_lib.MAX_BYTES
        ],
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.GET.get("picker"):  # type: ignore[attr-defined]
        return render(request, "publishing/_asset_picker.html", context)
    return render(request, "publishing/asset_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    form = AssetCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = {
            k: data[k] for k in asset_lib.EDITABLE_FIELDS if k in data and k not in ("url", "body")
        }
        with domain_errors_to_form(form):
            asset = asset_lib.create_asset(
                actor,
                upload=data.get("file"),
                url=data.get("url") or "",
                body=data.get("body") or "",
                kind=(data.get("link_kind") or "") if data.get("url") else "",
                **details,
            )
            messages.success(request, f"“{asset.title}” added to the library.")
            return redirect("publishing:asset_detail", asset.public_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "limits": _limits()}
    return render(request, "publishing/asset_create.html", context, status=status)


def _limits() -> list[tuple[str, int]]:
    return [
        (label, asset_lib.MAX_BYTES[k] // asset_lib.MB)
        for k, label in AssetKind.choices
        if k in asset_lib.MAX_BYTES
    ]


@login_required
@require_http_methods(["GET", "POST"])
def asset_detail(request: HttpRequest, asset_id: str) -> HttpResponse:
    actor = _user(request)
    asset = asset_lib.get_asset_for_user(actor, asset_id)
    initial = {name: getattr(asset, name) for name in AssetDetailsForm.base_fields}
    initial["tags"] = ", ".join(asset.tags or [])
    form = AssetDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(actor, Cap.PUBLISHING_WORK)
        if form.is_valid():
            with domain_errors_to_form(form):
                asset_lib.update_asset(actor, asset, **form.cleaned_data)
                messages.success(request, "Asset saved.")
                return redirect("publishing:asset_detail", asset.public_id)
    context = {
        "asset": asset,
        "form": form,
        "usage": asset_lib.asset_usage(asset),
        "licence_state": asset_lib.licence_status(asset),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "permission_form": AssetPermissionForm(
            initial={"creator_handle": asset.creator_handle, "granted_on": timezone.localdate()}
        ),
    }
    return render(
        request, "publishing/asset_detail.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def asset_archive(request: HttpRequest, asset_id: str) -> HttpResponse:
    actor = _user(request)
    asset = asset_lib.get_asset_for_user(actor, asset_id)
    restore = request.POST.get("restore") == "1"
    asset_lib.archive_asset(actor, asset, archived=not restore)
    messages.success(request, f"“{asset.title}” {'restored' if restore else 'archived'}.")
    return redirect("publishing:asset_detail", asset.public_id)


@login_required
@require_POST
def asset_permission(request: HttpRequest, asset_id: str) -> HttpResponse:
    actor = _user(request)
    asset = asset_lib.get_asset_for_user(actor, asset_id)
    form = AssetPermissionForm(request.POST)
    if form.is_valid():
        try:
            asset_lib.record_permission(
                actor,
                asset,
                creator_handle=form.cleaned_data["creator_handle"],
                granted_on=form.cleaned_data["granted_on"],
            )
            messages.success(request, "Permission recorded.")
        except (NotAllowed, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Give the creator's handle and the date they agreed.")
    return redirect("publishing:asset_detail", asset.public_id)


def _serve(asset: Asset, which: str) -> HttpResponseBase:
    stored = asset.thumbnail if which == "thumbnail" else asset.file
    if not stored:
        raise NotFound("This asset has no file.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise NotFound("The file is missing from storage.") from None
    inline = which == "thumbnail" or asset.kind == AssetKind.IMAGE
    content_type = (
        "image/webp" if which == "thumbnail" else (asset.mime_type or "application/octet-stream")
    )
    name = f"{asset.title[:60] or 'asset'}{_suffix(stored.name)}"
    response = FileResponse(
        handle, as_attachment=not inline, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _suffix(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


@login_required
@require_GET
def asset_file(request: HttpRequest, asset_id: str) -> HttpResponseBase:
    return _serve(asset_lib.get_asset_for_user(_user(request), asset_id), "file")


@login_required
@require_GET
def asset_thumbnail(request: HttpRequest, asset_id: str) -> HttpResponseBase:
    return _serve(asset_lib.get_asset_for_user(_user(request), asset_id), "thumbnail")


# --- Platform research ----------------------------------------------------------------------


@login_required
@require_GET
def research_home(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    profiles = list(research.profiles_visible_to(actor))
    records = list(
        research.research_visible_to(actor).annotate(
            scored=Count("scores", distinct=True), decided=Count("decisions", distinct=True)
        )
    )
    context = {
        "profiles": profiles,
        "records": records,
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "form": ResearchForm(),
        "about": research.seed_data()["about"],
    }
    return render(request, "publishing/research_home.html", context)


@login_required
@require_POST
def research_load(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    added = research.load_starting_set(actor.organisation, actor=actor)
    if added:
        messages.success(request, f"Starting set loaded: {added} dated facts to verify.")
    else:
        messages.info(request, "Everything in the starting set is already here.")
    return redirect("publishing:research")


@login_required
@require_GET
def research_compare(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    profiles = list(research.profiles_visible_to(actor))
    wanted = request.GET.getlist("p")
    shown = [p for p in profiles if p.slug in wanted] if wanted else profiles
    context = {
        "profiles": profiles,
        "shown": shown,
        "wanted": wanted,
        "rows": research.comparison(shown),
        "stale_before": timezone.localdate() - dt.timedelta(days=365),
    }
    return render(request, "publishing/research_compare.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def platform_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _user(request)
    profile = research.get_profile_for_user(actor, slug)
    form = PlatformForm(
        request.POST or None,
        initial={"name": profile.name, "summary": profile.summary, "website": profile.website},
    )
    if request.method == "POST":
        require(actor, Cap.PUBLISHING_WORK)
        if form.is_valid():
            with domain_errors_to_form(form):
                research.update_profile(actor, profile, **form.cleaned_data)
                messages.success(request, "Platform saved.")
                return redirect("publishing:platform_detail", profile.slug)
    context = {
        "profile": profile,
        "form": form,
        "fact_form": FactForm(initial={"as_of": timezone.localdate()}),
        "rows": research.comparison([profile]),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
    }
    return render(request, "publishing/platform_detail.html", context)


@login_required
@require_POST
def fact_add(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _user(request)
    profile = research.get_profile_for_user(actor, slug)
    form = FactForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "A fact needs its aspect and statement; a source URL must be a URL."
        )
    else:
        _domain_message(
            request, lambda: research.add_fact(actor, profile, **form.cleaned_data), "Fact added."
        )
    return redirect(reverse("publishing:platform_detail", args=[profile.slug]) + "#facts")


@login_required
@require_http_methods(["GET", "POST"])
def fact_edit(request: HttpRequest, fact_id: str) -> HttpResponse:
    actor = _user(request)
    fact = research.get_fact_for_user(actor, fact_id)
    form = FactForm(
        request.POST or None,
        initial={
            k: getattr(fact, k) for k in ("aspect", "text", "source_name", "source_url", "as_of")
        },
    )
    if request.method == "POST":
        require(actor, Cap.PUBLISHING_WORK)
        if request.POST.get("delete") == "1":
            research.delete_fact(actor, fact)
            messages.success(request, "Fact removed.")
            return redirect("publishing:platform_detail", fact.platform.slug)
        if form.is_valid():
            with domain_errors_to_form(form):
                research.update_fact(actor, fact, **form.cleaned_data)
                messages.success(request, "Fact saved.")
                return redirect(
                    reverse("publishing:platform_detail", args=[fact.platform.slug]) + "#facts"
                )
    return render(request, "publishing/fact_form.html", {"form": form, "fact": fact})


@login_required
@require_POST
def research_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    form = ResearchForm(request.POST)
    if form.is_valid():
        with domain_errors_to_form(form):
            record = research.create_research(actor, **form.cleaned_data)
            return redirect("publishing:research_detail", record.public_id)
    messages.error(request, "Research needs a title, the brand and the target customer.")
    return redirect("publishing:research")


@login_required
@require_http_methods(["GET", "POST"])
def research_detail(request: HttpRequest, research_id: str) -> HttpResponse:
    actor = _user(request)
    record = research.get_research_for_user(actor, research_id)
    form = ResearchForm(
        request.POST or None,
        initial={
            "title": record.title,
            "brand": record.brand,
            "target_customer": record.target_customer,
        },
    )
    if request.method == "POST":
        require(actor, Cap.PUBLISHING_WORK)
        if form.is_valid():
            with domain_errors_to_form(form):
                research.update_research(actor, record, **form.cleaned_data)
                messages.success(request, "Research saved.")
                return redirect("publishing:research_detail", record.public_id)
    rows = research.standings(record)
    context = {
        "record": record,
        "form": form,
        "rows": rows,
        "scored": sum(1 for r in rows if r.score),
        "minimum": research.MIN_PLATFORMS_SCORED,
        "criteria": research.CRITERIA_LABELS,
        "scores": range(1, 6),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
    }
    return render(request, "publishing/research_detail.html", context)


def _domain_message(request: HttpRequest, call: Callable[[], Any], done: str) -> bool:
    try:
        call()
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


@login_required
@require_POST
def research_score(request: HttpRequest, research_id: str) -> HttpResponse:
    actor = _user(request)
    record = research.get_research_for_user(actor, research_id)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Score each criterion from 1 to 5.")
    else:
        data = dict(form.cleaned_data)
        platform = research.get_profile_for_user(actor, data.pop("platform"))
        _domain_message(
            request,
            lambda: research.score_platform(actor, record, platform, **data),
            f"{platform.name} scored.",
        )
    return redirect(reverse("publishing:research_detail", args=[record.public_id]) + "#scores")


@login_required
@require_POST
def research_decide(request: HttpRequest, research_id: str) -> HttpResponse:
    actor = _user(request)
    record = research.get_research_for_user(actor, research_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose use or not, and say why.")
    else:
        platform = research.get_profile_for_user(actor, form.cleaned_data["platform"])
        selected = form.cleaned_data["selected"]
        _domain_message(
            request,
            lambda: research.decide(
                actor, record, platform, selected=selected, reason=form.cleaned_data["reason"]
            ),
            f"{platform.name}: {'selected' if selected else 'not selected'}; reason recorded.",
        )
    return redirect(reverse("publishing:research_detail", args=[record.public_id]) + "#scores")


# --- Campaigns ------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    show_archived = request.GET.get("archived") == "1"
    campaigns = (
        _campaigns(actor)
        .filter(archived=show_archived)
        .annotate(
            post_count=Count("posts", distinct=True),
            published_count=Count(
                "posts", filter=Q(posts__status=PostStatus.PUBLISHED), distinct=True
            ),
            entry_count=Count("entries", distinct=True),
        )
        .select_related("owner")
        .order_by("-starts_on", "name")
    )
    context = {
        "campaigns": campaigns,
        "today": timezone.localdate(),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "show_archived": show_archived,
    }
    return render(request, "publishing/campaign_list.html", context)


def _campaign_args(form: CampaignForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["goal_target"] = data.get("goal_target")
    return data


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    form = CampaignForm(
        request.POST or None, initial={"colour": "#4f6bed", "kind": CampaignKind.PROMOTION}
    )
    if request.method == "POST" and form.is_valid():
        with domain_errors_to_form(form):
            campaign = services.create_campaign(actor, **_campaign_args(form))
            messages.success(request, f"Campaign “{campaign.name}” started.")
            return redirect("publishing:campaign_detail", campaign.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "publishing/campaign_form.html", {"form": form, "campaign": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: str) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.PUBLISHING_WORK)
    campaign = _campaign(actor, campaign_id)
    initial = {name: getattr(campaign, name) for name in CampaignForm.base_fields}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("archive") in ("0", "1"):
            archived = request.POST["archive"] == "1"
            services.update_campaign(actor, campaign, archived=archived)
            messages.success(request, "Campaign archived." if archived else "Campaign restored.")
            return redirect("publishing:campaign_detail", campaign.public_id)
        if form.is_valid():
            with domain_errors_to_form(form):
                services.update_campaign(actor, campaign, **_campaign_args(form))
                messages.success(request, "Campaign saved.")
                return redirect("publishing:campaign_detail", campaign.public_id)
    context = {"form": form, "campaign": campaign}
    return render(
        request, "publishing/campaign_form.html", context, status=400 if form.errors else 200
    )


def _goal_progress(
    campaign: Campaign, posts: QuerySet[Post], ugc_count: int
) -> dict[str, Any] | None:
    if not campaign.goal_metric or not campaign.goal_target:
        return None
    if campaign.goal_metric == "posts":
        value: float = posts.filter(status=PostStatus.PUBLISHED).count()
    elif campaign.goal_metric == "ugc_items":
        value = ugc_count
    elif campaign.goal_metric == "engagement":
        value = _engagement(campaign)
    else:
        return None
    percent = min(100, round(100 * value / campaign.goal_target)) if campaign.goal_target else 0
    return {
        "value": value,
        "target": campaign.goal_target,
        "percent": percent,
        "metric": campaign.goal_metric,
    }


def _engagement(campaign: Campaign) -> int:
    """Sum the latest sample of each published variant in the campaign."""
    latest: dict[int, PostMetricSample] = {}
    samples = PostMetricSample.objects.filter(variant__post__campaign=campaign).order_by(
        "variant_id", "collected_at"
    )
    for sample in samples:
        latest[sample.variant_id] = sample
    return sum(s.engagement for s in latest.values())


@login_required
@require_GET
def campaign_detail(request: HttpRequest, campaign_id: str) -> HttpResponse:
    actor = _user(request)
    campaign = _campaign(actor, campaign_id)
    all_posts = Post.objects.filter(campaign=campaign)
    posts = list(_with_variants(all_posts).order_by("-created_at")[:CAMPAIGN_POSTS_SHOWN])
    entries = list(campaign.entries.select_related("channel").order_by("starts_at")[:200])
    ugc = list(
        UgcItem.objects.filter(campaign=campaign)
        .select_related("asset")
        .order_by("-posted_at")[:120]
    )
    context = {
        "campaign": campaign,
        "posts": posts,
        "entries": entries,
        "ugc": ugc,
        "post_count": all_posts.count(),
        "shown": CAMPAIGN_POSTS_SHOWN,
        "progress": _goal_progress(campaign, all_posts, len(ugc)),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
        "today": timezone.localdate(),
    }
    return render(request, "publishing/campaign_detail.html", context)


@login_required
@require_POST
def ugc_permission(request: HttpRequest, campaign_id: str, item_id: str) -> HttpResponse:
    actor = _user(request)
    campaign = _campaign(actor, campaign_id)
    item = UgcItem.objects.filter(campaign=campaign, public_id=_uuid(item_id, "item")).first()
    if item is None:
        raise NotFound("No such item.")
    granted = parse_date(request.POST.get("granted_on", "")) or timezone.localdate()
    _domain_message(
        request,
        lambda: services.record_ugc_permission(
            actor, item, granted_on=granted, note=request.POST.get("note", "")
        ),
        f"Permission from @{item.author_handle.lstrip('@')} recorded; the post is in the library.",
    )
    return redirect(reverse("publishing:campaign_detail", args=[campaign.public_id]) + "#ugc")


# --- Profile versions -----------------------------------------------------------------------


@login_required
@require_GET
def profile_versions(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    _view(actor)
    account = next(
        (c for c in cal.social_accounts(actor) if str(c.public_id) == str(channel_id)), None
    )
    if account is None:
        raise NotFound("No such account.")
    versions = list(
        ProfileVersion.objects.filter(channel=account)
        .select_related("created_by", "avatar", "header")
        .order_by("-number")
    )
    for version in versions:
        version.changes = services.profile_diff(version)  # type: ignore[attr-defined]
    latest = versions[0] if versions else None
    context = {
        "account": account,
        "versions": versions,
        "latest": latest,
        "links_text": "\n".join(
            f"{link.get('name', '')} {link.get('url', '')}".strip() for link in latest.links
        )
        if latest
        else "",
        "images": asset_lib.search_assets(actor, asset_lib.AssetFilters(kind=AssetKind.IMAGE))[
            :100
        ],
        "can_work": actor.can(Cap.PUBLISHING_WORK),
    }
    return render(request, "publishing/profile_versions.html", context)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    _view(_user(request))
    return redirect("publishing:calendar")


# --- Publishing settings: approval rules, best times, banned words ---------------------------

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _social_account(actor: User, channel_id: str) -> Channel:
    wanted = str(_uuid(channel_id, "account"))
    found = next((c for c in cal.social_accounts(actor) if str(c.public_id) == wanted), None)
    if found is None:
        raise NotFound("No such account.")
    return found


def parse_slots(text: str) -> list[tuple[int, dt.time]]:
    """Read best times written as "Mon 09:00, Wed 12:30" (commas or new lines)."""
    slots = []
    for part in text.replace("\n", ",").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2 or words[0][:3].title() not in WEEKDAYS:
            raise DomainError(f"“{part.strip()}” is not a day and a time, like “Mon 09:00”.")
        try:
            at = dt.time.fromisoformat(words[1].zfill(5))
        except ValueError:
            raise DomainError(f"“{words[1]}” is not a time like 09:00.") from None
        slots.append((WEEKDAYS.index(words[0][:3].title()), at))
    return slots


@login_required
@require_GET
def publishing_settings(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    _view(actor)
    accounts = cal.social_accounts(actor)
    rules = {
        r.channel_id: r
        for r in ApprovalRule.objects.filter(channel__in=accounts).prefetch_related("approvers")
    }
    slots: dict[int, list[str]] = {}
    for slot in QueueSlot.objects.filter(channel__in=accounts).order_by("weekday", "time"):
        slots.setdefault(slot.channel_id, []).append(f"{WEEKDAYS[slot.weekday]} {slot.time:%H:%M}")
    rows = [
        {"account": a, "rule": rules.get(a.pk), "slots": ", ".join(slots.get(a.pk, []))}
        for a in accounts
    ]
    context = {
        "rows": rows,
        "banned": BannedWord.objects.filter(organisation_id=actor.organisation_id),
        "people": User.objects.filter(
            organisation_id=actor.organisation_id, is_active=True, role__in=["admin", "manager"]
        ).order_by("full_name"),
        "roles": [("", "Any manager or admin"), ("manager", "A manager"), ("admin", "An admin")],
        "can_approve": actor.can(Cap.PUBLISHING_APPROVE),
        "can_work": actor.can(Cap.PUBLISHING_WORK),
    }
    return render(request, "publishing/settings.html", context)


@login_required
@require_POST
def account_rule(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    account = _social_account(actor, channel_id)
    if request.POST.get("remove") == "1":
        _domain_message(
            request,
            lambda: services.remove_approval_rule(actor, account),
            f"Posts to {account.name} no longer need approval.",
        )
    else:
        try:
            required = int(request.POST.get("approvals_required", "1"))
        except ValueError:
            required = 0
        wanted = request.POST.getlist("approvers")
        approvers = list(
            User.objects.filter(
                organisation_id=actor.organisation_id,
                public_id__in=[_uuid(v, "person") for v in wanted],
            )
        )
        _domain_message(
            request,
            lambda: services.set_approval_rule(
                actor,
                account,
                approvals_required=required,
                approver_role=request.POST.get("approver_role", ""),
                approvers=approvers,
            ),
            f"Approval rule for {account.name} saved.",
        )
    return redirect("publishing:settings")


@login_required
@require_POST
def account_slots(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    account = _social_account(actor, channel_id)
    _domain_message(
        request,
        lambda: services.set_queue_slots(
            actor, account, slots=parse_slots(request.POST.get("slots", ""))
        ),
        f"Best times for {account.name} saved.",
    )
    return redirect("publishing:settings")


@login_required
@require_POST
def banned_word(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    remove = request.POST.get("remove", "")
    if remove:
        found = BannedWord.objects.filter(
            organisation_id=actor.organisation_id, pk=int(remove) if remove.isdigit() else 0
        ).first()
        if found is None:
            raise NotFound("No such word.")
        _domain_message(
            request, lambda: services.remove_banned_word(actor, found), f"“{found.word}” removed."
        )
    else:
        word = request.POST.get("word", "")
        _domain_message(
            request,
            lambda: services.add_banned_word(
                actor,
                word=word,
                reason=request.POST.get("reason", ""),
                blocking=request.POST.get("blocking") == "1",
            ),
            f"“{word.strip()}” added to the policy.",
        )
    return redirect("publishing:settings")


@login_required
@require_POST
def post_queue(request: HttpRequest, post_id: str) -> HttpResponse:
    reason = request.POST.get("override_reason", "").strip() or None
    return _post_action(
        request,
        post_id,
        lambda actor, post: services.add_to_queue(actor, post, override_reason=reason),
        "Added to the queue at the accounts' next free best time.",
    )


def _profile_links(text: str) -> list[dict[str, str]]:
    """Read profile links written one a line as "Name https://…" (or just the address)."""
    links = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        links.append({"name": " ".join(words[:-1]), "url": words[-1]})
    return links


@login_required
@require_POST
def profile_version_create(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    account = _social_account(actor, channel_id)
    _domain_message(
        request,
        lambda: services.create_profile_version(
            actor,
            account,
            display_name=request.POST.get("display_name", "").strip(),
            bio=request.POST.get("bio", "").strip(),
            avatar=request.POST.get("avatar") or None,
            header=request.POST.get("header") or None,
            links=_profile_links(request.POST.get("links", "")),
            note=request.POST.get("note", "").strip(),
        ),
        "New profile version recorded; apply it to change the account.",
    )
    return redirect("publishing:profile_versions", account.public_id)


@login_required
@require_POST
def profile_version_apply(request: HttpRequest, channel_id: str, version_id: str) -> HttpResponse:
    actor = _user(request)
    account = _social_account(actor, channel_id)
    version = ProfileVersion.objects.filter(
        channel=account, public_id=_uuid(version_id, "version")
    ).first()
    if version is None:
        raise NotFound("No such version.")
    _domain_message(
        request,
        lambda: services.apply_profile_version(actor, version),
        f"Version {version.number} applied to {account.name}.",
    )
    return redirect("publishing:profile_versions", account.public_id)
