"""The three-pane inbox: views and filters, the conversation list, the conversation."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.inbox import selectors, services
from rapport.inbox.models import (
    Attachment,
    CustomerAcceptance,
    Kind,
    Priority,
    ResolutionAction,
    Status,
)
from rapport.lib.errors import DomainError

# The built-in views in the left pane: (key, label, filter arguments).
BUILT_IN_VIEWS: list[tuple[str, str, dict[str, Any]]] = [
    ("open", "All open", {"active": True}),
    ("mine", "Mine", {"mine": True, "active": True}),
    ("unassigned", "Unassigned", {"unassigned": True, "active": True}),
    ("complaints", "Open complaints", {"kind": ["complaint"], "active": True}),
    ("breaching", "Breaching within the hour", {"breaching_within_minutes": 60}),
    ("breached", "Breached", {"breached": True}),
    ("resolved", "Resolved", {"status": ["resolved"]}),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


_SAVED_FILTER_KEYS = {
    "status",
    "active",
    "mine",
    "unassigned",
    "kind",
    "priority_at_least",
    "tag",
    "breaching_within_minutes",
    "breached",
    "q",
}


def _filters(query: QueryDict, user: User) -> tuple[str, selectors.InboxFilter]:
    key = query.get("view", "open")
    base = next((args for k, _, args in BUILT_IN_VIEWS if k == key), None)
    saved_id = query.get("saved", "")
    if saved_id:
        try:
            saved = selectors.saved_views_for(user).filter(public_id=uuid.UUID(saved_id)).first()
        except ValueError:
            saved = None
        if saved is not None:
            key = str(saved.public_id)
            base = {k: v for k, v in saved.filters.items() if k in _SAVED_FILTER_KEYS}
    if base is None:
        key, base = "open", BUILT_IN_VIEWS[0][2]
    args = dict(base)
    q = query.get("q", "").strip()[:200]
    if q:
        args["q"] = q
    kind = query.get("kind", "")
    if kind in Kind.values:
        args["kind"] = [kind]
    return key, selectors.InboxFilter(**args)


@login_required
def inbox(request: HttpRequest, conversation_id: uuid.UUID | None = None) -> HttpResponse:
    """Render the whole inbox, with a conversation open when one is named."""
    user = _user(request)
    key, filters = _filters(request.GET, user)
    conversations, next_cursor = selectors.inbox_list(user, filters, limit=50)
    context: dict[str, Any] = {
        "views": BUILT_IN_VIEWS,
        "saved_views": selectors.saved_views_for(user),
        "current_view": key,
        "conversations": conversations,
        "next_cursor": next_cursor,
        "query": request.GET.urlencode(),
        "q": request.GET.get("q", ""),
    }
    if conversation_id is not None:
        context.update(_conversation_context(request, conversation_id))
    return render(request, "inbox/inbox.html", context)


@login_required
def conversation_list(request: HttpRequest) -> HttpResponse:
    """Render one page of the list (htmx: filter changes, polling, more)."""
    user = _user(request)
    key, filters = _filters(request.GET, user)
    try:
        conversations, next_cursor = selectors.inbox_list(
            user, filters, cursor=request.GET.get("cursor") or None, limit=50
        )
    except DomainError:
        conversations, next_cursor = selectors.inbox_list(user, filters, limit=50)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "inbox/_list.html",
        {
            "conversations": conversations,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
            "current_view": key,
            "appending": bool(request.GET.get("cursor")),
        },
    )


def _conversation_context(request: HttpRequest, conversation_id: uuid.UUID) -> dict[str, Any]:
    user = _user(request)
    conversation = selectors.get_conversation_for_user(user, conversation_id)
    people = User.objects.filter(organisation_id=user.organisation_id, is_active=True).order_by(
        "full_name"
    )
    return {
        "conversation": conversation,
        "thread": selectors.messages_of(user, conversation),
        "people": [p for p in people if p.can(Cap.INBOX_WORK)],
        "statuses": Status.choices,
        "kinds": Kind.choices,
        "priorities": Priority.choices,
        "actions": ResolutionAction.choices,
        "acceptances": CustomerAcceptance.choices,
        "macros": selectors.macros_for(user)[:20],
        "can_work": user.can(Cap.INBOX_WORK),
        "history": conversation.customer.conversations.exclude(pk=conversation.pk).order_by(
            "-last_message_at"
        )[:5],
    }


@login_required
def conversation(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        return inbox(request, conversation_id)
    return render(
        request, "inbox/_conversation.html", _conversation_context(request, conversation_id)
    )


def _pane(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        response = render(
            request, "inbox/_conversation.html", _conversation_context(request, conversation_id)
        )
        response["HX-Trigger"] = "inbox:changed"
        return response
    return redirect(reverse("inbox:conversation", args=[conversation_id]))


class ReplyForm(forms.Form):
    text = forms.CharField(max_length=100_000, strip=True)
    mode = forms.ChoiceField(
        choices=[("public", "public"), ("private", "private"), ("note", "note")]
    )


@login_required
@require_POST
def reply(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    conv = selectors.get_conversation_for_user(user, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write something before sending.")
        return _pane(request, conversation_id)
    mode = form.cleaned_data["mode"]
    try:
        services.reply(
            user, conv, text=form.cleaned_data["text"], public=mode == "public", note=mode == "note"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return _pane(request, conversation_id)


@login_required
@require_POST
def update(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """Apply one change from the conversation's toolbar (status, owner, priority, kind)."""
    user = _user(request)
    conv = selectors.get_conversation_for_user(user, conversation_id)
    changes: dict[str, Any] = {}
    post = request.POST
    if post.get("status") in Status.values:
        changes["status"] = post["status"]
    if post.get("kind") in Kind.values:
        changes["kind"] = post["kind"]
    if post.get("priority", "").isdigit() and int(post["priority"]) in Priority.values:
        changes["priority"] = int(post["priority"])
    if "assignee" in post:
        if post["assignee"] == "me":
            changes["assignee"] = user
        elif post["assignee"] == "":
            changes["assignee"] = None
        else:
            try:
                changes["assignee"] = User.objects.get(
                    organisation_id=user.organisation_id, public_id=uuid.UUID(post["assignee"])
                )
            except (ValueError, User.DoesNotExist):
                messages.error(request, "That person was not found.")
    if post.get("snooze_hours", "").isdigit():
        hours = min(int(post["snooze_hours"]), 24 * 30)
        changes["snoozed_until"] = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours or 1)
    try:
        if post.get("escalate"):
            services.escalate(user, conv, reason=post.get("reason", "")[:2000] or "Escalated")
        elif post.get("macro"):
            macro = selectors.macros_for(user).filter(public_id=post["macro"]).first()
            if macro is None:
                raise DomainError("No such macro.", code="unknown_macro")
            services.apply_macro(user, conv, macro)
        elif changes:
            services.update_conversation(user, conv, **changes)
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return _pane(request, conversation_id)


@login_required
@require_POST
def resolve_complaint(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    conv = selectors.get_conversation_for_user(user, conversation_id)
    post = request.POST
    try:
        amount = Decimal(post["amount"]) if post.get("amount") else None
        services.resolve_complaint(
            user,
            conv,
            action=post.get("action", ""),
            amount=amount,
            currency=post.get("currency", "")[:3],
            external_body=post.get("external_body", "")[:200],
            reason=post.get("reason", "")[:5000],
            outcome=post.get("outcome", "")[:5000],
            customer_acceptance=post.get("customer_acceptance") or CustomerAcceptance.NO_REPLY,
            policy_reference=post.get("policy_reference", "")[:200],
        )
        messages.success(request, "Resolution recorded; the conversation is resolved.")
    except InvalidOperation:
        messages.error(request, "The amount must be a number, like 12.50.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _pane(request, conversation_id)


@login_required
def attachment(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponseBase:
    """Send an attachment to someone who may read its conversation, as a download."""
    user = _user(request)
    found = (
        Attachment.objects.select_related("message__conversation")
        .filter(public_id=attachment_id, message__organisation_id=user.organisation_id)
        .first()
    )
    if found is None or not user.can(Cap.INBOX_VIEW):
        raise Http404("No such attachment.")
    if not found.file:
        return redirect(found.remote_url) if found.remote_url else HttpResponse(status=404)
    # Served as a download with the sniffed type: a browser never renders it as a page.
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.mime_type or "application/octet-stream",
    )
