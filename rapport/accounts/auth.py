"""Hooks for django-axes' login throttling."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Return the login name axes counts failures against: the email, lower-cased.

    Lower-casing makes "Alice@X" and "alice@x" one account, so changing case
    cannot buy an attacker more guesses.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()[:254]
