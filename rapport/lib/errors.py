"""Domain errors raised by services and mapped once to JSON and to UI messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request that the domain refuses; `code` is stable, `message` is for people."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409
