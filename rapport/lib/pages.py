"""Glue between domain errors and HTML pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rapport.lib.errors import DomainError, NotAllowed, NotFound


@contextmanager
def domain_errors_to_form(form: forms.Form) -> Iterator[None]:
    """Turn a DomainError raised by a service into a form error, so the page re-renders."""
    try:
        yield
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        form.add_error(None, exc.message)


class DomainErrorMiddleware:
    """Answer a refused or missing object with the product's 403/404 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exc, NotFound):
            return render(request, "404.html", {"message": exc.message}, status=404)
        if isinstance(exc, NotAllowed):
            return render(request, "403.html", {"message": exc.message}, status=403)
        if isinstance(exc, DomainError):
            return render(request, "400.html", {"message": exc.message}, status=exc.status)
        return None


class ApiErrorShapeMiddleware:
    """Give every non-JSON error under /api/ (a 405 from the router, say) the JSON error shape."""

    _CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = self._CODES.get(response.status_code, "error")
            message = response.reason_phrase or "Request refused."
            shaped = JsonResponse(
                {"code": code, "message": message, "details": None}, status=response.status_code
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
