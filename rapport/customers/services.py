"""State changes for customers and their identities.

Each service takes the acting user first, checks the actor's rights, runs in a
transaction and writes the audit log, except `resolve_identities`, which
ingest calls inside its own transaction on behalf of no one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.customers.models import (
    ContactChannel,
    Customer,
    CustomerKind,
    CustomerMerge,
    Identity,
)
from rapport.inbox.models import (
    Attachment,
    ComplaintResolution,
    Conversation,
    Direction,
    KindCorrection,
    Message,
)
from rapport.lib import bulk
from rapport.lib.errors import Conflict, DomainError, NotAllowed


@dataclass(frozen=True)
class Author:
    """Who wrote an inbound message, as the platform names them."""

    platform: str
    handle: str
    display_name: str = ""
    email: str = ""


def normalise_handle(handle: str) -> str:
    return handle.strip().lower()[:320]


@dataclass(frozen=True)
class ResolvedCustomer:
    """What ingest needs of the customer behind an author: the id and the attributes."""

    pk: int
    attributes: dict[str, Any]


def resolve_customers(
    organisation: Organisation, authors: Iterable[Author]
) -> dict[tuple[str, str], ResolvedCustomer]:
    """Return the customer behind each (platform, normalised handle), creating what is new.

    Built for ingest: one query finds known identities, two bulk inserts create
    the rest, whatever the batch size, and no model instance is built. A
    customer who was merged into another resolves to the surviving customer
    (one more query when a batch meets one). Call inside the caller's transaction.
    """
    wanted: dict[tuple[str, str], Author] = {}
    for author in authors:
        key = (author.platform, normalise_handle(author.handle))
        wanted.setdefault(key, author)
    if not wanted:
        return {}
    found: dict[tuple[str, str], ResolvedCustomer] = {}
    merged: dict[tuple[str, str], int] = {}
    for platform, handle, customer_id, merged_into_id, attributes in _known_identities(
        organisation, wanted
    ):
        key = (platform, handle)
        if key not in wanted:
            continue
        if merged_into_id is not None:
            merged[key] = merged_into_id
        else:
            found[key] = ResolvedCustomer(customer_id, _attributes(attributes))
    if merged:
        survivors = dict(
            Customer.objects.filter(pk__in=set(merged.values())).values_list("pk", "attributes")
        )
        for key, survivor_id in merged.items():
            found[key] = ResolvedCustomer(survivor_id, survivors.get(survivor_id) or {})
    missing = [key for key in wanted if key not in found]
    if missing:
        ids = bulk.insert_values(
            Customer,
            [
                {
                    "public_id": uuid.uuid4(),
                    "organisation_id": organisation.pk,
                    "display_name": (wanted[key].display_name or wanted[key].handle)[:200],
                }
                for key in missing
            ],
        )
        bulk.insert_values(
            Identity,
            [
                {
                    "public_id": uuid.uuid4(),
                    "organisation_id": organisation.pk,
                    "customer_id": customer_id,
                    "platform": key[0],
                    "handle": key[1],
                    "display_name": wanted[key].display_name[:200],
                }
                for key, customer_id in zip(missing, ids, strict=True)
            ],
            read_ids=False,
        )
        found.update((key, ResolvedCustomer(pk, {})) for key, pk in zip(missing, ids, strict=True))
    return found


def _known_identities(
    organisation: Organisation, wanted: Mapping[tuple[str, str], Author]
) -> list[tuple[Any, ...]]:
    """Return (platform, handle, customer id, merged into, attributes) of known identities.

    Hand-written SQL: an ORM `__in` lookup prepares each of a batch's hundreds of
    handles through the field, which cost several times the query itself.
    """
    platforms = list({platform for platform, _ in wanted})
    handles = list({handle for _, handle in wanted})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.platform, i.handle, i.customer_id, c.merged_into_id, c.attributes "
            f"FROM {quote(Identity._meta.db_table)} i "
            f"JOIN {quote(Customer._meta.db_table)} c ON c.id = i.customer_id "
            f"WHERE i.organisation_id = %s AND i.platform IN ({_marks(platforms)}) "
            f"AND i.handle IN ({_marks(handles)})",
            [organisation.pk, *platforms, *handles],
        )
        return cursor.fetchall()


def _marks(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _attributes(stored: Any) -> dict[str, Any]:
    """Return a customer's attributes as read by hand-written SQL (JSON text or decoded)."""
    if not stored or stored == "{}":
        return {}
    if isinstance(stored, str | bytes):
        return json.loads(stored) or {}
    return dict(stored)


def resolve_identities(
    organisation: Organisation, authors: Iterable[Author]
) -> dict[tuple[str, str], Customer]:
    """`resolve_customers`, with each customer as a model instance (one more query)."""
    resolved = resolve_customers(organisation, authors)
    customers = Customer.objects.in_bulk({customer.pk for customer in resolved.values()})
    return {key: customers[customer.pk] for key, customer in resolved.items()}


# --- Customers as people see them: profile, identities, merges, privacy ----------

MERGE_UNDO_DAYS = 30
ERASED_NAME = "Erased customer"
ERASED_TEXT = "[erased]"
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 60
MAX_ATTRIBUTE_TEXT = 1000

_PROFILE_FIELDS = (
    "display_name",
    "kind",
    "company",
    "language",
    "notes",
    "attributes",
    "preferred_contact",
    "marketing_consent",
    "consent_recorded_at",
    "consent_source",
)
# The audit log can never be edited, so it must never hold what an erasure has
# to remove: for these fields it records that they changed, not their values.
_PERSONAL_FIELDS = frozenset({"display_name", "company", "notes", "attributes"})
_PLATFORM = re.compile(r"[a-z][a-z0-9_.-]{0,29}")
_PHONE = re.compile(r"\+?[0-9]{7,15}")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class NewIdentity:
    """An identity to attach to a customer, as a person or integration typed it."""

    platform: str
    handle: str
    display_name: str = ""


def normalise_identity(platform: str, handle: str) -> tuple[str, str]:
    """Return (platform, handle) as stored, or raise DomainError saying what is wrong.

    Email addresses are validated and lower-cased; phone numbers keep digits
    and a leading + (00 becomes +); other handles are lower-cased without a
    leading @, the way the platforms' own APIs name accounts.
    """
    platform = platform.strip().lower()
    if not _PLATFORM.fullmatch(platform):
        raise DomainError(
            "A platform is a short lower-case name such as email, phone or mastodon.",
            code="invalid_platform",
        )
    raw = handle.strip()
    if not raw:
        raise DomainError("An identity needs a handle.", code="handle_required")
    if platform == "email":
        try:
            validate_email(raw)
        except ValidationError:
            raise DomainError("That is not a valid email address.", code="invalid_email") from None
        return platform, normalise_handle(raw)
    if platform == "phone":
        compact = _PHONE_PUNCTUATION.sub("", raw)
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        if not _PHONE.fullmatch(compact):
            raise DomainError(
                "A phone number has 7 to 15 digits, with an optional leading +.",
                code="invalid_phone",
            )
        return platform, compact
    normalised = normalise_handle(raw.removeprefix("@"))
    if not normalised or any(ch.isspace() for ch in normalised):
        raise DomainError("A handle is one word, without spaces.", code="invalid_handle")
    return platform, normalised


def clean_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Return custom attributes with trimmed keys, or raise DomainError if they are not flat."""
    if not isinstance(attributes, Mapping):
        raise DomainError("Attributes are a set of names and values.", code="invalid_attributes")
    if len(attributes) > MAX_ATTRIBUTES:
        raise DomainError(
            f"A customer has at most {MAX_ATTRIBUTES} attributes.", code="invalid_attributes"
        )
    cleaned: dict[str, Any] = {}
    for key, value in attributes.items():
        name = key.strip() if isinstance(key, str) else ""
        if not 0 < len(name) <= MAX_ATTRIBUTE_KEY:
            raise DomainError(
                f"An attribute name has 1 to {MAX_ATTRIBUTE_KEY} characters.",
                code="invalid_attributes",
            )
        flat = value is None or isinstance(value, str | int | float | bool)
        if not flat or (isinstance(value, str) and len(value) > MAX_ATTRIBUTE_TEXT):
            raise DomainError(
                f"The attribute {name!r} must be text (up to {MAX_ATTRIBUTE_TEXT} characters), "
                "a number, true/false or empty.",
                code="invalid_attributes",
            )
        cleaned[name] = value
    return cleaned


def _label(customer: Customer) -> str:
    # Never the name: audit entries outlive an erasure (see _PERSONAL_FIELDS).
    return f"customer {str(customer.public_id)[:8]}"


def _audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes = audit.diff(before, after)
    for name in changes.keys() & _PERSONAL_FIELDS:
        changes[name] = [_mask(value) for value in changes[name]]
    return changes


def _mask(value: Any) -> Any:
    if value is None:
        return None
    return "***" if value else ""


def _check_org(actor: User, customer: Customer) -> None:
    if customer.organisation_id != actor.organisation_id:
        raise NotAllowed("This customer is not in your organisation.")


def _check_live(customer: Customer) -> None:
    if customer.erased_at is not None:
        raise Conflict("This customer has been erased.", code="customer_erased")
    if customer.merged_into_id is not None:
        raise Conflict(
            "This customer was merged into another; change that one instead.",
            code="customer_merged",
        )


def _lock(*customers: Customer) -> list[Customer]:
    # Always in primary-key order, so two merges of the same pair cannot deadlock.
    pks = [c.pk for c in customers]
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=pks)}
    return [locked[pk] for pk in pks]


def _check_choice(value: str, choices: type[models.TextChoices], what: str) -> None:
    if value not in choices.values:
        raise DomainError(f"Unknown {what} {value!r}.", code=f"unknown_{what.replace(' ', '_')}")


def _check_language(language: str) -> str:
    language = language.strip()
    if language and (len(language) > 12 or not _LANGUAGE.fullmatch(language)):
        raise DomainError("A language is a tag such as en or fr-CA.", code="invalid_language")
    return language


def _attach_identity(customer: Customer, identity: NewIdentity) -> tuple[Identity, bool]:
    """Return the customer's identity and whether it is new; refuse one held by someone else."""
    platform, handle = normalise_identity(identity.platform, identity.handle)
    existing = (
        Identity.objects.filter(
            organisation_id=customer.organisation_id, platform=platform, handle=handle
        )
        .select_related("customer")
        .first()
    )
    if existing is not None and existing.customer_id == customer.pk:
        return existing, False
    if existing is None:
        try:
            with transaction.atomic():
                created = Identity.objects.create(
                    organisation_id=customer.organisation_id,
                    customer=customer,
                    platform=platform,
                    handle=handle,
                    display_name=identity.display_name.strip()[:200],
                )
            return created, True
        except IntegrityError:
            # Another request attached the same handle a moment ago.
            existing = Identity.objects.select_related("customer").get(
                organisation_id=customer.organisation_id, platform=platform, handle=handle
            )
    raise Conflict(
        f"This {platform} identity belongs to another customer; merge the two if they are "
        "the same person.",
        code="identity_taken",
        details={"customer": str(existing.customer.public_id)},
    )


@transaction.atomic
def create_customer(
    actor: User,
    *,
    display_name: str,
    kind: str = CustomerKind.PUBLIC,
    company: str = "",
    language: str = "",
    notes: str = "",
    attributes: Mapping[str, Any] | None = None,
    preferred_contact: str = ContactChannel.ANY,
    marketing_consent: bool = False,
    consent_source: str = "",
    identities: Iterable[NewIdentity] = (),
) -> Customer:
    """Create a customer in the actor's organisation, with any identities given."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    display_name = display_name.strip()
    if not display_name:
        raise DomainError("A customer needs a name.", code="name_required")
    _check_choice(kind, CustomerKind, "kind")
    _check_choice(preferred_contact, ContactChannel, "contact channel")
    consent_source = consent_source.strip()
    if marketing_consent and not consent_source:
        raise DomainError("Say where the customer gave consent.", code="consent_source_required")
    customer = Customer.objects.create(
        organisation=actor.organisation,
        display_name=display_name[:200],
        kind=kind,
        company=company.strip()[:200],
        language=_check_language(language),
        notes=notes,
        attributes=clean_attributes(attributes or {}),
        preferred_contact=preferred_contact,
        marketing_consent=marketing_consent,
        consent_recorded_at=timezone.now() if marketing_consent else None,
        consent_source=consent_source[:200] if marketing_consent else "",
    )
    platforms = [
        created.platform
        for created, is_new in (_attach_identity(customer, i) for i in identities)
        if is_new
    ]
    changes = _audit_changes({}, audit.snapshot(customer, _PROFILE_FIELDS))
    if platforms:
        changes["identities"] = [None, sorted(platforms)]
    audit.record(actor, "customer.create", customer, changes=changes, object_label=_label(customer))
    return customer


@transaction.atomic
def update_customer(
    actor: User,
    customer: Customer,
    *,
    display_name: str | None = None,
    kind: str | None = None,
    company: str | None = None,
    language: str | None = None,
    notes: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    preferred_contact: str | None = None,
    marketing_consent: bool | None = None,
    consent_source: str | None = None,
) -> Customer:
    """Change a customer's profile; None leaves a field as it is.

    `attributes` replaces the whole set. A change of marketing consent records
    when it happened and where (`consent_source`, required when consent is
    given); a source sent on its own corrects the record of the last decision.
    """
    require(actor, Cap.CUSTOMERS_MANAGE)
    _check_org(actor, customer)
    [customer] = _lock(customer)
    _check_live(customer)
    before = audit.snapshot(customer, _PROFILE_FIELDS)
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name:
            raise DomainError("A customer needs a name.", code="name_required")
        customer.display_name = display_name[:200]
    if kind is not None:
        _check_choice(kind, CustomerKind, "kind")
        customer.kind = kind
    if company is not None:
        customer.company = company.strip()[:200]
    if language is not None:
        customer.language = _check_language(language)
    if notes is not None:
        customer.notes = notes
    if attributes is not None:
        customer.attributes = clean_attributes(attributes)
    if preferred_contact is not None:
        _check_choice(preferred_contact, ContactChannel, "contact channel")
        customer.preferred_contact = preferred_contact
    if consent_source is not None:
        customer.consent_source = consent_source.strip()[:200]
    if marketing_consent is not None and marketing_consent != customer.marketing_consent:
        customer.marketing_consent = marketing_consent
        customer.consent_recorded_at = timezone.now()
        if consent_source is None:
            customer.consent_source = ""
        if marketing_consent and not customer.consent_source:
            raise DomainError(
                "Say where the customer gave consent.", code="consent_source_required"
            )
    changes = _audit_changes(before, audit.snapshot(customer, _PROFILE_FIELDS))
    if changes:
        customer.save()
        audit.record(
            actor, "customer.update", customer, changes=changes, object_label=_label(customer)
        )
    return customer


@transaction.atomic
def add_identity(
    actor: User, customer: Customer, *, platform: str, handle: str, display_name: str = ""
) -> Identity:
    """Attach an identity; adding one the customer already has changes nothing."""
    require(actor, Cap.CUSTOMERS_MANAGE)
    _check_org(actor, customer)
    [customer] = _lock(customer)
    _check_live(customer)
    identity, is_new = _attach_identity(customer, NewIdentity(platform, handle, display_name))
    if is_new:
        audit.record(
            actor,
            "customer.identity_add",
            customer,
            changes={"identity": [None, str(identity.public_id)], "platform": [None, platform]},
            object_label=_label(customer),
        )
    return identity


@transaction.atomic
def remove_identity(actor: User, identity: Identity) -> Customer:
    """Detach and delete an identity; later messages from that handle make a new customer."""
    customer = identity.customer
    require(actor, Cap.CUSTOMERS_MANAGE)
    _check_org(actor, customer)
    [customer] = _lock(customer)
    _check_live(customer)
    identity.delete()
    audit.record(
        actor,
        "customer.identity_remove",
        customer,
        changes={
            "identity": [str(identity.public_id), None],
            "platform": [identity.platform, None],
        },
        object_label=_label(customer),
    )
    return customer


@transaction.atomic
def merge_customers(actor: User, *, source: Customer, target: Customer) -> CustomerMerge:
    """Merge the duplicate `source` into `target`: identities, conversations and messages move.

    The source keeps its profile and points at the target, so the merge can be
    undone (see `undo_merge`); what moved is recorded by id.
    """
    require(actor, Cap.CUSTOMERS_MANAGE)
    _check_org(actor, source)
    _check_org(actor, target)
    if source.pk == target.pk:
        raise DomainError("A customer cannot be merged into itself.", code="merge_self")
    source, target = _lock(source, target)
    _check_live(source)
    _check_live(target)
    identity_ids = list(source.identities.values_list("pk", flat=True))
    conversations = Conversation.objects.filter(customer=source)
    conversation_ids = list(conversations.values_list("pk", flat=True))
    messages = Message.objects.filter(author_customer=source)
    message_ids = list(messages.values_list("pk", flat=True))
    Identity.objects.filter(pk__in=identity_ids).update(customer=target, updated_at=timezone.now())
    conversations.update(customer=target)
    messages.update(author_customer=target)
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    merge = CustomerMerge.objects.create(
        organisation_id=source.organisation_id,
        source=source,
        target=target,
        moved_identity_ids=identity_ids,
        moved_conversation_ids=conversation_ids,
        moved_message_ids=message_ids,
        merged_by=actor,
    )
    audit.record(
        actor,
        "customer.merge",
        source,
        changes={
            "merged_into": [None, str(target.public_id)],
            "merge": [None, str(merge.public_id)],
            "identities_moved": [0, len(identity_ids)],
            "conversations_moved": [0, len(conversation_ids)],
            "messages_moved": [0, len(message_ids)],
        },
        object_label=_label(source),
    )
    return merge


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    # Keeps each IN (...) list well under SQLite's limit on query parameters.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@transaction.atomic
def undo_merge(actor: User, merge: CustomerMerge) -> CustomerMerge:
    """Move back exactly what a merge moved, within MERGE_UNDO_DAYS.

    Identities, conversations and messages added to the target since stay
    with it; moved ones deleted since stay deleted. Merges are undone newest
    first: if the target was itself merged away, that merge is undone first.
    """
    require(actor, Cap.CUSTOMERS_MANAGE)
    if merge.organisation_id != actor.organisation_id:
        raise NotAllowed("This merge is not in your organisation.")
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict("This merge has already been undone.", code="merge_undone")
    now = timezone.now()
    if not merge.can_undo(now, MERGE_UNDO_DAYS):
        raise Conflict(
            f"A merge can be undone for {MERGE_UNDO_DAYS} days; this one is older.",
            code="undo_window_passed",
        )
    source, target = _lock(merge.source, merge.target)
    if source.erased_at is not None or target.erased_at is not None:
        raise Conflict("One of these customers has been erased.", code="customer_erased")
    if target.merged_into_id is not None:
        raise Conflict(
            "The customer this one was merged into has since been merged into another; "
            "undo that merge first.",
            code="target_merged",
        )
    moved = {"identities": 0, "conversations": 0, "messages": 0}
    for ids in _chunks(merge.moved_identity_ids):
        moved["identities"] += Identity.objects.filter(pk__in=ids, customer=target).update(
            customer=source, updated_at=now
        )
    for ids in _chunks(merge.moved_conversation_ids):
        moved["conversations"] += Conversation.objects.filter(pk__in=ids, customer=target).update(
            customer=source
        )
    for ids in _chunks(merge.moved_message_ids):
        moved["messages"] += Message.objects.filter(pk__in=ids, author_customer=target).update(
            author_customer=source
        )
    source.merged_into = None
    source.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = now
    merge.save(update_fields=["undone_at", "updated_at"])
    audit.record(
        actor,
        "customer.merge_undo",
        source,
        changes={
            "merged_into": [str(target.public_id), None],
            "merge": [str(merge.public_id), None],
            **{f"{what}_moved_back": [0, count] for what, count in moved.items()},
        },
        object_label=_label(source),
    )
    return merge


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _export_message(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.public_id),
        "direction": message.direction,
        "from": "customer" if message.direction == Direction.INBOUND else "organisation",
        "is_public": message.is_public,
        "sent_at": _iso(message.sent_at),
        "subject": message.subject,
        "text": message.text,
        "url": message.url,
        "rating": message.rating,
        "attachments": [
            {
                "filename": a.filename,
                "mime_type": a.mime_type,
                "size": a.size,
                "url": a.remote_url,
                "description": a.description,
            }
            for a in message.attachments.all()
        ],
    }


@transaction.atomic
def export_customer(actor: User, customer: Customer, *, format: str = "json") -> dict[str, Any]:
    """Return everything held about a customer, as JSON-ready data, and audit the export.

    Conversations carry the customer's own messages and the organisation's
    replies and notes; messages other customers wrote in the same thread are
    theirs, not this customer's, and are left out.
    """
    require(actor, Cap.CUSTOMERS_PRIVACY)
    _check_org(actor, customer)
    theirs = Q(author_customer=customer) | ~Q(direction=Direction.INBOUND)
    messages = Message.objects.filter(theirs).prefetch_related("attachments")
    conversations = (
        Conversation.objects.filter(customer=customer)
        .select_related("channel")
        .prefetch_related(
            Prefetch("messages", queryset=messages.order_by("sent_at", "id")),
            "resolutions",
            "tags",
        )
        .order_by("created_at", "id")
    )
    elsewhere = (
        Message.objects.filter(author_customer=customer)
        .exclude(conversation__customer=customer)
        .select_related("channel", "conversation")
        .prefetch_related("attachments")
        .order_by("sent_at", "id")
    )
    data = {
        "format": "rapport.customer-export/1",
        "generated_at": _iso(timezone.now()),
        "organisation": actor.organisation.name,
        "customer": {
            "id": str(customer.public_id),
            "display_name": customer.display_name,
            "kind": customer.kind,
            "company": customer.company,
            "language": customer.language,
            "notes": customer.notes,
            "attributes": customer.attributes,
            "preferred_contact": customer.preferred_contact,
            "consent": {
                "marketing": customer.marketing_consent,
                "recorded_at": _iso(customer.consent_recorded_at),
                "source": customer.consent_source,
            },
            "created_at": _iso(customer.created_at),
            "updated_at": _iso(customer.updated_at),
            "erased_at": _iso(customer.erased_at),
        },
        "identities": [
            {
                "id": str(i.public_id),
                "platform": i.platform,
                "handle": i.handle,
                "display_name": i.display_name,
                "created_at": _iso(i.created_at),
            }
            for i in customer.identities.order_by("platform", "handle")
        ],
        "merged_from": [
            {"id": str(c.public_id), "display_name": c.display_name, "kind": c.kind}
            for c in customer.merged_from.order_by("created_at")
        ],
        "conversations": [
            {
                "id": str(c.public_id),
                "channel": {"name": c.channel.name, "kind": c.channel.kind},
                "subject": c.subject,
                "status": c.status,
                "kind": c.kind,
                "is_public": c.is_public,
                "tags": sorted(t.name for t in c.tags.all()),
                "created_at": _iso(c.created_at),
                "last_message_at": _iso(c.last_message_at),
                "resolved_at": _iso(c.resolved_at),
                "closed_at": _iso(c.closed_at),
                "messages": [_export_message(m) for m in c.messages.all()],
                "resolutions": [
                    {
                        "action": r.action,
                        "amount": _money(r.amount),
                        "currency": r.currency,
                        "external_body": r.external_body,
                        "reason": r.reason,
                        "outcome": r.outcome,
                        "customer_acceptance": r.customer_acceptance,
                        "policy_reference": r.policy_reference,
                        "recorded_at": _iso(r.created_at),
                    }
                    for r in c.resolutions.all()
                ],
            }
            for c in conversations
        ],
        "messages_elsewhere": [
            {
                **_export_message(m),
                "channel": {"name": m.channel.name, "kind": m.channel.kind},
                "conversation": str(m.conversation.public_id),
            }
            for m in elsewhere
        ],
    }
    audit.record(
        actor,
        "customer.export",
        customer,
        changes={"format": [None, format]},
        object_label=_label(customer),
    )
    return data


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def _merged_into_closure(customer: Customer) -> list[int]:
    """Return the customer's id and those of every customer merged into it, at any depth."""
    ids = [customer.pk]
    frontier = [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


@transaction.atomic
def erase_customer(actor: User, customer: Customer) -> Customer:
    """Remove a customer's personal data, keeping the rows that reports count.

    The profile is blanked and renamed, identities and the attachments of their
    messages are deleted, the text of what they wrote becomes "[erased]".
    Conversations and messages stay, so volumes and timings still add up.
    Customers merged into this one are the same person and are erased too.
    Running it again scrubs anything left and records nothing when nothing was.
    """
    require(actor, Cap.CUSTOMERS_PRIVACY)
    _check_org(actor, customer)
    [customer] = _lock(customer)
    if customer.merged_into_id is not None and customer.erased_at is None:
        # Its history now sits with the customer it was merged into: erasing only this
        # record would leave the person's messages behind.
        raise Conflict(
            "This customer was merged into another; erase that one, which erases this too.",
            code="customer_merged",
        )
    now = timezone.now()
    people = _merged_into_closure(customer)
    identities_deleted, _ = Identity.objects.filter(customer_id__in=people).delete()
    attachments = Attachment.objects.filter(message__author_customer_id__in=people)
    files = [name for name in attachments.values_list("file", flat=True) if name]
    attachments_deleted, _ = attachments.delete()
    if files:
        storage = Attachment._meta.get_field("file").storage
        # Only once the rows are gone for good: a rollback must not leave rows without files.
        transaction.on_commit(lambda: _delete_files(storage, files))
    written = Message.objects.filter(author_customer_id__in=people)
    messages_erased = written.filter(~Q(text=ERASED_TEXT) | ~Q(url="") | ~Q(subject="")).update(
        text=ERASED_TEXT, url="", subject="", triage_reasons=[]
    )
    conversations = Conversation.objects.filter(customer_id__in=people)
    conversation_ids = conversations.values("pk")
    # The subject and preview are copies of what the customer wrote.
    conversations_scrubbed = conversations.exclude(
        last_message_preview=ERASED_TEXT, subject=""
    ).update(subject="", last_message_preview=ERASED_TEXT)
    # Corrections keep the customer's first message as training text; it goes too.
    corrections_deleted, _ = KindCorrection.objects.filter(
        conversation_id__in=conversation_ids
    ).delete()
    # The amounts and actions stay for complaint reports; the free text about the person goes.
    resolutions_scrubbed = (
        ComplaintResolution.objects.filter(conversation_id__in=conversation_ids)
        .exclude(reason="", outcome="")
        .update(reason="", outcome="")
    )
    profiles_erased = 0
    for person in Customer.objects.select_for_update().filter(pk__in=people):
        before = audit.snapshot(person, _PROFILE_FIELDS)
        person.display_name = ERASED_NAME
        person.company = person.language = person.notes = person.consent_source = ""
        person.attributes = {}
        person.preferred_contact = ContactChannel.NONE
        person.marketing_consent = False
        person.consent_recorded_at = None
        if audit.diff(before, audit.snapshot(person, _PROFILE_FIELDS)) or not person.erased_at:
            person.erased_at = person.erased_at or now
            person.save()
            profiles_erased += 1
    changed = (
        identities_deleted
        + attachments_deleted
        + messages_erased
        + conversations_scrubbed
        + corrections_deleted
        + resolutions_scrubbed
        + profiles_erased
    )
    customer.refresh_from_db()
    if changed:
        audit.record(
            actor,
            "customer.erase",
            customer,
            changes={
                "customers_erased": [0, len(people)],
                "identities_deleted": [0, identities_deleted],
                "attachments_deleted": [0, attachments_deleted],
                "messages_erased": [0, messages_erased],
                "conversations_kept": [
                    0,
                    Conversation.objects.filter(customer_id__in=people).count(),
                ],
            },
            object_label=_label(customer),
        )
    return customer
