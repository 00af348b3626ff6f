"""The subset of Mastodon's client API that Rapport's Mastodon adapter uses, served by the sandbox.

Plain Django views under /sandbox/api/: bearer-token auth, Mastodon's JSON
shapes and `{"error": ...}` errors, Link headers for paging, the
X-RateLimit-* headers, the Idempotency-Key header, and a switch
(`services.force_faults`) that makes requests fail with 429, 5xx or 401.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Max, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from rapport.sandbox import selectors, services, shapes
from rapport.sandbox.models import (
    FaultKind,
    SandboxAccount,
    SandboxMedia,
    SandboxNotification,
    SandboxStatus,
    SandboxTag,
)
from rapport.sandbox.services import SandboxError, not_found

RATE_LIMIT_WINDOW = 300  # seconds, as Mastodon's per-token API limit
DEFAULT_LIMIT = 20
MAX_LIMIT = 40

View = Callable[..., HttpResponse]


def _error(message: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _rate_limit(request: HttpRequest, account: SandboxAccount | None) -> tuple[int, int, float]:
    """Count this request against its token's (or address's) window; return limit, left, reset."""
    limit = int(getattr(settings, "SANDBOX_RATE_LIMIT", 300))
    now = time.time()
    window = int(now // RATE_LIMIT_WINDOW)
    who = f"a{account.pk}" if account else f"ip{request.META.get('REMOTE_ADDR', '')}"
    key = f"sandbox-rate:{who}:{window}"
    cache.add(key, 0, RATE_LIMIT_WINDOW + 10)
    try:
        used = cache.incr(key)
    except ValueError:
        # The counter expired between add and incr; this request starts a new one.
        cache.set(key, 1, RATE_LIMIT_WINDOW + 10)
        used = 1
    return limit, limit - used, (window + 1) * RATE_LIMIT_WINDOW


def _reset_header(epoch: float) -> str:
    return shapes.iso(dt.datetime.fromtimestamp(epoch, tz=dt.UTC)) or ""


def _fault_response(kind: str, retry_after: int) -> JsonResponse:
    if kind == FaultKind.RATE_LIMITED:
        reset = time.time() + retry_after
        return _error(
            "Too many requests",
            429,
            X_RateLimit_Limit=str(getattr(settings, "SANDBOX_RATE_LIMIT", 300)),
            X_RateLimit_Remaining="0",
            X_RateLimit_Reset=_reset_header(reset),
            Retry_After=str(retry_after),
        )
    if kind == FaultKind.UNAUTHORIZED:
        return _error(
            "The access token is invalid",
            401,
            WWW_Authenticate='Bearer error="invalid_token"',
        )
    if kind == FaultKind.UNAVAILABLE:
        return _error("Service Unavailable", 503, Retry_After=str(retry_after))
    return _error("Internal Server Error", 500)


def endpoint(*methods: str, auth: bool = True) -> Callable[[View], View]:
    """Wrap a view as a sandbox API endpoint: faults, auth, rate limit, errors, headers."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return _error("Method not allowed", 405, Allow=", ".join(methods))
            fault = services.take_fault()
            if fault is not None:
                return _fault_response(fault.kind, fault.retry_after_seconds)
            token = _bearer(request)
            account = selectors.account_for_token(token)
            if (auth or token) and account is None:
                return _error(
                    "The access token is invalid",
                    401,
                    WWW_Authenticate='Bearer error="invalid_token"',
                )
            limit, remaining, reset = _rate_limit(request, account)
            headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(0, remaining)),
                "X-RateLimit-Reset": _reset_header(reset),
            }
            if remaining < 0:
                response: HttpResponse = _error("Too many requests", 429)
            else:
                try:
                    response = view(request, account, *args, **kwargs)
                except SandboxError as exc:
                    response = _error(exc.message, exc.status)
            for name, value in headers.items():
                response[name] = value
            return response

        return wrapper

    return decorate


# --- Request helpers ----------------------------------------------------------------------------


def _form(request: HttpRequest) -> QueryDict | dict[str, Any]:
    """Return the request's parameters, from a form, a multipart body or JSON."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError:
            raise SandboxError("Invalid JSON body", status=400) from None
        if not isinstance(body, dict):
            raise SandboxError("Invalid JSON body", status=400)
        return body
    if request.method == "POST":
        return request.POST
    if request.content_type == "multipart/form-data":
        data, files = request.parse_file_upload(request.META, request)  # type: ignore[arg-type]
        request._files = files  # type: ignore[attr-defined]
        return data
    return QueryDict(request.body, encoding=request.encoding)


def _list(params: QueryDict | dict[str, Any], name: str) -> list[str]:
    if isinstance(params, QueryDict):
        return params.getlist(f"{name}[]") or params.getlist(name)
    value = params.get(name) or []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "on", "yes")


def _limit(request: HttpRequest) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(request.GET.get("limit", DEFAULT_LIMIT))))
    except ValueError:
        return DEFAULT_LIMIT


def _id_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise SandboxError(f"Invalid {name}", status=400)
    return int(value)


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], *, key: str = "id"
) -> tuple[list[Any], str]:
    """Return one page newest first, and its Link header (next: older, prev: newer).

    max_id: older than; since_id: newer than (the newest page); min_id: the
    page immediately newer than, which is how a client walks forward.
    """
    limit = _limit(request)
    max_id, since_id, min_id = (_id_param(request, n) for n in ("max_id", "since_id", "min_id"))
    if max_id is not None:
        queryset = queryset.filter(**{f"{key}__lt": max_id})
    if since_id is not None:
        queryset = queryset.filter(**{f"{key}__gt": since_id})
    if min_id is not None and since_id is None:
        items = list(queryset.filter(**{f"{key}__gt": min_id}).order_by(key)[:limit])[::-1]
    else:
        items = list(queryset.order_by(f"-{key}")[:limit])
    if not items:
        return items, ""

    def value(item: Any) -> Any:
        return item[key] if isinstance(item, dict) else getattr(item, key)

    base = request.build_absolute_uri(request.path)
    links = []
    for rel, name, edge in (("next", "max_id", items[-1]), ("prev", "min_id", items[0])):
        params = request.GET.copy()
        for drop in ("max_id", "since_id", "min_id"):
            params.pop(drop, None)
        params[name] = str(value(edge))
        links.append(f'<{base}?{params.urlencode()}>; rel="{rel}"')
    return items, ", ".join(links)


def _paged(data: list[Any], link: str) -> JsonResponse:
    response = JsonResponse(data, safe=False)
    if link:
        response["Link"] = link
    return response


def _statuses(queryset: QuerySet[SandboxStatus]) -> QuerySet[SandboxStatus]:
    return queryset.select_related("account", "reblog_of", "reblog_of__account")


# --- Instance and accounts -----------------------------------------------------------------------


@endpoint("GET", auth=False)
def instance(request: HttpRequest, viewer: SandboxAccount | None) -> HttpResponse:
    return JsonResponse(shapes.instance_v1(request))


@endpoint("GET", auth=False)
def instance_v2(request: HttpRequest, viewer: SandboxAccount | None) -> HttpResponse:
    return JsonResponse(shapes.instance_v2(request))


@endpoint("GET")
def verify_credentials(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    return JsonResponse(shapes.Renderer(request, viewer).account(viewer, with_source=True))


@endpoint("PATCH")
def update_credentials(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    params = _form(request)
    files = request.FILES
    avatar, header = files.get("avatar"), files.get("header")
    account = services.update_credentials(
        viewer,
        display_name=params.get("display_name"),
        note=params.get("note"),
        avatar=avatar.read() if avatar else None,
        header=header.read() if header else None,
    )
    return JsonResponse(shapes.Renderer(request, account).account(account, with_source=True))


@endpoint("GET", auth=False)
def account_detail(request: HttpRequest, viewer: SandboxAccount | None, pk: int) -> HttpResponse:
    account = SandboxAccount.objects.filter(pk=pk).first()
    if account is None:
        raise not_found()
    return JsonResponse(shapes.Renderer(request, viewer).account(account))


@endpoint("GET", auth=False)
def account_statuses(request: HttpRequest, viewer: SandboxAccount | None, pk: int) -> HttpResponse:
    visible = selectors.statuses_visible_to(viewer).filter(account_id=pk)
    items, link = paginate(request, _statuses(visible))
    return _paged(shapes.Renderer(request, viewer).statuses(items), link)


# --- Statuses ------------------------------------------------------------------------------------


@endpoint("POST")
def statuses(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    params = _form(request)
    status = services.post_status(
        viewer,
        text=str(params.get("status") or ""),
        in_reply_to=params.get("in_reply_to_id") or None,
        visibility=str(params.get("visibility") or "public"),
        media_ids=_list(params, "media_ids"),
        spoiler_text=str(params.get("spoiler_text") or ""),
        sensitive=_truthy(params.get("sensitive")),
        language=str(params.get("language") or ""),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    status = _statuses(SandboxStatus.objects.filter(pk=status.pk)).get()
    return JsonResponse(shapes.Renderer(request, viewer).status(status))


@endpoint("GET", auth=False)
def status_detail(request: HttpRequest, viewer: SandboxAccount | None, pk: int) -> HttpResponse:
    status = _statuses(selectors.statuses_visible_to(viewer).filter(pk=pk)).first()
    if status is None:
        raise not_found()
    return JsonResponse(shapes.Renderer(request, viewer).status(status))


@endpoint("GET", auth=False)
def status_context(request: HttpRequest, viewer: SandboxAccount | None, pk: int) -> HttpResponse:
    status = services.visible_status(viewer, str(pk))
    root_id = status.thread_root_id or status.pk
    thread = _statuses(
        selectors.statuses_visible_to(viewer).filter(pk=root_id)
        | selectors.statuses_visible_to(viewer).filter(thread_root_id=root_id)
    ).order_by("id")
    by_id = {s.pk: s for s in thread}
    ancestors: list[SandboxStatus] = []
    parent_id = status.in_reply_to_id
    while parent_id and parent_id in by_id and len(ancestors) < 100:
        ancestors.append(by_id[parent_id])
        parent_id = by_id[parent_id].in_reply_to_id
    ancestors.reverse()
    below = {status.pk}
    descendants = []
    for item in by_id.values():  # in id order, so a parent comes before its replies
        if item.in_reply_to_id in below:
            below.add(item.pk)
            descendants.append(item)
    renderer = shapes.Renderer(request, viewer)
    rendered = renderer.statuses(ancestors + descendants)
    return JsonResponse(
        {"ancestors": rendered[: len(ancestors)], "descendants": rendered[len(ancestors) :]}
    )


def _act(
    action: Callable[[SandboxAccount, SandboxStatus], SandboxStatus],
) -> View:
    @endpoint("POST")
    def view(request: HttpRequest, viewer: SandboxAccount, pk: int) -> HttpResponse:
        status = services.visible_status(viewer, str(pk))
        result = action(viewer, status)
        result = _statuses(SandboxStatus.objects.filter(pk=result.pk)).get()
        return JsonResponse(shapes.Renderer(request, viewer).status(result))

    return view


favourite = _act(services.favourite)
unfavourite = _act(services.unfavourite)
reblog = _act(services.reblog)
unreblog = _act(services.unreblog)


# --- Notifications and conversations -----------------------------------------------------------


@endpoint("GET")
def notifications(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    found = SandboxNotification.objects.filter(account=viewer)
    if types := _list(request.GET, "types"):
        found = found.filter(type__in=types)
    if excluded := _list(request.GET, "exclude_types"):
        found = found.exclude(type__in=excluded)
    if account_id := request.GET.get("account_id"):
        found = found.filter(from_account_id=int(account_id) if account_id.isdigit() else 0)
    found = found.select_related(
        "from_account", "status__account", "status__reblog_of", "status__reblog_of__account"
    )
    items, link = paginate(request, found)
    return _paged(shapes.Renderer(request, viewer).notifications(items), link)


@endpoint("GET")
def notification_detail(request: HttpRequest, viewer: SandboxAccount, pk: int) -> HttpResponse:
    found = SandboxNotification.objects.filter(account=viewer, pk=pk).select_related(
        "from_account", "status__account"
    )
    note = found.first()
    if note is None:
        raise not_found()
    return JsonResponse(shapes.Renderer(request, viewer).notifications([note])[0])


@endpoint("GET")
def conversations(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    # One conversation per direct thread, paged by its newest status, as Mastodon does.
    threads = (
        selectors.direct_statuses_of(viewer)
        .annotate(root=Coalesce(F("thread_root_id"), F("id")))
        .values("root")
        .annotate(last=Max("id"))
    )
    items, link = paginate(request, threads, key="last")
    last = _statuses(SandboxStatus.objects.filter(pk__in=[row["last"] for row in items]))
    last = last.prefetch_related("mentions")
    by_id = {status.pk: status for status in last}
    renderer = shapes.Renderer(request, viewer)
    statuses = [by_id[row["last"]] for row in items]
    rendered = renderer.statuses(statuses)
    people: dict[int, list[SandboxAccount]] = {}
    for status in statuses:
        people[status.pk] = [status.account, *status.mentions.all()]
    accounts = renderer.accounts(a for group in people.values() for a in group)
    data = [
        {
            "id": str(row["root"]),
            "unread": False,
            "accounts": [
                accounts[a.pk] for a in dict.fromkeys(people[row["last"]]) if a.pk != viewer.pk
            ],
            "last_status": status_json,
        }
        for row, status_json in zip(items, rendered, strict=True)
    ]
    return _paged(data, link)


# --- Timelines and search --------------------------------------------------------------------


@endpoint("GET", auth=False)
def tag_timeline(request: HttpRequest, viewer: SandboxAccount | None, tag: str) -> HttpResponse:
    items, link = paginate(request, _statuses(selectors.tag_timeline(tag)))
    return _paged(shapes.Renderer(request, viewer).statuses(items), link)


@endpoint("GET", auth=False)
def public_timeline(request: HttpRequest, viewer: SandboxAccount | None) -> HttpResponse:
    items, link = paginate(request, _statuses(selectors.public_timeline()))
    return _paged(shapes.Renderer(request, viewer).statuses(items), link)


@endpoint("GET")
def search(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    wanted = request.GET.get("type", "")
    limit = _limit(request)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    renderer = shapes.Renderer(request, viewer)
    result: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if not query:
        return JsonResponse(result)
    window = slice(offset, offset + limit)
    if wanted in ("", "accounts"):
        people = SandboxAccount.objects.filter(username__icontains=query.lstrip("@"))
        people = people | SandboxAccount.objects.filter(display_name__icontains=query)
        found = list(people.order_by("id")[window])
        rendered = renderer.accounts(found)
        result["accounts"] = [rendered[a.pk] for a in found]
    if wanted in ("", "statuses"):
        visible = selectors.statuses_visible_to(viewer).filter(reblog_of__isnull=True)
        if query.startswith("#"):
            visible = visible.filter(tags__name=query[1:].lower())
        else:
            visible = visible.filter(text__icontains=query)
        result["statuses"] = renderer.statuses(list(_statuses(visible).order_by("-id")[window]))
    if wanted in ("", "hashtags"):
        names = (
            SandboxTag.objects.filter(name__istartswith=query.lstrip("#").lower())
            .values_list("name", flat=True)
            .distinct()
            .order_by("name")[window]
        )
        result["hashtags"] = [
            {"name": name, "url": f"{renderer.root}tags/{name}", "history": []} for name in names
        ]
    return JsonResponse(result)


# --- Media -----------------------------------------------------------------------------------


@endpoint("POST")
def media_upload(request: HttpRequest, viewer: SandboxAccount) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        raise SandboxError("Validation failed: File can't be blank")
    if upload.size and upload.size > services.MAX_MEDIA_BYTES:
        raise SandboxError("Validation failed: File is larger than 8 MB")
    item = services.upload_media(
        viewer, data=upload.read(), description=str(request.POST.get("description") or "")
    )
    return JsonResponse(shapes.Renderer(request, viewer).media(item))


@endpoint("GET")
def media_detail(request: HttpRequest, viewer: SandboxAccount, pk: int) -> HttpResponse:
    item = SandboxMedia.objects.filter(account=viewer, pk=pk).defer("data").first()
    if item is None:
        raise not_found()
    return JsonResponse(shapes.Renderer(request, viewer).media(item))


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE", auth=False)
def unknown(request: HttpRequest, viewer: SandboxAccount | None, rest: str = "") -> HttpResponse:
    raise SandboxError("Record not found", status=404)
