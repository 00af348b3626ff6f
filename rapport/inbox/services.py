"""State changes in the inbox: ingest, replies, notes, assignment, status, resolutions.

`ingest` is the hot path: a batch of inbound events becomes messages and
conversations in one transaction with a fixed number of queries, whatever the
batch size. The agent-facing services take the acting user first, check
rights, run in a transaction and write the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, F
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import Team, User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.connectors.events import EventKind, InboundEvent
from rapport.customers.services import (
    Author,
    ResolvedCustomer,
    normalise_handle,
    resolve_customers,
)
from rapport.inbox import selectors, sla
from rapport.inbox.indexing import insert_messages
from rapport.inbox.models import (
    ACTIVE_STATUSES,
    Attachment,
    ComplaintResolution,
    Conversation,
    CustomerAcceptance,
    DeliveryStatus,
    Direction,
    Kind,
    KindCorrection,
    Macro,
    Message,
    Notification,
    Priority,
    ResolutionAction,
    SavedView,
    SlaPolicy,
    Status,
    Tag,
)
from rapport.inbox.routing import Facts, Router
from rapport.lib import bulk
from rapport.lib.errors import Conflict, DomainError, NotAllowed
from rapport.lib.uploads import check_file

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 200
MAX_MESSAGE_LENGTH = 100_000
# A customer writing into a conversation closed longer ago than this starts a
# new conversation linked to the old one, instead of reopening it.
REOPEN_WINDOW = dt.timedelta(days=settings.RAPPORT_REOPEN_WINDOW_DAYS)

_URGENCY_PRIORITY = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "critical": Priority.URGENT,
}
_KIND_OF_EVENT = {EventKind.REVIEW: Kind.REVIEW}


# --- Triage ------------------------------------------------------------------------


@dataclass(frozen=True)
class TextTriage:
    kind: str = Kind.OTHER
    sentiment: float = 0.0
    persona: str = ""
    urgency: str = "normal"
    brand_risk: float = 0.0
    language: str = ""
    intent: str = ""
    reasons: tuple[str, ...] = ()


_engine: Any = None


def triage_engine() -> Any:
    """Return the triage engine, loaded once; None when triage is not installed."""
    global _engine
    if _engine is None:
        try:
            from rapport.triage import default_engine  # type: ignore[attr-defined,unused-ignore]

            _engine = default_engine()
        except Exception:
            # Messages must still come in when triage cannot load; they arrive unclassified.
            logger.exception("triage is unavailable; ingesting without classification")
            _engine = False
    return _engine or None


def classify(
    texts: Sequence[str],
    *,
    platforms: Sequence[str | None] | None = None,
    replies: Sequence[bool | None] | None = None,
) -> list[TextTriage]:
    engine = triage_engine()
    if engine is None or not texts:
        return [TextTriage() for _ in texts]
    results = engine.classify_batch(list(texts), platform=platforms, is_reply=replies)
    return [
        TextTriage(
            kind=str(r.kind),
            sentiment=float(getattr(r, "sentiment_score", 0.0) or 0.0),
            persona=str(getattr(r, "persona", "") or ""),
            urgency=str(getattr(r, "urgency", "normal") or "normal"),
            brand_risk=float(getattr(r, "brand_risk", 0.0) or 0.0),
            language=str(getattr(r, "language", "") or "")[:12],
            intent=str(getattr(r, "intent", "") or "")[:80],
            reasons=tuple(str(x) for x in (getattr(r, "reasons", ()) or ()))[:5],
        )
        for r in results
    ]


# --- Ingest ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngestedMessage:
    """A message ingest wrote, as plain values: hooks read these instead of the rows."""

    pk: int
    organisation_id: int
    sent_at: dt.datetime
    text: str
    kind: str
    sentiment: float
    brand_risk: float


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    automated_dropped: int = 0
    conversations_opened: int = 0
    conversations_updated: int = 0
    message_ids: list[int] = field(default_factory=list)
    opened_ids: set[int] = field(default_factory=set)
    # Every message written, as stored, in the order of `message_ids`.
    inbound: list[IngestedMessage] = field(default_factory=list)
    # (conversation id, assignee id) for each new conversation routing gave to someone.
    routed: list[tuple[int, int]] = field(default_factory=list)


ingested_hooks: list[Callable[[IngestResult], None]] = []


def ingest(
    channel: Channel,
    events: Sequence[InboundEvent],
    *,
    cursor: str | None = None,
    attachments: Mapping[str, bytes] | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Turn a batch of inbound events into messages and conversations, exactly once.

    Events already stored (same channel and external id) are dropped, so a
    replayed batch changes nothing. The channel's new cursor is saved in the
    same transaction as the messages. Two batches racing to create the same
    customer identity make one of them retry once. `attachments` holds the
    bytes a connector fetched, keyed by the `MediaRef.url` that names them.
    """
    for attempt in (1, 2):
        try:
            return _ingest(channel, events, cursor=cursor, attachments=attachments, now=now)
        except IntegrityError:
            if attempt == 2:
                raise
            logger.info("ingest into %s raced another batch; retrying", channel.pk)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class _Pending:
    event: InboundEvent
    triage: TextTriage
    customer: ResolvedCustomer
    conversation: Conversation | None = None


def _ingest(
    channel: Channel,
    events: Sequence[InboundEvent],
    *,
    cursor: str | None,
    attachments: Mapping[str, bytes] | None,
    now: dt.datetime | None,
) -> IngestResult:
    now = now or timezone.now()
    result = IngestResult()
    with transaction.atomic():
        fresh = _drop_seen(channel, events, result)
        pending = _prepare(channel, fresh)
        _thread(channel, pending, now, result)
        stored = [p for p in pending if p.conversation is not None]
        rows = [_message_row(channel, p, now) for p in stored]
        result.message_ids = insert_messages(rows)
        result.created = len(rows)
        result.inbound = [
            IngestedMessage(
                pk,
                row["organisation_id"],
                _aware(row["sent_at"]),
                row["text"],
                row["kind"],
                row["sentiment"],
                row["brand_risk"],
            )
            for pk, row in zip(result.message_ids, rows, strict=True)
        ]
        _attach_media(stored, result.message_ids, attachments or {})
        if cursor is not None:
            Channel.objects.filter(pk=channel.pk).update(cursor=cursor, last_success_at=now)
        transaction.on_commit(lambda: _after_ingest(result))
    return result


# Hand-written SQL for the lookups ingest makes with a batch's hundreds of ids: an ORM
# `__in` lookup prepares every value through its field, which cost ten times the query
# itself (about 4-6 ms for 500 values).


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _select(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _among(column: str, values: Sequence[Any]) -> RawSQL:
    """Return `column IN (values)` for a queryset's filter, the values passed as they are."""
    return RawSQL(f"{column} IN ({_marks(values)})", list(values), output_field=BooleanField())


def _aware(moment: dt.datetime) -> dt.datetime:
    # A naive time is stored as UTC (see bulk), so that is how it reads back.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _drop_seen(
    channel: Channel, events: Sequence[InboundEvent], result: IngestResult
) -> list[InboundEvent]:
    ids = list({event.external_id for event in events})
    if not ids:
        return []
    seen = {
        external_id
        for (external_id,) in _select(
            f"SELECT external_id FROM {_table(Message)} "
            f"WHERE channel_id = %s AND external_id IN ({_marks(ids)})",
            [channel.pk, *ids],
        )
    }
    fresh = []
    for event in events:
        if event.external_id in seen:
            result.duplicates += 1
            continue
        seen.add(event.external_id)
        fresh.append(event)
    return fresh


def _prepare(channel: Channel, events: list[InboundEvent]) -> list[_Pending]:
    texts = [event.text[:MAX_MESSAGE_LENGTH] for event in events]
    triaged = classify(
        texts,
        platforms=[_triage_platform(event) for event in events],
        replies=[event.parent_id is not None or event.kind == EventKind.REPLY for event in events],
    )
    authors = [_author(event) for event in events]
    customers = resolve_customers(channel.organisation, authors)
    return [
        _Pending(event, triage, customers[(author.platform, normalise_handle(author.handle))])
        for event, triage, author in zip(events, triaged, authors, strict=True)
    ]


def _triage_platform(event: InboundEvent) -> str:
    """Return where triage should read the message as written: a review site, privately..."""
    # Triage weighs a private message's risk lower and reads anything on a review
    # feed as a review; the kind of event says more than the network's name.
    if event.kind == EventKind.REVIEW:
        return "review"
    if event.kind in (EventKind.DIRECT_MESSAGE, EventKind.EMAIL, EventKind.FORM):
        return str(event.kind)
    return event.platform if event.is_public else "direct_message"


def _author(event: InboundEvent) -> Author:
    if event.author_email and event.kind in (EventKind.EMAIL, EventKind.FORM):
        return Author("email", event.author_email, event.author_name or event.author_email)
    handle = event.author_handle or event.author_email or "unknown"
    return Author(event.platform, handle, event.author_name, event.author_email)


def _thread(
    channel: Channel, pending: list[_Pending], now: dt.datetime, result: IngestResult
) -> None:
    """Find or open each message's conversation; create and update conversations in bulk."""
    if not pending:
        return
    # One instance per conversation row, whichever way the batch finds it, so every
    # message's changes land on the object that is written back.
    loaded: dict[int, Conversation] = {}
    by_parent = _conversations_by_parent(channel, pending, loaded)
    by_thread = _conversations_by_thread(channel, pending, loaded)
    open_by_customer: dict[int, Conversation] = {}
    customer_ids = list({p.customer.pk for p in pending})
    for conv in bulk.load(
        Conversation.objects.filter(
            _among(f"{_table(Conversation)}.customer_id", customer_ids),
            channel=channel,
            status__in=ACTIVE_STATUSES,
            merged_into__isnull=True,
        ).order_by("last_message_at")
    ):
        open_by_customer[conv.customer_id] = loaded.setdefault(conv.pk, conv)
    router: Router | None = None
    clock = _BatchClock(_default_policy(channel))
    batch_by_external: dict[str, Conversation] = {}
    new: list[Conversation] = []
    touched: dict[int, Conversation] = {}
    for item in pending:
        event = item.event
        conversation = _existing_conversation(
            item, by_parent, by_thread, batch_by_external, open_by_customer
        )
        if conversation is not None and conversation.status == Status.CLOSED:
            closed_at = conversation.closed_at or conversation.updated_at
            if now - closed_at > REOPEN_WINDOW:
                follows = conversation
                conversation = None
            else:
                follows = None
        else:
            follows = None
        if conversation is None:
            if event.is_automated:
                # Auto-replies and bounces never open a conversation.
                result.automated_dropped += 1
                continue
            if router is None:
                router = Router(channel.organisation, now)
            conversation = _open(channel, item, router, clock, now)
            conversation.follows = follows
            new.append(conversation)
            open_by_customer[item.customer.pk] = conversation
        elif conversation.pk is not None and conversation.pk not in touched:
            touched[conversation.pk] = conversation
        if conversation.thread_key:
            by_thread.setdefault(conversation.thread_key, conversation)
        batch_by_external[event.external_id] = conversation
        item.conversation = conversation
        _absorb(conversation, item, clock, now)
    if new:
        bulk.insert(new)
        result.conversations_opened = len(new)
        result.opened_ids = {conversation.pk for conversation in new}
        result.routed = [(c.pk, c.assignee_id) for c in new if c.assignee_id is not None]
    if touched:
        bulk.update(list(touched.values()), _TOUCHED_FIELDS)
        result.conversations_updated = len(touched)
    if router is not None:
        router.save()


_TOUCHED_FIELDS = [
    "status",
    "kind",
    "priority",
    "brand_risk",
    "last_message_at",
    "last_message_preview",
    "last_inbound_at",
    "message_count",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "next_due_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "sla_paused_business_seconds",
    "first_response_paused_business_seconds",
    "snoozed_until",
    "updated_at",
]


def _conversations_by_parent(
    channel: Channel, pending: list[_Pending], loaded: dict[int, Conversation]
) -> dict[str, Conversation]:
    parents = {p.event.parent_id for p in pending if p.event.parent_id}
    if not parents:
        return {}
    wanted = list(parents)
    links = _select(
        f"SELECT external_id, conversation_id FROM {_table(Message)} "
        f"WHERE channel_id = %s AND external_id IN ({_marks(wanted)})",
        [channel.pk, *wanted],
    )
    live = _live({conversation_id for _, conversation_id in links}, loaded)
    return {external_id or "": live[pk] for external_id, pk in links if pk in live}


def _conversations_by_thread(
    channel: Channel, pending: list[_Pending], loaded: dict[int, Conversation]
) -> dict[str, Conversation]:
    keys = {p.event.thread_id for p in pending if p.event.thread_id}
    if not keys:
        return {}
    wanted = list(keys)
    links = _select(
        f"SELECT thread_key, id FROM {_table(Conversation)} "
        f"WHERE channel_id = %s AND thread_key IN ({_marks(wanted)}) ORDER BY last_message_at",
        [channel.pk, *wanted],
    )
    live = _live({pk for _, pk in links}, loaded)
    # The most recent conversation of a thread wins.
    return {thread_key: live[pk] for thread_key, pk in links if pk in live}


def _live(ids: set[int], loaded: dict[int, Conversation]) -> dict[int, Conversation]:
    """Map each conversation id to the conversation that now holds it, following merges.

    One query per level of merging (almost always one query in all).
    """
    resolved: dict[int, int] = {pk: pk for pk in ids}
    wanted = set(ids) - set(loaded)
    for _ in range(10):
        if wanted:
            found = Conversation.objects.filter(_among(f"{_table(Conversation)}.id", list(wanted)))
            for conversation in bulk.load(found):
                loaded[conversation.pk] = conversation
        moved = {
            pk: loaded[target].merged_into_id
            for pk, target in resolved.items()
            if target in loaded and loaded[target].merged_into_id is not None
        }
        if not moved:
            break
        for pk, target in moved.items():
            resolved[pk] = target  # type: ignore[assignment]
        wanted = {target for target in moved.values() if target not in loaded}  # type: ignore[misc]
    return {pk: loaded[target] for pk, target in resolved.items() if target in loaded}


def _existing_conversation(
    item: _Pending,
    by_parent: dict[str, Conversation],
    by_thread: dict[str, Conversation],
    batch: dict[str, Conversation],
    open_by_customer: dict[int, Conversation],
) -> Conversation | None:
    event = item.event
    if event.parent_id:
        found = batch.get(event.parent_id) or by_parent.get(event.parent_id)
        if found is not None:
            return found
    if event.thread_id:
        found = batch.get(event.thread_id) or by_thread.get(event.thread_id)
        if found is not None:
            return found
    # One conversation per customer per channel while it is open.
    return open_by_customer.get(item.customer.pk)


class _BatchClock(sla.Clock):
    """A Clock that works out each due time once per batch.

    Every conversation a batch opens or hears from starts its timers at the
    batch's `now`, so a due time depends only on the target's minutes: the
    business-hours arithmetic (holidays, time zone, weekly hours) runs once per
    distinct target instead of once per conversation.
    """

    def __init__(self, policy: SlaPolicy | None) -> None:
        super().__init__(policy)
        self._due: dict[tuple[dt.datetime, int], dt.datetime | None] = {}

    def _after(  # type: ignore[override]
        self, calendar: Any, start: dt.datetime, minutes: int | None
    ) -> dt.datetime | None:
        if minutes is None or calendar is not self.calendar:
            return sla.Clock._after(calendar, start, minutes)
        key = (start, minutes)
        if key not in self._due:
            self._due[key] = sla.Clock._after(calendar, start, minutes)
        return self._due[key]


def _default_policy(channel: Channel) -> SlaPolicy | None:
    return (
        SlaPolicy.objects.filter(organisation_id=channel.organisation_id, is_default=True)
        .select_related("calendar")
        .prefetch_related("targets")
        .first()
    )


def _open(
    channel: Channel, item: _Pending, router: Router, clock: sla.Clock, now: dt.datetime
) -> Conversation:
    event, triage = item.event, item.triage
    kind = _KIND_OF_EVENT.get(event.kind, triage.kind)
    decision = router.route(
        Facts(
            channel_id=channel.pk,
            kind=kind,
            language=triage.language,
            intent=triage.intent,
            text=event.text[:5000],
            customer_attributes=item.customer.attributes or {},
        )
    )
    conversation = _new_conversation(
        {
            "organisation_id": channel.organisation_id,
            "channel_id": channel.pk,
            "customer_id": item.customer.pk,
            "subject": (event.subject or "")[:300],
            "thread_key": (event.thread_id or event.external_id)[:500],
            "is_public": event.is_public and event.kind != EventKind.DIRECT_MESSAGE,
            "status": Status.NEW.value,
            "kind": kind,
            "priority": decision.priority
            or _URGENCY_PRIORITY.get(triage.urgency, Priority.NORMAL).value,
            "language": triage.language,
            "intent": triage.intent,
            "sentiment": triage.sentiment,
            "brand_risk": triage.brand_risk,
            "last_message_at": event.created_at,
            "created_at": now,
            "team_id": decision.team.pk if decision.team is not None else None,
            "assignee_id": decision.assignee.pk if decision.assignee is not None else None,
        }
    )
    clock.start(conversation, now)
    return conversation


@functools.cache
def _conversation_defaults() -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """Return a new conversation's field values: those the same for all, and those made per row."""
    same: dict[str, Any] = {}
    per_row = []
    for f in Conversation._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            per_row.append((f.attname, f.default))
        else:
            same[f.attname] = f.get_default()
    return same, tuple(per_row)


def _new_conversation(values: dict[str, Any]) -> Conversation:
    """Return an unsaved Conversation with these attribute values, without Model.__init__.

    What `Conversation(**values)` builds (every other field at its default), at a
    fraction of the cost for the hundreds a batch opens: `__init__` runs each field's
    descriptor and the init signals, which nothing listens to for conversations.
    """
    same, per_row = _conversation_defaults()
    conversation = Conversation.__new__(Conversation)
    fields = conversation.__dict__
    fields.update(same)
    for name, make in per_row:
        if name not in values:
            fields[name] = make()
    fields.update(values)
    conversation._state = ModelState()
    return conversation


def _absorb(conversation: Conversation, item: _Pending, clock: sla.Clock, now: dt.datetime) -> None:
    """Update a conversation's denormalised state for one more inbound message."""
    event, triage = item.event, item.triage
    conversation.message_count += 1
    if event.created_at >= conversation.last_message_at or conversation.message_count == 1:
        conversation.last_message_at = event.created_at
        conversation.last_message_preview = _preview(event.text)
    conversation.last_inbound_at = now
    conversation.brand_risk = max(conversation.brand_risk, triage.brand_risk)
    if (
        triage.kind == Kind.COMPLAINT
        and not conversation.kind_set_by_agent
        and conversation.kind != Kind.COMPLAINT
    ):
        # A complaint anywhere in the thread makes the case a complaint.
        conversation.kind = Kind.COMPLAINT
    if event.is_automated or conversation.pk is None:
        return
    if conversation.status in (Status.RESOLVED, Status.CLOSED, Status.PENDING_CUSTOMER):
        if conversation.status == Status.PENDING_CUSTOMER:
            clock.resume(conversation, now)
        conversation.status = Status.OPEN
        conversation.resolved_at = None
        conversation.closed_at = None
    if conversation.status == Status.ON_HOLD and conversation.snoozed_until:
        # The customer wrote: wake a snoozed conversation early.
        conversation.status = Status.OPEN
        conversation.snoozed_until = None
    clock.customer_wrote(conversation, now)
    sla.refresh_next_due(conversation)


def _message_row(channel: Channel, item: _Pending, now: dt.datetime) -> dict[str, Any]:
    event, triage = item.event, item.triage
    assert item.conversation is not None
    return {
        "public_id": uuid.uuid4(),
        "organisation_id": channel.organisation_id,
        "conversation_id": item.conversation.pk,
        "channel_id": channel.pk,
        "external_id": event.external_id[:500],
        "parent_external_id": (event.parent_id or "")[:500],
        "direction": Direction.INBOUND.value,
        "is_public": event.is_public and event.kind != EventKind.DIRECT_MESSAGE,
        "author_customer_id": item.customer.pk,
        "author_user_id": None,
        "text": event.text[:MAX_MESSAGE_LENGTH],
        "subject": (event.subject or "")[:300],
        "url": event.url[:1000],
        "rating": event.rating,
        "sent_at": event.created_at,
        "created_at": now,
        "kind": triage.kind,
        "sentiment": triage.sentiment,
        "persona": triage.persona,
        "urgency": triage.urgency,
        "brand_risk": triage.brand_risk,
        "language": triage.language,
        "intent": triage.intent,
        "triage_reasons": list(triage.reasons),
        "delivery_status": DeliveryStatus.RECEIVED.value,
        "idempotency_key": "",
        "delivery_error": "",
    }


def _attach_media(
    items: list[_Pending], message_ids: list[int], blobs: Mapping[str, bytes]
) -> None:
    """Keep each message's media: fetched bytes as files, anything else as its link."""
    attachments = []
    for item, message_id in zip(items, message_ids, strict=True):
        for media in item.event.media:
            attachment = Attachment(
                message_id=message_id,
                filename=(media.filename or "attachment")[:255],
                mime_type=media.mime_type[:100],
                size=media.size,
                description=media.description,
            )
            data = blobs.get(media.url)
            if data is not None:
                # The connector has already sniffed and size-checked these bytes.
                attachment.file.save(attachment.filename, ContentFile(data), save=False)
                attachment.size = len(data)
            elif media.url.startswith(("https://", "http://")):
                attachment.remote_url = media.url[:1000]
            else:
                continue
            attachments.append(attachment)
    if attachments:
        Attachment.objects.bulk_create(attachments)


def _preview(text: str) -> str:
    return " ".join(text.split())[:PREVIEW_LENGTH]


def _notify_assignees(result: IngestResult) -> None:
    """Tell each agent that routing gave a new conversation to."""
    if not result.routed:
        return
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=assignee_id,
                conversation_id=pk,
                kind="assigned",
                text=f"#{pk} was routed to you",
                created_at=now,
            )
            for pk, assignee_id in sorted(result.routed)
        ]
    )


def _after_ingest(result: IngestResult) -> None:
    for hook in [_notify_assignees, *ingested_hooks]:
        try:
            hook(result)
        except Exception:
            logger.exception("an ingest hook failed")


# --- Agent work -------------------------------------------------------------------------

# Other domains plug in here without the inbox importing them (they register in AppConfig.ready).
# Each resolved hook runs after the commit that resolved the conversation (surveys send one).
resolved_hooks: list[Callable[[Conversation], None]] = []
# Each outbound check sees the text of a reply before anything is written, and raises a
# DomainError to refuse it (publishing's compliance checks: personal details in public...).
outbound_checks: list[Callable[[User, Conversation, str, bool], None]] = []


def _after_resolve(conversation_id: int) -> None:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.status != Status.RESOLVED:
        return
    for hook in resolved_hooks:
        try:
            hook(conversation)
        except Exception:
            logger.exception("a resolved hook failed")


_CONVERSATION_FIELDS = ("status", "kind", "priority", "assignee", "team", "snoozed_until")


def _require_work(actor: User, conversation: Conversation) -> None:
    if not actor.can(Cap.INBOX_WORK):
        raise NotAllowed("Your role does not allow changing conversations.")
    if conversation.organisation_id != actor.organisation_id:
        raise NotAllowed("This conversation is not in your organisation.")


def _lock(conversation: Conversation) -> Conversation:
    # Lock only the conversation's row: PostgreSQL refuses FOR UPDATE on an outer join.
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _clock(conversation: Conversation) -> sla.Clock:
    policy = None
    if conversation.sla_policy_id:
        policy = (
            SlaPolicy.objects.select_related("calendar")
            .prefetch_related("targets")
            .get(pk=conversation.sla_policy_id)
        )
    return sla.Clock(policy)


_MENTION = re.compile(r"(?<![\w@])@([\w.+-]{2,64})")


@transaction.atomic
def reply(
    actor: User,
    conversation: Conversation,
    *,
    text: str,
    public: bool = True,
    note: bool = False,
    attachments: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Message:
    """Reply to the customer (publicly or privately) or add an internal note.

    A reply counts as the first response and stops the next-response timer; a
    note changes no timer. @name in a note notifies that colleague.
    """
    _require_work(actor, conversation)
    text = text.strip()
    if not text:
        raise DomainError("The message is empty.", code="empty_message")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise DomainError("The message is too long.", code="message_too_long")
    if len(attachments) > 10:
        raise DomainError("Attach at most 10 files.", code="too_many_files")
    # Checked before anything is written: a refused file leaves no half-sent message.
    checked = [check_file(f.name or "file", f, f.size or 0) for f in attachments]
    if not note:
        for check in outbound_checks:
            check(actor, conversation, text, public and conversation.is_public)
    conversation = _lock(conversation)
    if conversation.merged_into_id:
        raise Conflict("This conversation was merged into another.", code="merged")
    if not note and conversation.status == Status.CLOSED:
        raise Conflict(
            "This conversation is closed; reopen it before replying.", code="conversation_closed"
        )
    now = now or timezone.now()
    message = Message.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Direction.NOTE if note else Direction.OUTBOUND,
        is_public=False if note else (public and conversation.is_public),
        author_user=actor,
        text=text,
        sent_at=now,
        created_at=now,
        delivery_status=DeliveryStatus.RECEIVED if note else DeliveryStatus.SCHEDULED,
        idempotency_key="" if note else uuid.uuid4().hex,
    )
    for upload, info in zip(attachments, checked, strict=True):
        Attachment.objects.create(
            message=message,
            file=upload,
            filename=info.name,
            mime_type=info.mime_type,
            size=info.size,
        )
    if note:
        _notify_mentions(actor, conversation, message)
    else:
        if conversation.first_responded_at is None:
            conversation.first_responded_at = now
        conversation.next_response_due_at = None
        if conversation.status == Status.NEW:
            conversation.status = Status.OPEN
        if conversation.assignee_id is None:
            conversation.assignee = actor
        conversation.last_message_at = now
        conversation.last_message_preview = _preview(text)
    conversation.message_count += 1
    sla.refresh_next_due(conversation)
    conversation.save()
    audit.record(
        actor,
        "conversation.note" if note else "conversation.reply",
        conversation,
        changes={"message": [None, str(message.public_id)], "public": [None, message.is_public]},
    )
    return message


def _notify_mentions(actor: User, conversation: Conversation, message: Message) -> None:
    names = {name.lower().rstrip(".") for name in _MENTION.findall(message.text)}
    if not names:
        return
    colleagues = User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
    mentioned = [
        user
        for user in colleagues
        if user.email.split("@")[0].lower() in names
        or user.full_name.lower().replace(" ", "") in names
        or (user.full_name.split(" ")[0].lower() if user.full_name else "") in names
    ]
    mentioned = [user for user in mentioned if user.pk != actor.pk]
    if not mentioned:
        return
    message.mentions.set(mentioned)
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                conversation=conversation,
                kind="mention",
                text=f"{actor.display_name} mentioned you on #{conversation.pk}",
                created_at=message.created_at,
            )
            for user in mentioned
        ]
    )


@transaction.atomic
def update_conversation(
    actor: User,
    conversation: Conversation,
    *,
    status: str | None = None,
    kind: str | None = None,
    priority: int | None = None,
    assignee: User | None | object = ...,
    team: Team | None | object = ...,
    snoozed_until: dt.datetime | None = None,
    tags: Iterable[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Conversation:
    """Change a conversation's status, kind, priority, owner, team, snooze, tags or fields.

    Pending the customer stops the service-standard clock; leaving it restarts
    the clock with the time that was left. Correcting triage's kind keeps the
    correction for retraining.
    """
    _require_work(actor, conversation)
    now = now or timezone.now()
    conversation = _lock(conversation)
    before = audit.snapshot(conversation, _CONVERSATION_FIELDS)
    clock = _clock(conversation)
    if assignee is not ...:
        _check_assignee(actor, assignee)  # type: ignore[arg-type]
        conversation.assignee = assignee  # type: ignore[assignment]
    if team is not ...:
        if isinstance(team, Team) and team.organisation_id != actor.organisation_id:
            raise NotAllowed("That team is not in your organisation.")
        conversation.team = team  # type: ignore[assignment]
    if priority is not None:
        if priority not in Priority.values:
            raise DomainError("Unknown priority.", code="unknown_priority")
        conversation.priority = priority
    if kind is not None and kind != conversation.kind:
        if kind not in Kind.values:
            raise DomainError("Unknown kind.", code="unknown_kind")
        _record_correction(actor, conversation, kind)
        conversation.kind = kind
        conversation.kind_set_by_agent = True
    if snoozed_until is not None:
        if snoozed_until <= now:
            raise DomainError("Snooze until a time in the future.", code="snooze_in_past")
        conversation.snoozed_until = snoozed_until
        status = Status.ON_HOLD
    if status is not None and status != conversation.status:
        _move(conversation, status, clock, now)
    sla.refresh_next_due(conversation)
    if tags is not None:
        _set_tags(conversation, tags)
    if custom_fields is not None:
        conversation.custom_fields = {**conversation.custom_fields, **custom_fields}
    changes = audit.diff(before, audit.snapshot(conversation, _CONVERSATION_FIELDS))
    conversation.save()
    if tags is not None:
        changes["tags"] = [None, sorted(tags)]
    if changes:
        audit.record(actor, "conversation.update", conversation, changes=changes)
    if "assignee" in changes and conversation.assignee_id and conversation.assignee_id != actor.pk:
        Notification.objects.create(
            user_id=conversation.assignee_id,
            conversation=conversation,
            kind="assigned",
            text=f"{actor.display_name} assigned #{conversation.pk} to you",
            created_at=now,
        )
    return conversation


def _check_assignee(actor: User, assignee: User | None) -> None:
    if assignee is None:
        return
    if assignee.organisation_id != actor.organisation_id or not assignee.is_active:
        raise NotAllowed("That person cannot take conversations here.")
    if not assignee.can(Cap.INBOX_WORK):
        raise DomainError("That person's role cannot work conversations.", code="cannot_work")


def _move(conversation: Conversation, status: str, clock: sla.Clock, now: dt.datetime) -> None:
    if status not in Status.values:
        raise DomainError("Unknown status.", code="unknown_status")
    old = conversation.status
    if old == Status.PENDING_CUSTOMER:
        clock.resume(conversation, now)
    if status == Status.PENDING_CUSTOMER:
        clock.pause(conversation, now)
    if status == Status.RESOLVED:
        conversation.resolved_at = now
        pk = conversation.pk
        transaction.on_commit(lambda: _after_resolve(pk))
    elif status == Status.CLOSED:
        conversation.closed_at = now
        conversation.resolved_at = conversation.resolved_at or now
    else:
        conversation.resolved_at = None
        conversation.closed_at = None
    if status != Status.ON_HOLD:
        conversation.snoozed_until = None
    conversation.status = status


def _record_correction(actor: User, conversation: Conversation, kind: str) -> None:
    first = conversation.messages.filter(direction=Direction.INBOUND).order_by("created_at").first()
    KindCorrection.objects.create(
        conversation=conversation,
        text=first.text[:5000] if first else conversation.last_message_preview,
        predicted=conversation.kind,
        corrected=kind,
        corrected_by=actor,
    )


def _set_tags(conversation: Conversation, names: Iterable[str]) -> None:
    clean = sorted({name.strip().lower()[:60] for name in names if name.strip()})
    existing = {
        t.name: t
        for t in Tag.objects.filter(organisation_id=conversation.organisation_id, name__in=clean)
    }
    missing = [
        Tag(organisation_id=conversation.organisation_id, name=n)
        for n in clean
        if n not in existing
    ]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            t.name: t
            for t in Tag.objects.filter(
                organisation_id=conversation.organisation_id, name__in=clean
            )
        }
    conversation.tags.set(existing.values())


@transaction.atomic
def escalate(
    actor: User, conversation: Conversation, *, reason: str, team: Team | None = None
) -> Conversation:
    """Raise the priority, hand the conversation to a team's leads, and tell them why."""
    _require_work(actor, conversation)
    conversation = _lock(conversation)
    before = audit.snapshot(conversation, _CONVERSATION_FIELDS)
    conversation.priority = min(Priority.URGENT, conversation.priority + 1)
    target_team = team or conversation.team
    if target_team is not None:
        if target_team.organisation_id != actor.organisation_id:
            raise NotAllowed("That team is not in your organisation.")
        conversation.team = target_team
    leads = selectors.supervisors_for(
        actor.organisation_id, target_team.pk if target_team else None
    )
    conversation.assignee = leads[0] if leads else conversation.assignee
    sla.refresh_next_due(conversation)
    conversation.save()
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=lead,
                conversation=conversation,
                kind="escalated",
                text=f"{actor.display_name} escalated #{conversation.pk}: {reason[:200]}",
                created_at=now,
            )
            for lead in leads
        ]
    )
    changes = audit.diff(before, audit.snapshot(conversation, _CONVERSATION_FIELDS))
    audit.record(
        actor,
        "conversation.escalate",
        conversation,
        changes={**changes, "reason": [None, reason[:500]]},
    )
    return conversation


@transaction.atomic
def merge_conversations(actor: User, *, source: Conversation, target: Conversation) -> Conversation:
    """Move every message of `source` into `target`; `source` is closed and points at it."""
    _require_work(actor, source)
    _require_work(actor, target)
    if source.pk == target.pk:
        raise DomainError("A conversation cannot be merged into itself.", code="merge_self")
    source, target = _lock(source), _lock(target)
    if source.merged_into_id or target.merged_into_id:
        raise Conflict("One of these conversations was already merged.", code="merged")
    moved = Message.objects.filter(conversation=source).update(conversation=target)
    target.message_count += moved
    if source.last_message_at > target.last_message_at:
        target.last_message_at = source.last_message_at
        target.last_message_preview = source.last_message_preview
    if target.status in (Status.RESOLVED, Status.CLOSED) and source.is_active:
        target.status = Status.OPEN
        target.resolved_at = target.closed_at = None
    target.save()
    source.merged_into = target
    source.status = Status.CLOSED
    source.closed_at = timezone.now()
    source.message_count = 0
    source.next_due_at = None
    source.save()
    audit.record(
        actor,
        "conversation.merge",
        target,
        changes={"merged_from": [None, str(source.public_id)], "messages_moved": [0, moved]},
    )
    return target


@transaction.atomic
def split_conversation(
    actor: User, conversation: Conversation, *, message_ids: Sequence[uuid.UUID]
) -> Conversation:
    """Move some messages into a new conversation with the same customer and channel."""
    _require_work(actor, conversation)
    conversation = _lock(conversation)
    messages = list(conversation.messages.filter(public_id__in=message_ids).order_by("created_at"))
    if not messages or len(messages) != len(set(message_ids)):
        raise DomainError("Pick messages of this conversation to split off.", code="bad_messages")
    if len(messages) == conversation.message_count:
        raise DomainError("Leave at least one message behind.", code="split_everything")
    now = timezone.now()
    last = messages[-1]
    new = Conversation.objects.create(
        organisation_id=conversation.organisation_id,
        channel_id=conversation.channel_id,
        customer_id=conversation.customer_id,
        subject=conversation.subject,
        thread_key=f"split:{uuid.uuid4().hex}",
        is_public=conversation.is_public,
        status=Status.OPEN,
        kind=conversation.kind,
        priority=conversation.priority,
        team=conversation.team,
        assignee=conversation.assignee,
        last_message_at=last.sent_at,
        last_message_preview=_preview(last.text),
        message_count=len(messages),
        created_at=now,
    )
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(conversation=new)
    remaining = conversation.messages.order_by("-sent_at").first()
    conversation.message_count -= len(messages)
    if remaining is not None:
        conversation.last_message_at = remaining.sent_at
        conversation.last_message_preview = _preview(remaining.text)
    conversation.save()
    new.related.add(conversation)
    audit.record(
        actor,
        "conversation.split",
        conversation,
        changes={"split_into": [None, str(new.public_id)], "messages_moved": [0, len(messages)]},
    )
    return new


@transaction.atomic
def resolve_complaint(
    actor: User,
    conversation: Conversation,
    *,
    action: str,
    amount: Decimal | None = None,
    currency: str = "",
    external_body: str = "",
    reason: str = "",
    outcome: str = "",
    customer_acceptance: str = CustomerAcceptance.NO_REPLY,
    cost: Decimal | None = None,
    policy_reference: str = "",
    now: dt.datetime | None = None,
) -> ComplaintResolution:
    """Record what was done about a complaint and resolve the conversation."""
    _require_work(actor, conversation)
    if action not in ResolutionAction.values:
        raise DomainError("Unknown resolution.", code="unknown_action")
    money_actions = (ResolutionAction.REFUND, ResolutionAction.CREDIT)
    if action in money_actions and (amount is None or amount <= 0):
        raise DomainError("A refund or credit needs a positive amount.", code="amount_required")
    if action == ResolutionAction.EXTERNAL_BODY and not external_body.strip():
        raise DomainError("Name the external body.", code="external_body_required")
    if action == ResolutionAction.NO_ACTION and not reason.strip():
        raise DomainError("Say why no action was taken.", code="reason_required")
    if customer_acceptance not in CustomerAcceptance.values:
        raise DomainError("Unknown acceptance.", code="unknown_acceptance")
    resolution = ComplaintResolution.objects.create(
        organisation_id=conversation.organisation_id,
        conversation=conversation,
        action=action,
        amount=amount,
        currency=currency.upper()[:3],
        external_body=external_body,
        reason=reason,
        outcome=outcome,
        customer_acceptance=customer_acceptance,
        cost=cost if cost is not None else (amount or Decimal("0")),
        policy_reference=policy_reference,
        recorded_by=actor,
    )
    audit.record(
        actor,
        "complaint.resolve",
        conversation,
        changes={
            "action": [None, action],
            "amount": [None, amount],
            "customer_acceptance": [None, customer_acceptance],
        },
    )
    if conversation.kind != Kind.COMPLAINT or conversation.status != Status.RESOLVED:
        update_conversation(
            actor, conversation, status=Status.RESOLVED, kind=Kind.COMPLAINT, now=now
        )
    return resolution


@transaction.atomic
def record_acceptance(
    actor: User, resolution: ComplaintResolution, *, acceptance: str
) -> ComplaintResolution:
    _require_work(actor, resolution.conversation)
    if acceptance not in CustomerAcceptance.values:
        raise DomainError("Unknown acceptance.", code="unknown_acceptance")
    before = resolution.customer_acceptance
    resolution.customer_acceptance = acceptance
    resolution.save(update_fields=["customer_acceptance", "updated_at"])
    audit.record(
        actor,
        "complaint.acceptance",
        resolution.conversation,
        changes={"customer_acceptance": [before, acceptance]},
    )
    return resolution


def render_macro(macro: Macro, *, actor: User, conversation: Conversation) -> str:
    values = {
        "customer_name": conversation.customer.display_name,
        "agent_name": actor.display_name,
        "conversation_number": str(conversation.pk),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), macro.body)


@transaction.atomic
def apply_macro(
    actor: User, conversation: Conversation, macro: Macro, *, send: bool = True
) -> Message | None:
    """Send the macro's text as a reply (unless `send` is false) and apply its actions."""
    _require_work(actor, conversation)
    if macro.organisation_id != actor.organisation_id or (
        macro.owner_id and macro.owner_id != actor.pk
    ):
        raise NotAllowed("That macro is not yours to use.")
    message = None
    if send and macro.body.strip():
        message = reply(
            actor, conversation, text=render_macro(macro, actor=actor, conversation=conversation)
        )
    changes: dict[str, Any] = {}
    if macro.set_status:
        changes["status"] = macro.set_status
    if macro.set_kind:
        changes["kind"] = macro.set_kind
    if macro.assign_to_self:
        changes["assignee"] = actor
    if macro.add_tags:
        current = list(conversation.tags.values_list("name", flat=True))
        changes["tags"] = [*current, *macro.add_tags]
    if changes:
        update_conversation(actor, conversation, **changes)
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    return message


@transaction.atomic
def bulk_update(actor: User, conversations: Sequence[Conversation], **changes: Any) -> int:
    """Apply the same change to many conversations; all or nothing."""
    if len(conversations) > 500:
        raise DomainError("Update at most 500 conversations at once.", code="too_many")
    for conversation in conversations:
        update_conversation(actor, conversation, **changes)
    return len(conversations)


@transaction.atomic
def create_macro(
    actor: User,
    *,
    name: str,
    body: str = "",
    personal: bool = False,
    set_status: str = "",
    set_kind: str = "",
    add_tags: Sequence[str] = (),
    assign_to_self: bool = False,
    team: Team | None = None,
) -> Macro:
    """Create a macro: personal for anyone who works the inbox, shared for supervisors."""
    if not actor.can(Cap.INBOX_WORK):
        raise NotAllowed("Your role does not allow creating macros.")
    if not personal and not actor.can(Cap.INBOX_CONFIGURE):
        raise NotAllowed("Only supervisors, managers and admins create shared macros.")
    if not body.strip() and not (set_status or set_kind or add_tags or assign_to_self):
        raise DomainError("A macro needs text or an action.", code="empty_macro")
    macro = Macro.objects.create(
        organisation_id=actor.organisation_id,
        name=name.strip(),
        body=body,
        owner=actor if personal else None,
        team=team,
        set_status=set_status,
        set_kind=set_kind,
        add_tags=[t.strip().lower() for t in add_tags if t.strip()],
        assign_to_self=assign_to_self,
    )
    audit.record(actor, "macro.create", macro, changes={"name": [None, macro.name]})
    return macro


@transaction.atomic
def create_saved_view(
    actor: User, *, name: str, filters: dict[str, Any], is_shared: bool = False
) -> SavedView:
    if not actor.can(Cap.INBOX_VIEW):
        raise NotAllowed("Your role does not allow saving views.")
    if is_shared and not actor.can(Cap.INBOX_CONFIGURE):
        raise NotAllowed("Only supervisors, managers and admins share views.")
    view = SavedView.objects.create(
        organisation_id=actor.organisation_id,
        owner=actor,
        name=name.strip(),
        filters=filters,
        is_shared=is_shared,
    )
    audit.record(actor, "saved_view.create", view, changes={"name": [None, view.name]})
    return view


def mark_notifications_read(actor: User, ids: Sequence[int] | None = None) -> int:
    """Mark the actor's notifications read (all when no ids are given)."""
    rows = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
