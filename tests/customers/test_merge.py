import datetime as dt

import pytest
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.customers import services
from rapport.customers.models import Customer, CustomerMerge, Identity
from rapport.customers.services import Author, resolve_identities
from rapport.inbox.models import Conversation, Message
from tests.customers import helpers


@pytest.fixture
def duplicates(org):
    """Jo (the record to keep) and Joanne (a duplicate), each with history on two channels."""
    social, email = helpers.channel(org), helpers.channel(org, "Support email", "email")
    jo = helpers.customer(org, "Jo", ("email", "jo@example.com"))
    joanne = helpers.customer(org, "Joanne", ("mastodon", "joanne@social.example"))
    kept = helpers.conversation(jo, email, "Invoice")
    helpers.message(kept, "Invoice is wrong")
    dup = helpers.conversation(joanne, social, "Parcel")
    helpers.message(dup, "Parcel late")
    helpers.message(dup, "Still late")
    # Joanne also chimed in on Jo's thread.
    helpers.message(kept, "Me too", author=joanne)
    return {"jo": jo, "joanne": joanne, "kept": kept, "dup": dup, "social": social}


def _state(customer: Customer) -> dict[str, set[int]]:
    return {
        "identities": set(Identity.objects.filter(customer=customer).values_list("pk", flat=True)),
        "conversations": set(
            Conversation.objects.filter(customer=customer).values_list("pk", flat=True)
        ),
        "messages": set(
            Message.objects.filter(author_customer=customer).values_list("pk", flat=True)
        ),
    }


def test_merge_moves_identities_conversations_and_messages(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    before_jo, before_joanne = _state(jo), _state(joanne)

    response = api_as(alice).post(
        f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["source"]["id"] == str(joanne.public_id)
    assert body["target"]["id"] == str(jo.public_id)
    assert (body["identities_moved"], body["conversations_moved"], body["messages_moved"]) == (
        1,
        1,
        3,
    )
    after = _state(jo)
    for part in after:
        assert after[part] == before_jo[part] | before_joanne[part]
    assert _state(joanne) == {"identities": set(), "conversations": set(), "messages": set()}
    joanne.refresh_from_db()
    assert joanne.merged_into == jo and joanne.display_name == "Joanne"


def test_merge_is_audited_and_hides_the_duplicate(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    api = api_as(alice)

    merge = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()

    entry = AuditEntry.objects.get(action="customer.merge")
    assert entry.object_id == str(joanne.public_id) and entry.actor == alice
    assert entry.changes["merged_into"] == [None, str(jo.public_id)]
    assert entry.changes["merge"] == [None, merge["id"]]
    assert entry.changes["messages_moved"] == [0, 3]
    listed = [c["display_name"] for c in api.get("/customers").json()["items"]]
    assert listed == ["Jo"]
    merged = api.get("/customers?include_merged=true").json()["items"]
    assert {c["display_name"]: c["merged_into"] for c in merged}["Joanne"]["id"] == str(
        jo.public_id
    )
    assert len(api.get(f"/customers/{jo.public_id}/timeline").json()["items"]) == 4


def test_new_messages_from_a_merged_handle_reach_the_surviving_customer(duplicates, ada):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    services.merge_customers(ada, source=joanne, target=jo)

    found = resolve_identities(jo.organisation, [Author("mastodon", "Joanne@Social.example")])

    assert found[("mastodon", "joanne@social.example")] == jo


def test_undo_restores_exactly_what_moved_and_later_additions_stay(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    before_jo, before_joanne = _state(jo), _state(joanne)
    api = api_as(alice)
    merge = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()
    # After the merge, Jo gains a phone number and a new conversation.
    api.post(f"/customers/{jo.public_id}/identities", {"platform": "phone", "handle": "0207946000"})
    later = helpers.conversation(jo, duplicates["social"], "Later")
    helpers.message(later, "New question")

    response = api.post(f"/customers/merges/{merge['id']}/undo")

    assert response.status_code == 200 and response.json()["undone_at"]
    assert _state(joanne) == before_joanne
    after_jo = _state(jo)
    assert after_jo["conversations"] == before_jo["conversations"] | {later.pk}
    assert after_jo["identities"] - before_jo["identities"] == {
        Identity.objects.get(platform="phone").pk
    }
    assert after_jo["messages"] - before_jo["messages"] == {later.messages.get().pk}
    joanne.refresh_from_db()
    assert joanne.merged_into is None
    entry = AuditEntry.objects.get(action="customer.merge_undo")
    assert entry.changes["messages_moved_back"] == [0, 3]


def test_a_merge_is_undone_once(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    api = api_as(alice)
    merge = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()
    api.post(f"/customers/merges/{merge['id']}/undo")

    again = api.post(f"/customers/merges/{merge['id']}/undo")

    assert again.status_code == 409 and again.json()["code"] == "merge_undone"
    assert AuditEntry.objects.filter(action="customer.merge_undo").count() == 1


def test_undo_after_thirty_days_is_refused_and_moves_nothing(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    api = api_as(alice)
    merge = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()
    CustomerMerge.objects.filter(public_id=merge["id"]).update(
        created_at=timezone.now() - dt.timedelta(days=30, minutes=1)
    )
    state = _state(jo)

    response = api.post(f"/customers/merges/{merge['id']}/undo")

    assert response.status_code == 409 and response.json()["code"] == "undo_window_passed"
    assert _state(jo) == state
    assert not AuditEntry.objects.filter(action="customer.merge_undo").exists()


def test_undo_within_thirty_days_is_allowed(duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    api = api_as(alice)
    merge = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()
    CustomerMerge.objects.filter(public_id=merge["id"]).update(
        created_at=timezone.now() - dt.timedelta(days=29, hours=23)
    )

    assert api.post(f"/customers/merges/{merge['id']}/undo").status_code == 200


def test_chained_merges_are_undone_newest_first(org, duplicates, alice, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    jay = helpers.customer(org, "Jay")
    api = api_as(alice)
    first = api.post(f"/customers/{joanne.public_id}/merge", {"into": str(jo.public_id)}).json()
    second = api.post(f"/customers/{jo.public_id}/merge", {"into": str(jay.public_id)}).json()

    out_of_order = api.post(f"/customers/merges/{first['id']}/undo")
    newest = api.post(f"/customers/merges/{second['id']}/undo")
    oldest = api.post(f"/customers/merges/{first['id']}/undo")

    assert out_of_order.status_code == 409 and out_of_order.json()["code"] == "target_merged"
    assert newest.status_code == 200 and oldest.status_code == 200
    assert list(joanne.identities.values_list("handle", flat=True)) == ["joanne@social.example"]
    assert list(jo.identities.values_list("handle", flat=True)) == ["jo@example.com"]
    assert not jay.identities.exists()


@pytest.mark.parametrize("case", ["self", "merged_source", "merged_target", "erased"])
def test_impossible_merges_are_refused_and_write_nothing(case, org, duplicates, ada, api_as):
    jo, joanne = duplicates["jo"], duplicates["joanne"]
    third = helpers.customer(org, "Third")
    source, target, code, status = joanne, jo, "", 409
    if case == "self":
        source, target, code, status = jo, jo, "merge_self", 400
    elif case == "merged_source":
        services.merge_customers(ada, source=joanne, target=third)
        code = "customer_merged"
    elif case == "merged_target":
        services.merge_customers(ada, source=jo, target=third)
        code = "customer_merged"
    else:
        services.erase_customer(ada, jo)
        code = "customer_erased"
    merges = CustomerMerge.objects.count()

    response = api_as(ada).post(
        f"/customers/{source.public_id}/merge", {"into": str(target.public_id)}
    )

    assert response.status_code == status and response.json()["code"] == code
    assert CustomerMerge.objects.count() == merges


def test_merges_of_a_customer_are_listed(duplicates, ana, ada, api_as):
    services.merge_customers(ada, source=duplicates["joanne"], target=duplicates["jo"])

    listed = api_as(ana).get(f"/customers/{duplicates['jo'].public_id}/merges").json()

    assert [(m["source"]["display_name"], m["target"]["display_name"]) for m in listed] == [
        ("Joanne", "Jo")
    ]
    assert listed[0]["undone_at"] is None and listed[0]["undo_until"]
