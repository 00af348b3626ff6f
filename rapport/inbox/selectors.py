"""Reads of the inbox that depend on who is asking: lists, one conversation, search."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.inbox.models import (
    ACTIVE_STATUSES,
    Conversation,
    Macro,
    Message,
    Notification,
    SavedView,
)
from rapport.lib.cursors import decode_cursor, encode_cursor
from rapport.lib.errors import NotAllowed, NotFound
from rapport.lib.ids import parse_public_id


def _require_view(viewer: User) -> None:
    if not viewer.can(Cap.INBOX_VIEW):
        raise NotAllowed("Your role does not allow reading the inbox.")


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox list shows. Empty fields filter nothing."""

    status: Sequence[str] = ()
    active: bool = False
    team: uuid.UUID | None = None
    assignee: uuid.UUID | None = None
    mine: bool = False
    unassigned: bool = False
    kind: Sequence[str] = ()
    priority_at_least: int | None = None
    channel: uuid.UUID | None = None
    customer: uuid.UUID | None = None
    tag: str = ""
    breaching_within_minutes: int | None = None
    breached: bool = False
    q: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def conversations_visible_to(viewer: User) -> QuerySet[Conversation]:
    """Return the organisation's live (not merged-away) conversations."""
    _require_view(viewer)
    return Conversation.objects.filter(
        organisation_id=viewer.organisation_id, merged_into__isnull=True
    )


def inbox_list(
    viewer: User, filters: InboxFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Conversation], str | None]:
    """Return one page of the inbox, newest activity first, and the cursor of the next page.

    Two queries whatever the page size: the conversations with their customer,
    channel, assignee and team, then their tags.
    """
    limit = max(1, min(limit, 200))
    rows = _filtered(viewer, filters)
    if cursor:
        at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, pk__lt=pk))
    rows = (
        rows.select_related("customer", "channel", "assignee", "team")
        .only(*LIST_FIELDS)
        .order_by("-last_message_at", "-pk")
    )
    page = list(rows[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(page[-1].last_message_at, page[-1].pk)
    attach_tag_names(page)
    return page, next_cursor


def inbox_rows(
    viewer: User, filters: InboxFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, object]], str | None]:
    """Return one page of the inbox as plain dicts in the API's shape, and the next cursor.

    The API's hot path: two queries and no model instances, so a page of 50
    costs a few milliseconds more than the database's own time.
    """
    limit = max(1, min(limit, 200))
    rows = _filtered(viewer, filters)
    if cursor:
        at, pk = decode_cursor(cursor)
        rows = rows.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, pk__lt=pk))
    page = list(rows.order_by("-last_message_at", "-pk").values("pk", *LIST_FIELDS)[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(page[-1]["last_message_at"], page[-1]["pk"])
    tags: dict[int, list[str]] = {row["pk"]: [] for row in page}
    if tags:
        links = Conversation.tags.through.objects.filter(conversation_id__in=list(tags))
        for conversation_id, name in links.values_list("conversation_id", "tag__name"):
            tags[conversation_id].append(name)
    return [_api_row(row, sorted(tags[row["pk"]])) for row in page], next_cursor


def _ref(row: dict[str, Any], prefix: str, *fields: str) -> dict[str, Any] | None:
    if row[f"{prefix}__public_id"] is None:
        return None
    return {"id": row[f"{prefix}__public_id"], **{f: row[f"{prefix}__{f}"] for f in fields}}


def _api_row(row: dict[str, Any], tag_names: list[str]) -> dict[str, object]:
    return {
        "id": row["public_id"],
        "number": row["pk"],
        "subject": row["subject"],
        "status": row["status"],
        "kind": row["kind"],
        "priority": row["priority"],
        "is_public": row["is_public"],
        "channel": _ref(row, "channel", "name", "kind"),
        "customer": _ref(row, "customer", "display_name"),
        "assignee": _ref(row, "assignee", "email", "full_name"),
        "team": _ref(row, "team", "name"),
        "tags": tag_names,
        "language": row["language"],
        "intent": row["intent"],
        "sentiment": row["sentiment"],
        "brand_risk": row["brand_risk"],
        "last_message_at": row["last_message_at"],
        "last_message_preview": row["last_message_preview"],
        "message_count": row["message_count"],
        "timers": {
            "first_response_due_at": row["first_response_due_at"],
            "first_responded_at": row["first_responded_at"],
            "next_response_due_at": row["next_response_due_at"],
            "resolution_due_at": row["resolution_due_at"],
            "next_due_at": row["next_due_at"],
            "paused": row["sla_paused_at"] is not None,
        },
        "snoozed_until": row["snoozed_until"],
        "created_at": row["created_at"],
    }


# What one row of the inbox list shows; loading only these keeps a page cheap.
LIST_FIELDS = (
    "public_id",
    "subject",
    "status",
    "kind",
    "priority",
    "is_public",
    "language",
    "intent",
    "sentiment",
    "brand_risk",
    "last_message_at",
    "last_message_preview",
    "message_count",
    "first_response_due_at",
    "first_responded_at",
    "next_response_due_at",
    "resolution_due_at",
    "next_due_at",
    "sla_paused_at",
    "snoozed_until",
    "created_at",
    "customer__public_id",
    "customer__display_name",
    "channel__public_id",
    "channel__name",
    "channel__kind",
    "assignee__public_id",
    "assignee__email",
    "assignee__full_name",
    "team__public_id",
    "team__name",
)


def attach_tag_names(conversations: list[Conversation]) -> None:
    """Set `tag_names` on each conversation with one query for the whole page."""
    names: dict[int, list[str]] = {c.pk: [] for c in conversations}
    if names:
        links = Conversation.tags.through.objects.filter(conversation_id__in=list(names))
        for conversation_id, name in links.values_list("conversation_id", "tag__name"):
            names[conversation_id].append(name)
    for conversation in conversations:
        conversation.tag_names = sorted(names[conversation.pk])  # type: ignore[attr-defined]


def _filtered(viewer: User, f: InboxFilter) -> QuerySet[Conversation]:
    rows = conversations_visible_to(viewer)
    if f.status:
        rows = rows.filter(status__in=list(f.status))
    if f.active:
        rows = rows.filter(status__in=ACTIVE_STATUSES)
    if f.team:
        rows = rows.filter(team__public_id=f.team)
    if f.mine:
        rows = rows.filter(assignee_id=viewer.pk)
    elif f.assignee:
        rows = rows.filter(assignee__public_id=f.assignee)
    if f.unassigned:
        rows = rows.filter(assignee__isnull=True)
    if f.kind:
        rows = rows.filter(kind__in=list(f.kind))
    if f.priority_at_least:
        rows = rows.filter(priority__gte=f.priority_at_least)
    if f.channel:
        rows = rows.filter(channel__public_id=f.channel)
    if f.customer:
        rows = rows.filter(customer__public_id=f.customer)
    if f.tag:
        rows = rows.filter(tags__name=f.tag.lower())
    now = timezone.now()
    if f.breached:
        rows = rows.filter(next_due_at__lte=now)
    elif f.breaching_within_minutes is not None:
        rows = rows.filter(
            next_due_at__gt=now,
            next_due_at__lte=now + dt.timedelta(minutes=f.breaching_within_minutes),
        )
    if f.q:
        rows = rows.filter(pk__in=matching_conversation_ids(viewer, f.q))
    return rows


def get_conversation_for_user(viewer: User, public_id: str | uuid.UUID) -> Conversation:
    _require_view(viewer)
    try:
        return (
            Conversation.objects.filter(organisation_id=viewer.organisation_id)
            .select_related("customer", "channel", "assignee", "team", "sla_policy", "merged_into")
            .prefetch_related("tags", "resolutions")
            .get(public_id=parse_public_id(public_id, "conversation"))
        )
    except Conversation.DoesNotExist:
        raise NotFound("No such conversation.") from None


def messages_of(viewer: User, conversation: Conversation) -> QuerySet[Message]:
    """Return the conversation's messages in order, notes included, with their authors."""
    _require_view(viewer)
    if conversation.organisation_id != viewer.organisation_id:
        raise NotFound("No such conversation.")
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author_customer", "author_user")
        .prefetch_related("attachments")
        .order_by("sent_at", "id")
    )


# --- Full-text search ----------------------------------------------------------------

_TOKEN = re.compile(r"\w+", re.UNICODE)
SEARCH_LIMIT = 1000


def _fts_query(text: str) -> str:
    tokens = _TOKEN.findall(text)[:12]
    # Each token quoted: nothing the user types is FTS syntax; the last one is a prefix.
    quoted = ['"' + token.replace('"', '""') + '"' for token in tokens]
    if quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


def _pg_query(text: str) -> str:
    # Word characters only, so nothing the user types is tsquery syntax; every
    # word must match and the last one is a prefix, as on SQLite.
    tokens = [token.lower() for token in _TOKEN.findall(text)[:12]]
    return " & ".join(tokens[:-1] + [tokens[-1] + ":*"])


def matching_message_ids(viewer: User, text: str, limit: int = SEARCH_LIMIT) -> list[int]:
    """Return the ids of the best-matching messages of the viewer's organisation.

    SQLite uses the FTS5 index, PostgreSQL its full-text index. Every word must
    match (the last as a prefix) and the newest messages come first, as in a
    mail client: ranking every match by relevance costs 30 to 50 times more
    on common words, and agents look for recent conversations.
    """
    _require_view(viewer)
    if not _TOKEN.search(text):
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT m.id FROM inbox_message_fts f JOIN inbox_message m ON m.id = f.rowid "
                "WHERE inbox_message_fts MATCH %s AND m.organisation_id = %s "
                "ORDER BY f.rowid DESC LIMIT %s",
                [_fts_query(text), viewer.organisation_id, limit],
            )
        elif connection.vendor == "postgresql":
            query = _pg_query(text)
            cursor.execute(
                "SELECT id FROM inbox_message "
                "WHERE search_vector @@ to_tsquery('simple', %s) "
                "AND organisation_id = %s "
                "ORDER BY id DESC LIMIT %s",
                [query, viewer.organisation_id, limit],
            )
        else:  # pragma: no cover - other databases: a plain scan
            return list(
                Message.objects.filter(
                    organisation_id=viewer.organisation_id, text__icontains=text
                ).values_list("id", flat=True)[:limit]
            )
        return [row[0] for row in cursor.fetchall()]


def matching_conversation_ids(viewer: User, text: str) -> list[int]:
    ids = matching_message_ids(viewer, text)
    if not ids:
        return []
    return list(
        Message.objects.filter(pk__in=ids).values_list("conversation_id", flat=True).distinct()
    )


# --- Macros, views, notifications -----------------------------------------------------


def macros_for(viewer: User, q: str = "") -> QuerySet[Macro]:
    """Return the macros the viewer may use: shared ones, their teams' and their own."""
    _require_view(viewer)
    team_ids = list(viewer.memberships.values_list("team_id", flat=True))
    rows = Macro.objects.filter(organisation_id=viewer.organisation_id).filter(
        Q(owner__isnull=True, team__isnull=True) | Q(owner=viewer) | Q(team_id__in=team_ids)
    )
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(body__icontains=q))
    return rows.order_by("-usage_count", "name")


def saved_views_for(viewer: User) -> QuerySet[SavedView]:
    _require_view(viewer)
    return SavedView.objects.filter(organisation_id=viewer.organisation_id).filter(
        Q(owner=viewer) | Q(is_shared=True)
    )


def unread_notifications(viewer: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=viewer, read_at__isnull=True).select_related(
        "conversation"
    )


def supervisors_for(organisation_id: int, team_id: int | None) -> list[User]:
    """Return who oversees a conversation: its team's leads, else the organisation's supervisors."""
    if team_id is not None:
        leads = list(
            User.objects.filter(
                memberships__team_id=team_id, memberships__is_lead=True, is_active=True
            )
        )
        if leads:
            return leads
    return list(
        User.objects.filter(organisation_id=organisation_id, role="supervisor", is_active=True)
    )
