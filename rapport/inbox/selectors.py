"""Reads of the inbox that depend on who is asking: lists, one conversation, search."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import ForeignKey, Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Team, User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.customers.models import Customer
from rapport.inbox.models import (
    ACTIVE_STATUSES,
    Conversation,
    Kind,
    Macro,
    Message,
    Notification,
    Priority,
    SavedView,
    Status,
    Tag,
)
from rapport.lib import bulk
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
) -> tuple[list[ConversationRow], str | None]:
    """Return one page of the inbox as light rows, newest activity first, and the next cursor.

    Two queries whatever the page size: the conversations with their customer,
    channel, assignee and team, then their tags. The rows carry what the list
    shows (see `ConversationRow`), not model instances.
    """
    rows, tags, next_cursor = _page(viewer, filters, cursor, limit)
    return [ConversationRow.from_values(row, sorted(tags[row[0]])) for row in rows], next_cursor


def inbox_rows(
    viewer: User, filters: InboxFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, object]], str | None]:
    """Return one page of the inbox as plain dicts in the API's shape, and the next cursor.

    The API's hot path: `inbox_list`'s two queries and light rows, no model
    instances, so a page of 50 costs little more than the database's own time.
    """
    page, next_cursor = inbox_list(viewer, filters, cursor=cursor, limit=limit)
    return [_api_row(row) for row in page], next_cursor


# What one row of the inbox list shows, in the order `_page` reads it (after the id).
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
# Customer and channel are required on a conversation, assignee and team are not.
_LIST_JOINS = {"customer": "cu", "channel": "ch", "assignee": "u", "team": "t"}
_OUTER = {"assignee", "team"}


def _list_column(name: str) -> tuple[str, Any]:
    relation, _, attribute = name.rpartition("__")
    if not relation:
        return "c", Conversation._meta.get_field(attribute)
    related = Conversation._meta.get_field(relation).related_model
    return _LIST_JOINS[relation], related._meta.get_field(attribute)  # type: ignore[union-attr]


_LIST_COLUMNS = bulk.Columns(
    [("c", Conversation._meta.pk), *(_list_column(name) for name in LIST_FIELDS)]
)
_TAGS_COLUMNS = bulk.Columns(
    [
        ("ct", Conversation.tags.through._meta.get_field("conversation")),
        ("tg", Tag._meta.get_field("name")),
    ]
)


def _list_from() -> str:
    quote = connection.ops.quote_name
    joins = [f"{quote(Conversation._meta.db_table)} c"]
    for relation, alias in _LIST_JOINS.items():
        field = Conversation._meta.get_field(relation)
        assert isinstance(field, ForeignKey)
        table = quote(field.related_model._meta.db_table)  # type: ignore[union-attr]
        kind = "LEFT OUTER JOIN" if relation in _OUTER else "INNER JOIN"
        joins.append(f"{kind} {table} {alias} ON {alias}.id = c.{quote(field.column)}")
    return " ".join(joins)


def _page(
    viewer: User, f: InboxFilter, cursor: str | None, limit: int
) -> tuple[list[list[Any]], dict[int, list[str]], str | None]:
    """Read one page: its rows (id, then LIST_FIELDS), each row's tags, the next cursor.

    Hand-written SQL read through the ORM's converters: compiling the same
    queries with the ORM cost more than running them on a million messages.
    """
    limit = max(1, min(limit, 200))
    where, params = _where(viewer, f)
    if where is None:
        return [], {}, None
    if cursor:
        at, pk = decode_cursor(cursor)
        at_value = _prep(Conversation, "last_message_at", at)
        where.append("(c.last_message_at < %s OR (c.last_message_at = %s AND c.id < %s))")
        params += [at_value, at_value, pk]
    sql = (
        f"SELECT {_LIST_COLUMNS.sql(connection)} FROM {_list_from()} "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY c.last_message_at DESC, c.id DESC LIMIT %s"
    )
    with connection.cursor() as db:
        db.execute(sql, [*params, limit + 1])
        rows = _LIST_COLUMNS.read(db.db, db.fetchall())
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor(rows[-1][_AT], rows[-1][0])
        tags: dict[int, list[str]] = {row[0]: [] for row in rows}
        if tags:
            quote = connection.ops.quote_name
            db.execute(
                f"SELECT {_TAGS_COLUMNS.sql(connection)} "
                f"FROM {quote(Conversation.tags.through._meta.db_table)} ct "
                f"INNER JOIN {quote(Tag._meta.db_table)} tg ON tg.id = ct.tag_id "
                f"WHERE ct.conversation_id IN ({', '.join(['%s'] * len(tags))})",
                list(tags),
            )
            for conversation_id, name in _TAGS_COLUMNS.read(db.db, db.fetchall()):
                tags[conversation_id].append(name)
    return rows, tags, next_cursor


# Positions in `_page`'s rows, which start with the id.
_AT = 1 + LIST_FIELDS.index("last_message_at")
_CUSTOMER = 1 + LIST_FIELDS.index("customer__public_id")
_CHANNEL = 1 + LIST_FIELDS.index("channel__public_id")
_ASSIGNEE = 1 + LIST_FIELDS.index("assignee__public_id")
_TEAM = 1 + LIST_FIELDS.index("team__public_id")


def _prep(model: type[Any], field: str, value: Any) -> Any:
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _where(viewer: User, f: InboxFilter) -> tuple[list[str] | None, list[Any]]:
    """Return the WHERE clauses and parameters of a filter; None when nothing can match."""
    _require_view(viewer)
    where = ["c.organisation_id = %s", "c.merged_into_id IS NULL"]
    params: list[Any] = [viewer.organisation_id]

    def one_of(column: str, values: Sequence[Any]) -> None:
        where.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        params.extend(values)

    if f.status:
        one_of("c.status", list(f.status))
    if f.active:
        one_of("c.status", [str(status) for status in ACTIVE_STATUSES])
    if f.team:
        where.append("t.public_id = %s")
        params.append(_prep(Team, "public_id", f.team))
    if f.mine:
        where.append("c.assignee_id = %s")
        params.append(viewer.pk)
    elif f.assignee:
        where.append("u.public_id = %s")
        params.append(_prep(User, "public_id", f.assignee))
    if f.unassigned:
        where.append("c.assignee_id IS NULL")
    if f.kind:
        one_of("c.kind", list(f.kind))
    if f.priority_at_least:
        where.append("c.priority >= %s")
        params.append(f.priority_at_least)
    if f.channel:
        where.append("ch.public_id = %s")
        params.append(_prep(Channel, "public_id", f.channel))
    if f.customer:
        where.append("cu.public_id = %s")
        params.append(_prep(Customer, "public_id", f.customer))
    if f.tag:
        quote = connection.ops.quote_name
        where.append(
            f"c.id IN (SELECT ct.conversation_id "
            f"FROM {quote(Conversation.tags.through._meta.db_table)} ct "
            f"INNER JOIN {quote(Tag._meta.db_table)} tg ON tg.id = ct.tag_id "
            "WHERE tg.name = %s)"
        )
        params.append(f.tag.lower())
    now = timezone.now()
    if f.breached:
        where.append("c.next_due_at <= %s")
        params.append(_prep(Conversation, "next_due_at", now))
    elif f.breaching_within_minutes is not None:
        where.append("c.next_due_at > %s AND c.next_due_at <= %s")
        soon = now + dt.timedelta(minutes=f.breaching_within_minutes)
        params += [
            _prep(Conversation, "next_due_at", now),
            _prep(Conversation, "next_due_at", soon),
        ]
    if f.q:
        ids = matching_conversation_ids(viewer, f.q)
        if not ids:
            return None, []
        one_of("c.id", ids)
    return where, params


def _api_row(row: ConversationRow) -> dict[str, object]:
    """Return a row in ConversationOut's shape (a test holds it to that schema).

    Times are already text in the API's format (`_time_text`), so the JSON
    encoder writes strings instead of calling back into Python for each one.
    """
    channel, assignee, team = row.channel, row.assignee, row.team
    return {
        "id": row.public_id,
        "number": row.pk,
        "subject": row.subject,
        "status": row.status,
        "kind": row.kind,
        "priority": row.priority,
        "is_public": row.is_public,
        "channel": {"id": channel.public_id, "name": channel.name, "kind": channel.kind},
        "customer": {"id": row.customer.public_id, "display_name": row.customer.display_name},
        "assignee": None
        if assignee is None
        else {"id": assignee.public_id, "email": assignee.email, "full_name": assignee.full_name},
        "team": None if team is None else {"id": team.public_id, "name": team.name},
        "tags": row.tag_names,
        "language": row.language,
        "intent": row.intent,
        "sentiment": row.sentiment,
        "brand_risk": row.brand_risk,
        "last_message_at": _time_text(row.last_message_at),
        "last_message_preview": row.last_message_preview,
        "message_count": row.message_count,
        "timers": {
            "first_response_due_at": _time_text(row.first_response_due_at),
            "first_responded_at": _time_text(row.first_responded_at),
            "next_response_due_at": _time_text(row.next_response_due_at),
            "resolution_due_at": _time_text(row.resolution_due_at),
            "next_due_at": _time_text(row.next_due_at),
            "paused": row.sla_paused_at is not None,
        },
        "snoozed_until": _time_text(row.snoozed_until),
        "created_at": _time_text(row.created_at),
    }


def _time_text(value: dt.datetime | None) -> str | None:
    # What Django's JSON encoder writes (and so the API everywhere): ISO 8601 with
    # milliseconds, "Z" for UTC. A test holds the two to the same text.
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


# --- Light rows of the inbox list ----------------------------------------------------

_STATUS_LABELS = dict(Status.choices)
_KIND_LABELS = dict(Kind.choices)
_PRIORITY_LABELS = dict(Priority.choices)


@dataclass(slots=True)
class CustomerRef:
    public_id: uuid.UUID
    display_name: str


@dataclass(slots=True)
class ChannelRef:
    public_id: uuid.UUID
    name: str
    kind: str


@dataclass(slots=True)
class UserRef:
    public_id: uuid.UUID
    email: str
    full_name: str

    @property
    def display_name(self) -> str:
        # As User.display_name.
        return self.full_name or self.email.split("@")[0]


@dataclass(slots=True)
class TeamRef:
    public_id: uuid.UUID
    name: str


@dataclass(slots=True)
class ConversationRow:
    """One conversation as the inbox list shows it: the fields a page reads, no model.

    Not frozen: a frozen dataclass sets each of its 27 fields through
    `object.__setattr__`, 6 us a row instead of 0.6.
    """

    pk: int
    public_id: uuid.UUID
    subject: str
    status: str
    kind: str
    priority: int
    is_public: bool
    language: str
    intent: str
    sentiment: float
    brand_risk: float
    last_message_at: dt.datetime
    last_message_preview: str
    message_count: int
    first_response_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    next_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    next_due_at: dt.datetime | None
    sla_paused_at: dt.datetime | None
    snoozed_until: dt.datetime | None
    created_at: dt.datetime
    customer: CustomerRef
    channel: ChannelRef
    assignee: UserRef | None
    team: TeamRef | None
    tag_names: list[str]

    @classmethod
    def from_values(cls, v: list[Any], tag_names: list[str]) -> ConversationRow:
        """Build a row from `_page`'s values: the id, then LIST_FIELDS in order."""
        cu, ch, u, t = _CUSTOMER, _CHANNEL, _ASSIGNEE, _TEAM
        return cls(  # type: ignore[call-arg]  # the conversation's own fields, in order
            *v[:cu],
            CustomerRef(v[cu], v[cu + 1]),
            ChannelRef(v[ch], v[ch + 1], v[ch + 2]),
            None if v[u] is None else UserRef(v[u], v[u + 1], v[u + 2]),
            None if v[t] is None else TeamRef(v[t], v[t + 1]),
            tag_names,
        )

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))

    def get_kind_display(self) -> str:
        return str(_KIND_LABELS.get(self.kind, self.kind))

    def get_priority_display(self) -> str:
        return str(_PRIORITY_LABELS.get(self.priority, self.priority))


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
