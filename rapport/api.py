"""The JSON API: one NinjaAPI at /api/v1/, each app's router mounted on it.

Every failure answers in one shape, `{"code", "message", "details"}`, with the
right status; nothing a client sends can produce a 500.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from rapport.accounts.api import router as accounts_router
from rapport.accounts.models import ApiToken, Organisation, User
from rapport.accounts.services import TOKEN_PREFIX, hash_token
from rapport.channels.api import router as channels_router
from rapport.customers.api import router as customers_router
from rapport.inbox.api import router as inbox_router
from rapport.inbox.config_api import router as inbox_config_router
from rapport.insights.api import router as insights_router
from rapport.lib import bulk, jsonout
from rapport.lib.errors import DomainError
from rapport.publishing.api import router as publishing_router
from rapport.surveys.api import router as surveys_router
from rapport.team.api import router as team_router

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "rate_limited",
}


class BearerToken(HttpBearer):
    """`Authorization: Bearer rpt_...` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


_TOKEN_FIELDS = ("id", "last_used_at", "expires_at", "revoked_at")
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_ORGANISATION_FIELDS = [f.attname for f in Organisation._meta.concrete_fields]
_TOKEN_COLUMNS = bulk.Columns(
    [("t", ApiToken._meta.get_field(name)) for name in _TOKEN_FIELDS]
    + [("u", f) for f in User._meta.concrete_fields]
    + [("o", f) for f in Organisation._meta.concrete_fields]
)


def token_user(raw: str) -> User | None:
    """Return the active user a raw bearer token belongs to (organisation loaded), or None.

    What `accounts.services.authenticate_token` does, read with one hand-written
    query: every API request pays this check, and compiling the ORM's query
    cost more than running it. The token is checked in the database on every
    request (nothing is cached), so a revoked or expired token, or a
    deactivated user, is refused on the very next request in every process.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_TOKEN_COLUMNS.sql(cursor.db)} FROM {quote(ApiToken._meta.db_table)} t "
            f"INNER JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id "
            f"INNER JOIN {quote(Organisation._meta.db_table)} o ON o.id = u.organisation_id "
            "WHERE t.token_hash = %s",
            [hash_token(raw)],
        )
        found = _TOKEN_COLUMNS.read(cursor.db, cursor.fetchall())
    if not found:
        return None
    row = found[0]
    split = len(_TOKEN_FIELDS) + len(_USER_FIELDS)
    token = ApiToken.from_db(connection.alias, _TOKEN_FIELDS, row[: len(_TOKEN_FIELDS)])
    user = User.from_db(connection.alias, _USER_FIELDS, row[len(_TOKEN_FIELDS) : split])
    now = timezone.now()
    if not token.is_usable(now) or not user.is_active:
        return None
    User._meta.get_field("organisation").set_cached_value(
        user, Organisation.from_db(connection.alias, _ORGANISATION_FIELDS, row[split:])
    )
    touch_every = dt.timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or now - token.last_used_at > touch_every:
        # A plain update: the last-used time is bookkeeping, not an audited change.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


class ActiveSession(SessionAuth):
    """The web UI's session (CSRF-checked on writes), for active users only."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "Rapport's JSON API. Authenticate with `Authorization: Bearer <token>` "
        "(create a token under your profile) or a logged-in session. "
        'Errors are JSON: `{"code": "...", "message": "...", "details": ...}`.'
    ),
    auth=[BearerToken(), ActiveSession()],
    urls_namespace="api",
    renderer=jsonout.Renderer(),
)


def error(
    request: HttpRequest, status: int, message: str, *, code: str | None = None, details: Any = None
) -> HttpResponse:
    payload = {"code": code or _STATUS_CODES.get(status, "error"), "message": message}
    payload["details"] = details
    return api.create_response(request, payload, status=status)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return error(request, 422, "The request is not valid.", details=details)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "Missing, invalid, expired or revoked credentials.")


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error(request, exc.status, exc.message, code=exc.code, details=exc.details)


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, str(exc))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, "Not found.")


api.exception_handler(ObjectDoesNotExist)(_not_found)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error", exc_info=exc)
    return error(
        request, 500, "Something went wrong on our side; it has been logged.", code="internal_error"
    )


def not_found_view(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Answer unknown /api/v1/ paths in the error shape rather than with an HTML page."""
    return JsonResponse(
        {"code": "not_found", "message": "No such endpoint.", "details": None}, status=404
    )


api.add_router("/", accounts_router)
api.add_router("/customers", customers_router)
api.add_router("/", inbox_router)
api.add_router("/", inbox_config_router)
api.add_router("/", team_router)
api.add_router("/", channels_router)
api.add_router("/publishing", publishing_router)
api.add_router("/surveys", surveys_router)
api.add_router("/insights", insights_router)
