"""Channel pages for admins (list, add, settings, check, pause, remove) and the two public doors
where customers reach Rapport directly: the signed webhook endpoint and the contact form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.channels import registry, selectors, services
from rapport.channels.forms import ChannelForm, ContactForm
from rapport.channels.models import Channel, ChannelKind
from rapport.connectors import webhook
from rapport.lib.pages import domain_errors_to_form

# The contact form accepts this many submissions per address per window.
CONTACT_LIMIT = 5
CONTACT_WINDOW_SECONDS = 600


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    channels = selectors.with_messages_today(selectors.channels_visible_to(actor), actor)
    context = {"channels": channels, "can_manage": actor.can(Cap.CHANNELS_MANAGE)}
    return render(request, "channels/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require(actor, Cap.CHANNELS_MANAGE)
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        config, secrets = form.settings_for(kind)
        with domain_errors_to_form(form):
            created = services.create_channel(
                actor,
                name=form.cleaned_data["name"],
                kind=kind,
                config=config,
                secrets=secrets,
                sync_interval_seconds=form.cleaned_data.get("sync_interval_seconds") or 60,
            )
            messages.success(request, f"Channel “{created.channel.name}” added.")
            if created.webhook_secret:
                messages.warning(
                    request,
                    f"Signing secret (shown once, keep it safe): {created.webhook_secret}",
                )
            return redirect("channels:detail", created.channel.public_id)
    return render(request, "channels/create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def channel_detail(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    channel = selectors.get_channel_for_user(actor, channel_id)
    can_manage = actor.can(Cap.CHANNELS_MANAGE)
    form = ChannelForm(initial=_initial(channel), editing=True) if can_manage else None
    if request.method == "POST":
        require(actor, Cap.CHANNELS_MANAGE)
        form = ChannelForm(request.POST, initial=_initial(channel), editing=True)
        if form.is_valid():
            config, secrets = form.settings_for(channel.kind)
            with domain_errors_to_form(form):
                services.update_channel(
                    actor,
                    channel,
                    name=form.cleaned_data["name"],
                    config=config,
                    secrets=secrets,
                    sync_interval_seconds=form.cleaned_data.get("sync_interval_seconds"),
                )
                messages.success(request, "Settings saved.")
                return redirect("channels:detail", channel.public_id)
    channel = selectors.with_messages_today([channel], actor)[0]
    context = {
        "channel": channel,
        "form": form,
        "can_manage": can_manage,
        "secret_names": selectors.secret_names(channel) if can_manage else [],
        "is_webhook": channel.kind == ChannelKind.WEBHOOK,
        "is_webform": channel.kind == ChannelKind.WEBFORM,
        "is_polled": channel.kind in registry.FETCHING_KINDS,
    }
    return render(request, "channels/detail.html", context)


def _initial(channel: Channel) -> dict[str, object]:
    config = dict(channel.config)
    if isinstance(config.get("hashtags"), list):
        config["hashtags"] = " ".join(config["hashtags"])
    return {
        **config,
        "name": channel.name,
        "kind": channel.kind,
        "sync_interval_seconds": channel.sync_interval_seconds,
    }


@login_required
@require_POST
def channel_check(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    channel = selectors.get_channel_for_user(actor, channel_id)
    result = services.check_connection(actor, channel)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "channels/_check.html", {"result": result})
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("channels:detail", channel.public_id)


@login_required
@require_POST
def channel_pause(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    channel = selectors.get_channel_for_user(actor, channel_id)
    if channel.is_paused:
        services.resume_channel(actor, channel)
        messages.success(request, f"“{channel.name}” resumed.")
    else:
        services.pause_channel(actor, channel)
        messages.success(request, f"“{channel.name}” paused.")
    return redirect("channels:detail", channel.public_id)


@login_required
@require_POST
def channel_remove(request: HttpRequest, channel_id: str) -> HttpResponse:
    actor = _user(request)
    channel = selectors.get_channel_for_user(actor, channel_id)
    services.remove_channel(actor, channel)
    messages.success(request, f"“{channel.name}” removed; its credentials were destroyed.")
    return redirect("channels:list")


# --- Public doors ------------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, channel_id: str) -> JsonResponse:
    """Take a signed JSON delivery for a webhook channel; refuse anything not signed right."""
    channel = Channel.objects.filter(public_id=channel_id, kind=ChannelKind.WEBHOOK).first()
    if channel is None:
        return JsonResponse({"code": "not_found", "message": "No such webhook."}, status=404)
    try:
        result = services.receive_webhook(
            channel,
            request.body,
            timestamp=request.headers.get(webhook.TIMESTAMP_HEADER),
            signature=request.headers.get(webhook.SIGNATURE_HEADER),
        )
    except webhook.WebhookError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status or 400)
    body = {"created": result.created, "duplicates": result.duplicates}
    return JsonResponse(body, status=202 if result.created else 200)


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, organisation_slug: str) -> HttpResponse:
    """The organisation's public contact form: one submission opens one conversation."""
    channel = services.webform_channel(organisation_slug)
    form = ContactForm(request.POST or None)
    context = {"organisation": channel.organisation, "form": form, "sent": False}
    if request.method == "POST":
        if _too_many(request, organisation_slug):
            form.add_error(None, "Too many messages from your address; please try again later.")
            return render(request, "channels/contact.html", context, status=429)
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:  # a filled honeypot is a bot: thank it, keep nothing
                services.submit_contact_form(
                    channel,
                    name=data["name"],
                    email=data["email"],
                    subject=data["subject"],
                    message=data["message"],
                )
            context.update(sent=True, form=ContactForm())
    return render(request, "channels/contact.html", context)


def _too_many(request: HttpRequest, organisation_slug: str) -> bool:
    key = f"contact-rate:{organisation_slug}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, CONTACT_WINDOW_SECONDS)
    try:
        used = cache.incr(key)
    except ValueError:
        # The counter expired between add and incr; this submission starts a new window.
        cache.set(key, 1, CONTACT_WINDOW_SECONDS)
        used = 1
    return used > CONTACT_LIMIT
