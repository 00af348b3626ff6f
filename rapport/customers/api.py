"""/api/v1/customers: customers, their identities and timeline, merges, export and erasure."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from rapport.accounts.models import User
from rapport.customers import selectors, services
from rapport.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatchIn,
    CustomerQuery,
    EraseIn,
    IdentityIn,
    MergeIn,
    MergeOut,
    TimelineOut,
    TimelineQuery,
)
from rapport.lib.errors import DomainError, NotFound

router = Router(tags=["customers"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


@router.get("", response=list[CustomerOut], summary="List and search customers")
@paginate(LimitOffsetPagination)
def list_customers(request: HttpRequest, filters: Query[CustomerQuery]) -> Any:
    return selectors.customers_visible_to(_actor(request), **filters.dict())


@router.post("", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    data = payload.dict()
    identities = [services.NewIdentity(**i) for i in data.pop("identities")]
    customer = services.create_customer(_actor(request), identities=identities, **data)
    return Status(201, selectors.get_customer_for_user(_actor(request), customer.public_id))


@router.get("/{customer_id}", response=CustomerOut)
def get_customer(request: HttpRequest, customer_id: uuid.UUID) -> Any:
    return selectors.get_customer_for_user(_actor(request), customer_id)


@router.patch("/{customer_id}", response=CustomerOut, summary="Change a customer's profile")
def update_customer(request: HttpRequest, customer_id: uuid.UUID, payload: CustomerPatchIn) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    services.update_customer(_actor(request), customer, **changes)
    return selectors.get_customer_for_user(_actor(request), customer_id)


@router.post("/{customer_id}/identities", response={201: CustomerOut}, summary="Add an identity")
def add_identity(request: HttpRequest, customer_id: uuid.UUID, payload: IdentityIn) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    services.add_identity(_actor(request), customer, **payload.dict())
    return Status(201, selectors.get_customer_for_user(_actor(request), customer_id))


@router.delete(
    "/{customer_id}/identities/{identity_id}", response=CustomerOut, summary="Remove an identity"
)
def remove_identity(request: HttpRequest, customer_id: uuid.UUID, identity_id: uuid.UUID) -> Any:
    actor = _actor(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    services.remove_identity(actor, selectors.get_identity_for_user(actor, customer, identity_id))
    return selectors.get_customer_for_user(actor, customer_id)


@router.get(
    "/{customer_id}/timeline",
    response=TimelineOut,
    summary="Every message with this customer across channels, newest first",
)
def timeline(request: HttpRequest, customer_id: uuid.UUID, page: Query[TimelineQuery]) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    items = selectors.customer_timeline(
        _actor(request), customer, limit=page.limit + 1, before=page.before
    )
    more = len(items) > page.limit
    items = items[: page.limit]
    return {"items": items, "next_before": items[-1].public_id if more else None}


@router.post(
    "/{customer_id}/merge",
    response={201: MergeOut},
    summary="Merge this customer (a duplicate) into another",
)
def merge(request: HttpRequest, customer_id: uuid.UUID, payload: MergeIn) -> Any:
    actor = _actor(request)
    source = selectors.get_customer_for_user(actor, customer_id)
    try:
        target = selectors.get_customer_for_user(actor, payload.into)
    except NotFound:
        raise DomainError("No such customer to merge into.", code="unknown_customer") from None
    return Status(201, services.merge_customers(actor, source=source, target=target))


@router.get("/{customer_id}/merges", response=list[MergeOut], summary="Merges of this customer")
def list_merges(request: HttpRequest, customer_id: uuid.UUID) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    return selectors.merges_of(_actor(request), customer)


@router.post("/merges/{merge_id}/undo", response=MergeOut, summary="Undo a merge (within 30 days)")
def undo_merge(request: HttpRequest, merge_id: uuid.UUID) -> Any:
    merge = selectors.get_merge_for_user(_actor(request), merge_id)
    return services.undo_merge(_actor(request), merge)


@router.get(
    "/{customer_id}/export",
    response=dict[str, Any],
    summary="Everything held about a customer (admins, managers)",
)
def export(request: HttpRequest, customer_id: uuid.UUID) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    return services.export_customer(_actor(request), customer, format="json")


@router.post(
    "/{customer_id}/erase",
    response=CustomerOut,
    summary="Erase a customer's personal data (admins, managers)",
)
def erase(request: HttpRequest, customer_id: uuid.UUID, payload: EraseIn) -> Any:
    customer = selectors.get_customer_for_user(_actor(request), customer_id)
    services.erase_customer(_actor(request), customer)
    return selectors.get_customer_for_user(_actor(request), customer_id)
