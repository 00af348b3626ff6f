"""The health check and the error pages in the product's style."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers, for load balancers and `rapport check`."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _json_or_page(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "details": None}, status=status)
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_or_page(request, 400, "bad_request", "The request could not be understood.")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_or_page(request, 403, "forbidden", "You do not have access to this page.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _json_or_page(request, 404, "not_found", "There is nothing at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in one of them or in the database.
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "internal_error", "message": "Something went wrong.", "details": None},
            status=500,
        )
    return HttpResponse(loader.get_template("500.html").render(), status=500)
