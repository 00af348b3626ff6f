"""State changes for customers and their identities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapport.accounts.models import Organisation
from rapport.customers.models import Customer, Identity


@dataclass(frozen=True)
class Author:
    """Who wrote an inbound message, as the platform names them."""

    platform: str
    handle: str
    display_name: str = ""
    email: str = ""


def normalise_handle(handle: str) -> str:
    return handle.strip().lower()[:320]


def resolve_identities(
    organisation: Organisation, authors: Iterable[Author]
) -> dict[tuple[str, str], Customer]:
    """Return the customer behind each (platform, normalised handle), creating what is new.

    Built for ingest: one query finds known identities, two bulk inserts create
    the rest, whatever the batch size. A customer who was merged into another
    resolves to the surviving customer. Call inside the caller's transaction.
    """
    wanted: dict[tuple[str, str], Author] = {}
    for author in authors:
        key = (author.platform, normalise_handle(author.handle))
        wanted.setdefault(key, author)
    if not wanted:
        return {}
    found: dict[tuple[str, str], Customer] = {}
    handles = {handle for _, handle in wanted}
    known = Identity.objects.filter(organisation=organisation, handle__in=handles).select_related(
        "customer__merged_into"
    )
    for identity in known:
        key = (identity.platform, identity.handle)
        if key in wanted:
            customer = identity.customer
            found[key] = customer.merged_into or customer
    missing = [key for key in wanted if key not in found]
    if missing:
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    organisation=organisation,
                    display_name=(wanted[key].display_name or wanted[key].handle)[:200],
                )
                for key in missing
            ]
        )
        Identity.objects.bulk_create(
            [
                Identity(
                    organisation=organisation,
                    customer=customer,
                    platform=key[0],
                    handle=key[1],
                    display_name=wanted[key].display_name[:200],
                )
                for key, customer in zip(missing, customers, strict=True)
            ]
        )
        found.update(zip(missing, customers, strict=True))
    return found
