"""The asset library: checked uploads, thumbnails, licences, search, and where each asset was used.

An upload is typed by its content (the `filetype` sniffer), never by its name
or the type the browser claims. The asset's kind follows from that type. Each
kind has its own size limit (below). Images are decoded with Pillow, stored
again without their metadata (EXIF carries GPS positions and camera serials),
and get a small WebP thumbnail. SVG and HTML are refused: both can carry
script, and a text upload that contains markup is refused for the same reason.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from rapport.accounts import audit
from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.uploads import UploadRefused, UploadTooLarge, check_file
from rapport.publishing.models import Asset, AssetKind, AssetSource, PostVariant

MB = 1024 * 1024

# What each kind accepts, by sniffed MIME type.
ACCEPTED_TYPES: dict[str, set[str]] = {
    AssetKind.IMAGE: {"image/jpeg", "image/png", "image/gif", "image/webp"},
    AssetKind.PDF: {"application/pdf"},
    AssetKind.AUDIO: {"audio/mpeg", "audio/mp4", "audio/ogg", "audio/x-wav", "audio/x-flac"},
    AssetKind.VIDEO: {"video/mp4", "video/quicktime", "video/webm", "video/x-m4v"},
    AssetKind.TEXT: {"text/plain"},
}
KIND_OF_TYPE = {mime: kind for kind, types in ACCEPTED_TYPES.items() for mime in types}

# Largest upload per kind, in bytes. Images and PDFs above these are never
# needed for social posts (platforms re-encode far smaller); video is capped
# at what Mastodon-compatible servers accept by default (99 MB) with room.
MAX_BYTES: dict[str, int] = {
    AssetKind.IMAGE: 15 * MB,
    AssetKind.PDF: 25 * MB,
    AssetKind.AUDIO: 40 * MB,
    AssetKind.VIDEO: 120 * MB,
    AssetKind.TEXT: 1 * MB,
}
MAX_UPLOAD_BYTES = max(MAX_BYTES.values())

# Images larger than this in pixels are refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000
THUMBNAIL_SIZE = (480, 480)

# Text that would be markup if a browser were ever talked into rendering it.
_MARKUP = re.compile(
    rb"<\s*(script|svg|html|iframe|object|embed|!doctype\s+html)\b|javascript:", re.IGNORECASE
)
_TAG_OK = re.compile(r"^[\w][\w\- ]{0,39}$", re.UNICODE)

EDITABLE_FIELDS = (
    "title",
    "description",
    "alt_text",
    "tags",
    "url",
    "body",
    "source",
    "licence",
    "licence_url",
    "licence_expires_on",
    "attribution_required",
    "attribution_text",
    "creator_handle",
)
_AUDITED = (*EDITABLE_FIELDS, "kind", "mime_type", "size", "archived", "permission_granted_on")

EXPIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class CheckedUpload:
    kind: str
    mime_type: str
    size: int
    content: bytes
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    extension: str = ""
    # Set instead of `content` for large kinds: the upload itself, stored as it is.
    stream: Any = None


# --- Upload checking -------------------------------------------------------------------------


def check_upload(name: str, stream: Any, size: int) -> CheckedUpload:
    """Return an upload's kind, cleaned content and thumbnail, or raise why it is refused."""
    checked = check_file(
        name,
        stream,
        size,
        allowed=set(KIND_OF_TYPE),
        max_bytes=MAX_UPLOAD_BYTES,
    )
    kind = KIND_OF_TYPE[checked.mime_type]
    limit = MAX_BYTES[kind]
    if size > limit:
        raise UploadTooLarge(
            f"“{name}” is {size / MB:.1f} MB; {kind} files may be at most {limit // MB} MB.",
            details={"file": name, "size": size, "limit": limit, "kind": kind},
        )
    if kind not in (AssetKind.IMAGE, AssetKind.TEXT):
        # Audio, video and PDF are stored as uploaded, streamed from the upload's
        # temporary file rather than read into memory.
        return CheckedUpload(
            kind=kind,
            mime_type=checked.mime_type,
            size=size,
            content=b"",
            stream=stream,
            extension=_EXTENSIONS.get(checked.mime_type, ""),
        )
    content = stream.read()
    if kind == AssetKind.IMAGE:
        return _checked_image(name, content, checked.mime_type)
    if kind == AssetKind.TEXT:
        if _MARKUP.search(content):
            raise UploadRefused(
                f"“{name}” contains HTML or SVG markup, which could carry script; "
                "upload plain text, or an image as PNG, JPEG, GIF or WebP.",
                details={"file": name, "detected": "text/html"},
            )
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused(f"“{name}” is not UTF-8 text.", details={"file": name}) from None
    return CheckedUpload(
        kind=kind,
        mime_type=checked.mime_type,
        size=len(content),
        content=content,
        extension=_EXTENSIONS.get(checked.mime_type, ""),
    )


_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/x-wav": ".wav",
    "audio/x-flac": ".flac",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-m4v": ".m4v",
    "text/plain": ".txt",
}


def _checked_image(name: str, content: bytes, mime: str) -> CheckedUpload:
    try:
        with Image.open(io.BytesIO(content)) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRefused(
                    f"“{name}” is {width}×{height} pixels; images may have at most "
                    f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels.",
                    details={"file": name, "width": width, "height": height},
                )
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            cleaned = _without_metadata(image, mime, content)
            thumbnail = _thumbnail(image)
            width, height = ImageOps.exif_transpose(image).size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise UploadRefused(
            f"“{name}” could not be read as an image.", details={"file": name}
        ) from None
    return CheckedUpload(
        kind=AssetKind.IMAGE,
        mime_type=mime,
        size=len(cleaned),
        content=cleaned,
        width=width,
        height=height,
        thumbnail=thumbnail,
        extension=_EXTENSIONS[mime],
    )


def _without_metadata(image: Image.Image, mime: str, original: bytes) -> bytes:
    """Return the image encoded again with no EXIF, GPS, XMP or text chunks."""
    if mime == "image/gif":
        # GIFs carry no EXIF; re-encoding would flatten an animation.
        return original
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if mime == "image/jpeg":
        upright.convert("RGB").save(out, "JPEG", quality=92, optimize=True)
    elif mime == "image/png":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=92)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    frame = ImageOps.exif_transpose(image)
    frame = frame.convert("RGBA") if frame.mode in ("P", "LA", "RGBA", "PA") else frame
    frame = frame.convert("RGBA" if frame.mode == "RGBA" else "RGB")
    frame.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    frame.save(out, "WEBP", quality=80)
    return out.getvalue()


# --- Field validation --------------------------------------------------------------------------


def normalise_tags(tags: Iterable[str] | str) -> list[str]:
    """Return tags lower-cased, trimmed, without '#' and duplicates; refuse odd characters."""
    raw = tags.split(",") if isinstance(tags, str) else list(tags)
    seen: list[str] = []
    for tag in raw:
        cleaned = " ".join(str(tag).strip().lstrip("#").lower().split())
        if not cleaned:
            continue
        if not _TAG_OK.match(cleaned):
            raise DomainError(
                f"Tag “{cleaned[:40]}” may use letters, digits, spaces and dashes "
                "(at most 40 characters).",
                code="invalid_tag",
            )
        if cleaned not in seen:
            seen.append(cleaned)
    if len(seen) > 20:
        raise DomainError("An asset may have at most 20 tags.", code="invalid_tag")
    return seen


def _check_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError("A link must be an http:// or https:// address.", code="invalid_url")
    return url


def _check_rules(asset: Asset) -> None:
    if not asset.title.strip():
        raise DomainError("An asset needs a title.", code="invalid")
    if asset.source == AssetSource.CREATIVE_COMMONS and not asset.licence.strip():
        raise DomainError(
            "Creative Commons assets need the exact licence, e.g. “CC BY-SA 4.0”.",
            code="licence_required",
        )
    if asset.source == AssetSource.LICENSED and not asset.licence.strip():
        raise DomainError(
            "Licensed assets need the licence's name (the stock library's licence, say).",
            code="licence_required",
        )
    if asset.attribution_required and not asset.attribution_text.strip():
        raise DomainError(
            "The attribution text is needed when attribution is required.",
            code="attribution_required",
        )
    if asset.source == AssetSource.UGC and not asset.creator_handle.strip():
        raise DomainError(
            "User-generated assets need the creator's handle.", code="creator_required"
        )


# --- Services -------------------------------------------------------------------------------


@transaction.atomic
def create_asset(
    actor: User,
    *,
    upload: Any = None,
    url: str = "",
    body: str = "",
    kind: str = "",
    **fields: Any,
) -> Asset:
    """Add an asset from an upload, a link, or typed text; return it.

    With an upload the kind comes from the sniffed content; a link needs `kind`
    (default "link"); typed text is a text asset.
    """
    require(actor, Cap.PUBLISHING_WORK)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown asset fields: {', '.join(sorted(unknown))}.")
    sources = [bool(upload), bool(url.strip()), bool(body.strip())]
    if sum(sources) != 1:
        raise DomainError(
            "Give exactly one of: a file, a link, or the text itself.", code="invalid_source"
        )
    asset = Asset(organisation_id=actor.organisation_id, owner=actor)
    _apply(asset, fields)
    checked: CheckedUpload | None = None
    if upload:
        checked = check_upload(upload.name, upload, upload.size)
        if kind and kind != checked.kind:
            raise UploadRefused(
                f"“{upload.name}” is {checked.mime_type}, not a {kind} file.",
                details={"file": upload.name, "detected": checked.mime_type},
            )
        asset.kind, asset.mime_type, asset.size = checked.kind, checked.mime_type, checked.size
        asset.width, asset.height = checked.width, checked.height
        if checked.kind == AssetKind.TEXT:
            asset.body = checked.content.decode("utf-8")
    elif url.strip():
        asset.url = _check_url(url)
        asset.kind = kind or AssetKind.LINK
        if asset.kind == AssetKind.TEXT:
            raise DomainError("Text assets hold their text; link it as a link.", code="invalid")
    else:
        asset.kind, asset.body = AssetKind.TEXT, body.strip()
        asset.mime_type, asset.size = "text/plain", len(asset.body.encode())
    if asset.kind not in AssetKind.values:
        raise DomainError(f"Unknown asset kind “{asset.kind}”.", code="invalid_kind")
    if not asset.title.strip() and upload:
        asset.title = upload.name.rsplit(".", 1)[0][:200]
    _check_rules(asset)
    asset.save()
    if checked is not None:
        _store(asset, checked)
    audit.record(actor, "asset.created", asset, changes=audit.snapshot(asset, _AUDITED))
    return asset


def _store(asset: Asset, checked: CheckedUpload) -> None:
    stem = uuid.uuid4().hex
    body = checked.stream if checked.stream is not None else ContentFile(checked.content)
    asset.file.save(f"{stem}{checked.extension}", body, save=False)
    if checked.thumbnail:
        asset.thumbnail.save(f"{stem}.webp", ContentFile(checked.thumbnail), save=False)
    asset.save(update_fields=["file", "thumbnail", "updated_at"])


def _apply(asset: Asset, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name == "tags":
            value = normalise_tags(value or [])
        elif name in ("url", "licence_url"):
            value = _check_url(value or "")
        elif name in ("licence_expires_on",):
            value = value or None
        elif name == "attribution_required":
            value = bool(value)
        elif isinstance(value, str):
            value = value.strip()
        elif value is None:
            value = ""
        setattr(asset, name, value)


@transaction.atomic
def update_asset(actor: User, asset: Asset, **fields: Any) -> Asset:
    """Change an asset's details (not its file: upload a new asset for new content)."""
    require(actor, Cap.PUBLISHING_WORK)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown asset fields: {', '.join(sorted(unknown))}.")
    if asset.file and ("url" in fields or "body" in fields):
        fields = {k: v for k, v in fields.items() if k not in ("url", "body")}
    before = audit.snapshot(asset, _AUDITED)
    _apply(asset, fields)
    if asset.kind == AssetKind.LINK and not asset.url:
        raise DomainError("A link asset needs its address.", code="invalid_url")
    _check_rules(asset)
    asset.save()
    changes = audit.diff(before, audit.snapshot(asset, _AUDITED))
    if changes:
        audit.record(actor, "asset.updated", asset, changes=changes)
    return asset


@transaction.atomic
def record_permission(
    actor: User, asset: Asset, *, creator_handle: str, granted_on: dt.date
) -> Asset:
    """Record that a creator allowed reuse of their content; the asset becomes UGC."""
    require(actor, Cap.PUBLISHING_WORK)
    handle = creator_handle.strip()
    if not handle:
        raise DomainError("Whose permission? Give the creator's handle.", code="creator_required")
    if granted_on > timezone.localdate():
        raise DomainError("Permission cannot be granted in the future.", code="invalid_date")
    before = audit.snapshot(asset, _AUDITED)
    asset.source = AssetSource.UGC
    asset.creator_handle = handle
    asset.permission_granted_on = granted_on
    asset.permission_recorded_by = actor
    asset.save()
    audit.record(
        actor,
        "asset.permission_recorded",
        asset,
        changes=audit.diff(before, audit.snapshot(asset, _AUDITED)),
    )
    return asset


@transaction.atomic
def archive_asset(actor: User, asset: Asset, *, archived: bool = True) -> Asset:
    """Hide an asset from the library (or bring it back); posts that used it keep it."""
    require(actor, Cap.PUBLISHING_WORK)
    if asset.archived != archived:
        asset.archived = archived
        asset.save(update_fields=["archived", "updated_at"])
        audit.record(actor, "asset.archived" if archived else "asset.restored", asset)
    return asset


# --- Reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetFilters:
    q: str = ""
    tag: str = ""
    kind: str = ""
    source: str = ""
    licence: str = ""
    # "expired", "expiring" (within 30 days), "valid" (not expired or no expiry), or "".
    expiry: str = ""
    archived: bool = False


def assets_visible_to(viewer: User) -> QuerySet[Asset]:
    """Return the organisation's assets, if the viewer may see publishing."""
    if not viewer.can(Cap.PUBLISHING_VIEW):
        raise NotAllowed("Your role does not allow seeing the asset library.")
    return Asset.objects.filter(organisation_id=viewer.organisation_id)


def get_asset_for_user(viewer: User, public_id: str | uuid.UUID) -> Asset:
    try:
        wanted = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
        return assets_visible_to(viewer).select_related("owner").get(public_id=wanted)
    except (ValueError, Asset.DoesNotExist):
        raise NotFound("No such asset.") from None


def search_assets(
    viewer: User, filters: AssetFilters, *, on: dt.date | None = None
) -> QuerySet[Asset]:
    """Return the viewer's assets matching the filters, newest first, with their use counts."""
    today = on or timezone.localdate()
    found = assets_visible_to(viewer).filter(archived=filters.archived)
    if filters.q.strip():
        words = filters.q.strip()
        found = found.filter(
            Q(title__icontains=words)
            | Q(description__icontains=words)
            | Q(alt_text__icontains=words)
            | Q(licence__icontains=words)
            | Q(tags__icontains=words)
        )
    if filters.tag.strip():
        # Tags are normalised without quotes, so the quoted form matches one whole tag.
        tag = filters.tag.strip().lstrip("#").lower()
        found = found.filter(tags__icontains=f'"{tag}"')
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.source:
        found = found.filter(source=filters.source)
    if filters.licence.strip():
        found = found.filter(licence__icontains=filters.licence.strip())
    soon = today + dt.timedelta(days=EXPIRING_SOON_DAYS)
    if filters.expiry == "expired":
        found = found.filter(licence_expires_on__lt=today)
    elif filters.expiry == "expiring":
        found = found.filter(licence_expires_on__gte=today, licence_expires_on__lte=soon)
    elif filters.expiry == "valid":
        found = found.filter(Q(licence_expires_on__isnull=True) | Q(licence_expires_on__gte=today))
    return (
        found.select_related("owner")
        .annotate(use_count=Count("variants", distinct=True))
        .order_by("-created_at", "-id")
    )


def licences_in_use(viewer: User) -> list[str]:
    """Return the distinct licence names in the library, for the filter's suggestions."""
    names = (
        assets_visible_to(viewer)
        .exclude(licence="")
        .values_list("licence", flat=True)
        .distinct()
        .order_by("licence")
    )
    return list(names[:100])


def tags_in_use(viewer: User, *, limit: int = 60) -> list[str]:
    """Return the most used tags in the library (computed in Python: tags live in JSON)."""
    counts: dict[str, int] = {}
    for tags in assets_visible_to(viewer).filter(archived=False).values_list("tags", flat=True):
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def asset_usage(asset: Asset) -> list[PostVariant]:
    """Return the post variants that used the asset, newest first, with post and account."""
    return list(
        PostVariant.objects.filter(assets=asset)
        .select_related("post", "post__author", "channel")
        .order_by("-created_at")[:200]
    )


def assets_by_ids(viewer: User, ids: Sequence[str | uuid.UUID]) -> list[Asset]:
    """Return the viewer's live assets among the public ids given (unknown ones left out)."""
    wanted = []
    for value in ids:
        try:
            wanted.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    return list(assets_visible_to(viewer).filter(public_id__in=wanted, archived=False))


def licence_status(asset: Asset, *, on: dt.date | None = None) -> str:
    """Return "expired", "expiring" (within 30 days), or "" for an asset's licence."""
    today = on or timezone.localdate()
    if asset.licence_expires_on is None:
        return ""
    if asset.licence_expires_on < today:
        return "expired"
    if asset.licence_expires_on <= today + dt.timedelta(days=EXPIRING_SOON_DAYS):
        return "expiring"
    return ""
