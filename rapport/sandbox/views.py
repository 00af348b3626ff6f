"""The sandbox's own web pages: the simulated network as a customer would read it.

Standalone pages (nothing of Rapport's UI), public posts only. Status text is
plain text rendered with autoescaping: nothing a simulated or real customer
typed is ever marked safe.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from rapport.sandbox import selectors, shapes
from rapport.sandbox.models import SandboxAccount, SandboxMedia, SandboxStatus, Visibility

PAGE_SIZE = 40


def _cards(request: HttpRequest, statuses: list[SandboxStatus]) -> list[dict[str, Any]]:
    rendered = shapes.Renderer(request, None).statuses(statuses)
    return [{"status": s, "json": data} for s, data in zip(statuses, rendered, strict=True)]


def _page(request: HttpRequest, queryset: Any) -> tuple[list[SandboxStatus], int | None]:
    before = request.GET.get("max_id", "")
    if before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    statuses = list(
        queryset.select_related("account", "in_reply_to__account").order_by("-id")[:PAGE_SIZE]
    )
    older = statuses[-1].pk if len(statuses) == PAGE_SIZE else None
    return statuses, older


@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    statuses, older = _page(request, selectors.public_timeline())
    context = {"cards": _cards(request, statuses), "older": older, "run": selectors.current_run()}
    return render(request, "sandbox/timeline.html", context)


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    statuses, older = _page(request, selectors.tag_timeline(name))
    context = {"cards": _cards(request, statuses), "older": older, "tag": name.lower()}
    return render(request, "sandbox/timeline.html", context)


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    account = get_object_or_404(SandboxAccount, username__iexact=username)
    statuses, older = _page(request, selectors.public_timeline().filter(account=account))
    person = shapes.Renderer(request, None).account(account)
    context = {"account": account, "person": person, "cards": _cards(request, statuses)}
    return render(request, "sandbox/profile.html", {**context, "older": older})


@require_GET
def thread(request: HttpRequest, username: str, pk: int) -> HttpResponse:
    status = get_object_or_404(
        selectors.statuses_visible_to(None), pk=pk, account__username__iexact=username
    )
    root_id = status.thread_root_id or status.pk
    public = selectors.statuses_visible_to(None).filter(reblog_of__isnull=True)
    statuses = list(
        (public.filter(pk=root_id) | public.filter(thread_root_id=root_id))
        .select_related("account", "in_reply_to__account")
        .order_by("id")
    )
    context = {"cards": _cards(request, statuses), "focus": status.pk}
    return render(request, "sandbox/thread.html", context)


@require_GET
def media_file(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SandboxMedia.objects.select_related("status"), pk=pk)
    attached = item.status
    if attached is not None and attached.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise Http404("No such media.")
    response = HttpResponse(bytes(item.data), content_type=item.mime_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "public, max-age=86400"
    return response
