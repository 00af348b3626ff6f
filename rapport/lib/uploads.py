"""Check uploaded files by their content, not their name, before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings

from rapport.lib.errors import DomainError

# Types a customer-service attachment may have. SVG and HTML can carry script,
# so they are refused rather than trusted.
ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
}


class UploadRefused(DomainError):
    code = "upload_refused"
    status = 400


class UploadTooLarge(DomainError):
    code = "too_large"
    status = 413


@dataclass(frozen=True)
class CheckedFile:
    name: str
    mime_type: str
    size: int


def check_file(
    name: str,
    stream: Any,
    size: int,
    *,
    allowed: set[str] = ATTACHMENT_TYPES,
    max_bytes: int | None = None,
) -> CheckedFile:
    """Return the sniffed type of an upload, or raise why it is refused."""
    limit = max_bytes or settings.RAPPORT_MAX_ATTACHMENT_BYTES
    if size > limit:
        raise UploadTooLarge(
            f"“{name}” is {size // 1024} KB; the limit is {limit // 1024} KB.",
            details={"file": name, "size": size, "limit": limit},
        )
    head: bytes = stream.read(8192)
    stream.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else _text_or_unknown(head)
    if mime not in allowed:
        raise UploadRefused(
            f"“{name}” looks like {mime}, which is not accepted here.",
            details={"file": name, "detected": mime},
        )
    return CheckedFile(name=name[:255], mime_type=mime, size=size)


def _text_or_unknown(head: bytes) -> str:
    lowered = head.lstrip()[:256].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script")):
        return "text/html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the sniffing window is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain" if b"\x00" not in head else "application/octet-stream"
