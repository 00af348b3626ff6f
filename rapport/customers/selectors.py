"""Reads of customers that depend on who is asking."""

from __future__ import annotations

import re
import uuid

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.customers.models import Customer, CustomerMerge, Identity
from rapport.inbox.models import Conversation, Message
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.ids import parse_public_id

MAX_TIMELINE = 200
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_PHONE_LIKE = re.compile(r"\+?[0-9]{3,}")


def _require_view(viewer: User) -> None:
    if not viewer.can(Cap.CUSTOMERS_VIEW):
        raise NotAllowed("Your role does not allow viewing customers.")


def customers_visible_to(
    viewer: User, *, q: str = "", include_merged: bool = False
) -> QuerySet[Customer]:
    """Return the organisation's customers, matching `q` by name, company or identity handle.

    Customers merged into another are left out unless `include_merged`: their
    identities and conversations now belong to the one they were merged into.
    """
    _require_view(viewer)
    customers = Customer.objects.filter(organisation_id=viewer.organisation_id)
    if not include_merged:
        customers = customers.filter(merged_into__isnull=True)
    q = q.strip()[:200]
    if q:
        handle = q.removeprefix("@").lower()
        phone = _PHONE_PUNCTUATION.sub("", q)
        handles = Q(handle__contains=handle)
        if _PHONE_LIKE.fullmatch(phone) and phone != handle:
            handles |= Q(handle__contains=phone)
        matching_identity = Identity.objects.filter(handles, customer_id=OuterRef("pk"))
        customers = customers.filter(
            Q(display_name__icontains=q) | Q(company__icontains=q) | Q(Exists(matching_identity))
        )
    conversation_count = (
        Conversation.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        customers.select_related("merged_into")
        .prefetch_related(
            Prefetch("identities", queryset=Identity.objects.order_by("platform", "handle"))
        )
        .annotate(
            conversation_count=Coalesce(
                Subquery(conversation_count, output_field=IntegerField()), 0
            )
        )
        .order_by("display_name", "id")
    )


def get_customer_for_user(viewer: User, public_id: str | uuid.UUID) -> Customer:
    """Return one of the organisation's customers, merged-away ones included."""
    try:
        return customers_visible_to(viewer, include_merged=True).get(
            public_id=parse_public_id(public_id, "customer")
        )
    except Customer.DoesNotExist:
        raise NotFound("No such customer.") from None


def get_identity_for_user(viewer: User, customer: Customer, public_id: str | uuid.UUID) -> Identity:
    """Return one of the customer's identities."""
    _require_view(viewer)
    try:
        return Identity.objects.select_related("customer").get(
            customer=customer,
            organisation_id=viewer.organisation_id,
            public_id=parse_public_id(public_id, "identity"),
        )
    except Identity.DoesNotExist:
        raise NotFound("No such identity.") from None


def merges_of(viewer: User, customer: Customer) -> QuerySet[CustomerMerge]:
    """Return the merges this customer took part in, newest first."""
    _require_view(viewer)
    return (
        CustomerMerge.objects.filter(organisation_id=viewer.organisation_id)
        .filter(Q(source=customer) | Q(target=customer))
        .select_related("source", "target", "merged_by")
        .order_by("-created_at", "-id")
    )


def get_merge_for_user(viewer: User, public_id: str | uuid.UUID) -> CustomerMerge:
    _require_view(viewer)
    try:
        return CustomerMerge.objects.select_related("source", "target").get(
            organisation_id=viewer.organisation_id, public_id=parse_public_id(public_id, "merge")
        )
    except CustomerMerge.DoesNotExist:
        raise NotFound("No such merge.") from None


def customer_timeline(
    viewer: User, customer: Customer, *, limit: int = 50, before: str | uuid.UUID | None = None
) -> list[Message]:
    """Return the messages of a customer across every channel, newest first.

    That is every message in their conversations (replies and notes too) and
    whatever they wrote in others' threads. `before` is the id of the last
    message of the previous page. Two queries, whatever the page size.
    """
    _require_view(viewer)
    if customer.organisation_id != viewer.organisation_id:
        raise NotFound("No such customer.")
    limit = max(1, min(limit, MAX_TIMELINE))
    conversation_ids = Conversation.objects.filter(customer=customer).values("pk")
    messages = Message.objects.filter(organisation_id=viewer.organisation_id).filter(
        Q(conversation_id__in=conversation_ids) | Q(author_customer=customer)
    )
    if before is not None:
        try:
            cursor = messages.values("sent_at", "pk").get(
                public_id=parse_public_id(before, "message")
            )
        except (Message.DoesNotExist, NotFound):
            raise DomainError(
                "The timeline cursor does not name a message of this customer.",
                code="invalid_cursor",
            ) from None
        at, pk = cursor["sent_at"], cursor["pk"]
        messages = messages.filter(Q(sent_at__lt=at) | Q(sent_at=at, pk__lt=pk))
    return list(
        messages.select_related("channel", "conversation", "author_customer", "author_user")
        .prefetch_related("attachments")
        .order_by("-sent_at", "-pk")[:limit]
    )
