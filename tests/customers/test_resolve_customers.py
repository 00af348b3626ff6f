"""Ingest's author resolution: known handles, new ones, merged customers, other organisations."""

from __future__ import annotations

from typing import Any

from django.db import connection

from rapport.accounts.models import Organisation
from rapport.customers.models import Customer, Identity
from rapport.customers.services import Author, resolve_customers
from tests.customers.helpers import customer


def test_known_new_merged_and_foreign_handles_resolve_in_one_batch(
    org: Organisation, other_org: Organisation, django_assert_num_queries: Any
) -> None:
    # Given a gold customer, a duplicate merged into a survivor, and a stranger elsewhere
    gold = customer(org, "Gold", ("mastodon", "gold@social.example"))
    gold.attributes = {"tier": "gold", "since": 2019}
    gold.save()
    survivor = customer(org, "Survivor", ("email", "sam@example.com"))
    survivor.attributes = {"tier": "silver"}
    survivor.save()
    duplicate = customer(org, "Duplicate", ("mastodon", "dup@social.example"))
    duplicate.merged_into = survivor
    duplicate.save()
    stranger = customer(other_org, "Elsewhere", ("mastodon", "new@social.example"))
    authors = [
        Author("mastodon", "Gold@Social.example", "Gold"),
        Author("mastodon", "dup@social.example", "Dup"),
        Author("mastodon", "new@social.example", "Newcomer"),
        Author("email", "gold@social.example", "Same handle, other platform"),
        Author("mastodon", "NEW@social.example", "Newcomer again"),
    ]

    # When they are resolved: the lookup, the survivors, the customers' insert (with
    # SQLite's id check before and after; PostgreSQL's returns the ids on the driver's
    # own cursor, which the count does not see) and the identities' insert
    with django_assert_num_queries(6 if connection.vendor == "sqlite" else 3):
        found = resolve_customers(org, authors)

    # Then each key names the right customer with its attributes, and new ones exist once
    assert found[("mastodon", "gold@social.example")].pk == gold.pk
    assert found[("mastodon", "gold@social.example")].attributes == {"tier": "gold", "since": 2019}
    assert found[("mastodon", "dup@social.example")].pk == survivor.pk
    assert found[("mastodon", "dup@social.example")].attributes == {"tier": "silver"}
    newcomer = found[("mastodon", "new@social.example")]
    assert newcomer.pk != stranger.pk and newcomer.attributes == {}
    assert Customer.objects.get(pk=newcomer.pk).organisation_id == org.pk
    other = found[("email", "gold@social.example")]
    assert other.pk not in (gold.pk, newcomer.pk)
    assert set(found) == {
        ("mastodon", "gold@social.example"),
        ("mastodon", "dup@social.example"),
        ("mastodon", "new@social.example"),
        ("email", "gold@social.example"),
    }
    assert Identity.objects.filter(organisation=org, handle="new@social.example").count() == 1

    # And a second batch with the same authors finds them all, creating nothing
    with django_assert_num_queries(2):
        again = resolve_customers(org, authors)
    assert {key: c.pk for key, c in again.items()} == {key: c.pk for key, c in found.items()}
