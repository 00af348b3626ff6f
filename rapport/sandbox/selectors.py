"""Reads of the sandbox network that depend on who is looking."""

from __future__ import annotations

import hashlib

from django.db.models import Exists, OuterRef, Q, QuerySet

from rapport.sandbox.models import (
    SandboxAccount,
    SandboxFollow,
    SandboxStatus,
    ScenarioRun,
    Visibility,
)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def account_for_token(raw: str) -> SandboxAccount | None:
    """Return the account a bearer token belongs to, or None."""
    if not raw:
        return None
    return SandboxAccount.objects.filter(token_hash=hash_token(raw)).first()


def statuses_visible_to(viewer: SandboxAccount | None) -> QuerySet[SandboxStatus]:
    """Return the statuses `viewer` may read: public and unlisted ones, and private ones
    they wrote, were mentioned in, or (followers-only) follow the author of."""
    visible = Q(visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
    if viewer is not None:
        mentioned = SandboxStatus.mentions.through.objects.filter(
            sandboxstatus_id=OuterRef("pk"), sandboxaccount_id=viewer.pk
        )
        follows = SandboxFollow.objects.filter(follower=viewer, target_id=OuterRef("account_id"))
        visible |= Q(account=viewer) | Q(Exists(mentioned))
        visible |= Q(visibility=Visibility.PRIVATE) & Q(Exists(follows))
    return SandboxStatus.objects.filter(visible)


def public_timeline() -> QuerySet[SandboxStatus]:
    """Return what anyone sees on the public timeline: public posts, no boosts."""
    return SandboxStatus.objects.filter(visibility=Visibility.PUBLIC, reblog_of__isnull=True)


def tag_timeline(tag: str) -> QuerySet[SandboxStatus]:
    return public_timeline().filter(tags__name=tag.lower().lstrip("#"))


def direct_statuses_of(viewer: SandboxAccount) -> QuerySet[SandboxStatus]:
    """Return the direct messages `viewer` wrote or was mentioned in."""
    mentioned = SandboxStatus.mentions.through.objects.filter(
        sandboxstatus_id=OuterRef("pk"), sandboxaccount_id=viewer.pk
    )
    return SandboxStatus.objects.filter(visibility=Visibility.DIRECT).filter(
        Q(account=viewer) | Q(Exists(mentioned))
    )


def current_run() -> ScenarioRun | None:
    return ScenarioRun.objects.select_related("brand").order_by("-id").first()
