"""The sandbox under /sandbox/: its web pages and its Mastodon-compatible API.

Every address answers 404 while `RAPPORT_SANDBOX_ENABLED` is off (the default
outside demo and debug): the demo brand's token is public knowledge.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path

from rapport.sandbox import mastodon_api as api
from rapport.sandbox import views

app_name = "sandbox"


def _when_enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # Read at request time, so a change of settings (and the tests) need no new URLconf.
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.RAPPORT_SANDBOX_ENABLED:
            raise Http404("The sandbox is switched off on this installation.")
        return view(request, *args, **kwargs)

    return guarded


def _api(route: str, view: Any) -> URLPattern:
    # Mastodon clients ask for some endpoints with a trailing slash and some without.
    return re_path(rf"^{route}/?$", _when_enabled(view))


urlpatterns = [
    path("", _when_enabled(views.timeline), name="timeline"),
    path("tags/<str:name>", _when_enabled(views.tag), name="tag"),
    path("media/<int:pk>", _when_enabled(views.media_file), name="media"),
    path("@<str:username>", _when_enabled(views.profile), name="profile"),
    path("@<str:username>/<int:pk>", _when_enabled(views.thread), name="thread"),
    # The Mastodon client API subset.
    _api(r"api/v1/instance", api.instance),
    _api(r"api/v2/instance", api.instance_v2),
    _api(r"api/v1/accounts/verify_credentials", api.verify_credentials),
    _api(r"api/v1/accounts/update_credentials", api.update_credentials),
    _api(r"api/v1/accounts/(?P<pk>[0-9]+)", api.account_detail),
    _api(r"api/v1/accounts/(?P<pk>[0-9]+)/statuses", api.account_statuses),
    _api(r"api/v1/statuses", api.statuses),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)", api.status_detail),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)/context", api.status_context),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)/favourite", api.favourite),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)/unfavourite", api.unfavourite),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)/reblog", api.reblog),
    _api(r"api/v1/statuses/(?P<pk>[0-9]+)/unreblog", api.unreblog),
    _api(r"api/v1/notifications", api.notifications),
    _api(r"api/v1/notifications/(?P<pk>[0-9]+)", api.notification_detail),
    _api(r"api/v1/conversations", api.conversations),
    _api(r"api/v1/timelines/public", api.public_timeline),
    _api(r"api/v1/timelines/tag/(?P<tag>[^/]+)", api.tag_timeline),
    _api(r"api/v2/search", api.search),
    _api(r"api/v1/media", api.media_upload),
    _api(r"api/v2/media", api.media_upload),
    _api(r"api/v1/media/(?P<pk>[0-9]+)", api.media_detail),
    re_path(r"^api/(?P<rest>.*)$", _when_enabled(api.unknown)),
]
