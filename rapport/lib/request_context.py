"""The request id and client address of the work in progress.

Services read them through `current()` to stamp audit entries, without every
call having to pass the request down.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("rapport_request", default=None)


def current() -> RequestContext | None:
    """Return the context of the request (or job) being served, if any."""
    return _current.get()


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    """Bind a context for the duration of a block (a job, a command)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Give every request an id (kept from X-Request-ID when well-formed) and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        # Behind a proxy, REMOTE_ADDR is the proxy; operators who trust theirs
        # configure it to set REMOTE_ADDR (granian/gunicorn forwarded-allow-ips).
        ip = request.META.get("REMOTE_ADDR") or None
        request.request_id = request_id  # type: ignore[attr-defined]
        with bound(RequestContext(request_id=request_id, ip=ip)):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
