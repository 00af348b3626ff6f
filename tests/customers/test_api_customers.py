import json
import uuid

import pytest

from rapport.accounts.models import AuditEntry
from rapport.customers import services
from rapport.customers.models import Customer, Identity
from rapport.inbox.models import Direction
from tests.customers import helpers


def test_agent_creates_a_customer_with_normalised_identities(alice, api_as):
    response = api_as(alice).post(
        "/customers",
        {
            "display_name": "Jo Bloggs",
            "kind": "supplier",
            "company": "Bloggs Haulage",
            "attributes": {"account": "A-17", "fleet": 12, "vip": True},
            "identities": [
                {"platform": "email", "handle": " Jo@Example.COM "},
                {"platform": "phone", "handle": "+44 (0)20 7946-0958"},
                {"platform": "mastodon", "handle": "@Jo@Social.Example"},
            ],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["display_name"] == "Jo Bloggs" and body["kind"] == "supplier"
    assert body["attributes"] == {"account": "A-17", "fleet": 12, "vip": True}
    assert {(i["platform"], i["handle"]) for i in body["identities"]} == {
        ("email", "jo@example.com"),
        ("phone", "+4402079460958"),
        ("mastodon", "jo@social.example"),
    }


def test_creating_a_customer_is_audited_without_personal_data(alice, api_as):
    body = (
        api_as(alice)
        .post(
            "/customers",
            {
                "display_name": "Jo Bloggs",
                "notes": "Prefers mornings",
                "identities": [{"platform": "email", "handle": "jo@example.com"}],
            },
        )
        .json()
    )

    entry = AuditEntry.objects.get(action="customer.create", object_id=body["id"])
    assert entry.actor == alice
    assert entry.changes["display_name"] == [None, "***"]
    assert entry.changes["identities"] == [None, ["email"]]
    written = json.dumps(entry.changes) + entry.object_label
    assert "Jo" not in written and "jo@example.com" not in written and "mornings" not in written


def test_an_identity_held_by_another_customer_is_a_conflict_naming_them(org, alice, api_as):
    first = helpers.customer(org, "Jo", ("email", "jo@example.com"))
    second = helpers.customer(org, "Joanne")

    response = api_as(alice).post(
        f"/customers/{second.public_id}/identities",
        {"platform": "email", "handle": "JO@example.com"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"
    assert response.json()["details"] == {"customer": str(first.public_id)}
    assert not second.identities.exists()


def test_creating_a_customer_with_a_taken_identity_writes_nothing(org, alice, api_as):
    helpers.customer(org, "Jo", ("phone", "+442079460958"))
    before = Customer.objects.count()

    response = api_as(alice).post(
        "/customers",
        {
            "display_name": "Jo again",
            "identities": [{"platform": "phone", "handle": "0044 20 7946 0958"}],
        },
    )

    assert response.status_code == 409 and response.json()["code"] == "identity_taken"
    assert Customer.objects.count() == before
    assert not AuditEntry.objects.filter(action="customer.create").exists()


def test_adding_an_identity_the_customer_already_has_changes_nothing(org, alice, api_as):
    jo = helpers.customer(org, "Jo", ("email", "jo@example.com"))

    response = api_as(alice).post(
        f"/customers/{jo.public_id}/identities", {"platform": "email", "handle": "Jo@Example.com"}
    )

    assert response.status_code == 201
    assert jo.identities.count() == 1
    assert not AuditEntry.objects.filter(action="customer.identity_add").exists()


def test_adding_and_removing_an_identity_is_audited(org, sam, api_as):
    jo = helpers.customer(org, "Jo")
    api = api_as(sam)

    added = api.post(
        f"/customers/{jo.public_id}/identities", {"platform": "bluesky", "handle": "jo.bsky.social"}
    )
    identity_id = added.json()["identities"][0]["id"]
    removed = api.delete(f"/customers/{jo.public_id}/identities/{identity_id}")

    assert added.status_code == 201 and removed.status_code == 200
    assert removed.json()["identities"] == []
    actions = list(
        AuditEntry.objects.filter(object_id=str(jo.public_id)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["customer.identity_add", "customer.identity_remove"]


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "Jo", "identities": [{"platform": "email", "handle": "not-an-email"}]},
        {"display_name": "Jo", "identities": [{"platform": "phone", "handle": "12"}]},
        {"display_name": "Jo", "identities": [{"platform": "Not A Platform", "handle": "jo"}]},
        {"display_name": "Jo", "identities": [{"platform": "mastodon", "handle": "jo bloggs"}]},
        {"display_name": 42},
        {"display_name": ""},
        {"kind": "public"},
        {"display_name": "Jo", "kind": "alien"},
        {"display_name": "Jo", "preferred_contact": "pigeon"},
        {"display_name": "Jo", "attributes": {"nested": {"no": 1}}},
        {"display_name": "Jo", "attributes": {f"k{i}": i for i in range(51)}},
        {"display_name": "Jo", "marketing_consent": "maybe"},
        {"display_name": "Jo", "language": "x" * 13},
        [],
    ],
)
def test_invalid_customer_gets_422_with_details_and_writes_nothing(alice, api_as, body):
    response = api_as(alice).post("/customers", body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error" and response.json()["details"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"display_name": "Jo", "language": "english!"}, "invalid_language"),
        ({"display_name": "Jo", "marketing_consent": True}, "consent_source_required"),
        ({"display_name": "   "}, "name_required"),
    ],
)
def test_domain_rules_give_400_with_a_code_and_write_nothing(alice, api_as, body, code):
    response = api_as(alice).post("/customers", body)

    assert response.status_code == 400 and response.json()["code"] == code
    assert not Customer.objects.exists()


def test_invalid_email_identity_names_the_problem(org, alice, api_as):
    jo = helpers.customer(org, "Jo")

    response = api_as(alice).post(
        f"/customers/{jo.public_id}/identities", {"platform": "email", "handle": "jo@"}
    )

    assert response.status_code == 422
    assert "valid email" in json.dumps(response.json()["details"])
    assert not jo.identities.exists()


def test_update_changes_the_profile_and_audits_what_changed(org, alice, api_as):
    jo = helpers.customer(org, "Jo")

    response = api_as(alice).patch(
        f"/customers/{jo.public_id}",
        {"kind": "corporate", "notes": "Called about invoice", "preferred_contact": "email"},
    )

    assert response.status_code == 200
    assert (
        response.json()["kind"] == "corporate"
        and response.json()["notes"] == "Called about invoice"
    )
    entry = AuditEntry.objects.get(action="customer.update", object_id=str(jo.public_id))
    assert entry.changes == {
        "kind": ["public", "corporate"],
        "notes": ["", "***"],
        "preferred_contact": ["any", "email"],
    }


def test_giving_consent_records_when_and_where(org, alice, api_as):
    jo = helpers.customer(org, "Jo")
    api = api_as(alice)

    refused = api.patch(f"/customers/{jo.public_id}", {"marketing_consent": True})
    given = api.patch(
        f"/customers/{jo.public_id}", {"marketing_consent": True, "consent_source": "Web form"}
    )
    withdrawn = api.patch(f"/customers/{jo.public_id}", {"marketing_consent": False})

    assert refused.status_code == 400 and refused.json()["code"] == "consent_source_required"
    assert given.json()["marketing_consent"] is True
    assert given.json()["consent_source"] == "Web form" and given.json()["consent_recorded_at"]
    assert withdrawn.json()["marketing_consent"] is False
    assert withdrawn.json()["consent_recorded_at"] > given.json()["consent_recorded_at"]


def test_attributes_are_replaced_as_a_whole(org, alice, api_as):
    jo = helpers.customer(org, "Jo")
    api = api_as(alice)
    api.patch(f"/customers/{jo.public_id}", {"attributes": {"tier": "gold", "seats": 4}})

    response = api.patch(f"/customers/{jo.public_id}", {"attributes": {"tier": "silver"}})

    assert response.json()["attributes"] == {"tier": "silver"}


def test_a_merged_away_customer_cannot_be_changed(org, alice, api_as):
    jo, joanne = helpers.customer(org, "Jo"), helpers.customer(org, "Joanne")
    api = api_as(alice)
    api.post(f"/customers/{jo.public_id}/merge", {"into": str(joanne.public_id)})

    response = api.patch(f"/customers/{jo.public_id}", {"notes": "x"})

    assert response.status_code == 409 and response.json()["code"] == "customer_merged"


def test_list_searches_by_name_company_and_any_identity(org, ana, api_as):
    helpers.customer(org, "Jo Bloggs", ("email", "jo@example.com"), ("phone", "+442079460958"))
    helpers.customer(org, "Sam Smith", ("mastodon", "sam@social.example"))
    acme = helpers.customer(org, "Pat")
    Customer.objects.filter(pk=acme.pk).update(company="Acme Ltd")
    api = api_as(ana)

    def names(q: str) -> list[str]:
        return [c["display_name"] for c in api.get(f"/customers?q={q}").json()["items"]]

    assert names("bloggs") == ["Jo Bloggs"]
    assert names("JO%40EXAMPLE") == ["Jo Bloggs"]
    assert names("7946 0958") == ["Jo Bloggs"]
    assert names("%40sam") == ["Sam Smith"]
    assert names("acme") == ["Pat"]
    assert names("") == ["Jo Bloggs", "Pat", "Sam Smith"]


def test_list_query_count_does_not_grow_with_the_page(
    org, ada, api_as, django_assert_max_num_queries
):
    on = helpers.channel(org)
    for n in range(30):
        person = helpers.customer(org, f"Customer {n:02}", ("email", f"c{n}@example.com"))
        helpers.message(helpers.conversation(person, on), f"Hello {n}")
    api = api_as(ada)
    api.get("/customers?limit=1")

    with django_assert_max_num_queries(5):
        small = api.get("/customers?limit=2")
    with django_assert_max_num_queries(5):
        large = api.get("/customers?limit=30")

    assert small.json()["count"] == 30 and len(large.json()["items"]) == 30
    assert large.json()["items"][0]["conversation_count"] == 1
    assert large.json()["items"][0]["identities"][0]["handle"] == "c0@example.com"


def test_timeline_spans_channels_newest_first_in_pages(
    org, alice, bob, api_as, django_assert_max_num_queries
):
    jo = helpers.customer(org, "Jo")
    social, email = helpers.channel(org), helpers.channel(org, "Support email", "email")
    public = helpers.conversation(jo, social)
    private = helpers.conversation(jo, email, "Refund")
    helpers.message(public, "My parcel is late")
    helpers.message(private, "Where is my refund?")
    helpers.message(private, "On its way", agent=bob, direction=Direction.OUTBOUND)
    other = helpers.conversation(helpers.customer(org, "Sam"), social, "Sam's thread")
    helpers.message(other, "Same here!", author=jo)
    api = api_as(alice)

    with django_assert_max_num_queries(6):
        first = api.get(f"/customers/{jo.public_id}/timeline?limit=3").json()
    second = api.get(
        f"/customers/{jo.public_id}/timeline?limit=3&before={first['next_before']}"
    ).json()

    assert [m["text"] for m in first["items"]] == [
        "Same here!",
        "On its way",
        "Where is my refund?",
    ]
    assert [m["channel"]["name"] for m in first["items"]] == [
        "Mastodon",
        "Support email",
        "Support email",
    ]
    assert first["items"][1]["author"] == "Bob Agent" and first["items"][1]["direction"] == "out"
    assert [m["text"] for m in second["items"]] == ["My parcel is late"]
    assert second["next_before"] is None


def test_timeline_refuses_a_cursor_from_elsewhere(org, alice, api_as):
    jo = helpers.customer(org, "Jo")

    unknown = api_as(alice).get(f"/customers/{jo.public_id}/timeline?before={uuid.uuid4()}")
    malformed = api_as(alice).get(f"/customers/{jo.public_id}/timeline?before=yesterday")

    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_cursor"
    assert malformed.status_code == 422


def test_unknown_and_malformed_ids_are_clear_4xx(org, alice, api_as):
    jo = helpers.customer(org, "Jo")
    api = api_as(alice)

    assert api.get(f"/customers/{uuid.uuid4()}").status_code == 404
    assert api.get("/customers/not-a-uuid").status_code == 422
    assert api.patch(f"/customers/{uuid.uuid4()}", {"notes": "x"}).status_code == 404
    assert api.delete(f"/customers/{jo.public_id}/identities/{uuid.uuid4()}").status_code == 404
    merged = api.post(f"/customers/{jo.public_id}/merge", {"into": str(uuid.uuid4())})
    assert merged.status_code == 400 and merged.json()["code"] == "unknown_customer"
    assert api.post(f"/customers/{jo.public_id}/merge", {"into": 7}).status_code == 422
    assert api.post(f"/customers/merges/{uuid.uuid4()}/undo").status_code == 404


WRITES = [
    ("post", "/customers", {"display_name": "Sneaky"}),
    ("patch", "/customers/{jo}", {"notes": "changed"}),
    ("post", "/customers/{jo}/identities", {"platform": "email", "handle": "x@example.com"}),
    ("delete", "/customers/{jo}/identities/{identity}", None),
    ("post", "/customers/{jo}/merge", {"into": "{sam}"}),
    ("post", "/customers/merges/{merge}/undo", None),
    ("post", "/customers/{jo}/erase", {"confirm": "erase"}),
]


@pytest.fixture
def world(org, ada):
    """Jo with an identity, Sam, and a merge of a third customer into Sam."""
    jo = helpers.customer(org, "Jo", ("email", "jo@example.com"))
    sam = helpers.customer(org, "Sam")
    merge = services.merge_customers(ada, source=helpers.customer(org, "Sammy"), target=sam)
    return {
        "jo": jo.public_id,
        "sam": sam.public_id,
        "identity": jo.identities.get().public_id,
        "merge": merge.public_id,
    }


def _call(api, method, path, body, ids):
    path = path.format(**ids)
    if body is not None:
        body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    return api.call(method, path, body) if method != "delete" else api.delete(path)


@pytest.mark.parametrize("who", ["ana", "ash", "mara"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_read_only_roles_are_refused_every_write(who, method, path, body, world, request, api_as):
    api = api_as(request.getfixturevalue(who))
    before = (Customer.objects.count(), Identity.objects.count(), AuditEntry.objects.count())

    response = _call(api, method, path, body, world)

    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    after = (Customer.objects.count(), Identity.objects.count(), AuditEntry.objects.count())
    assert after == before
    assert Customer.objects.get(public_id=world["jo"]).notes == ""


@pytest.mark.parametrize("who", ["ana", "ash", "mara"])
def test_read_only_roles_can_still_read(who, world, request, api_as):
    api = api_as(request.getfixturevalue(who))

    assert api.get("/customers").status_code == 200
    assert api.get(f"/customers/{world['jo']}").status_code == 200
    assert api.get(f"/customers/{world['jo']}/timeline").status_code == 200


@pytest.mark.parametrize("who", ["alice", "sam", "ana", "mara"])
def test_only_admins_and_managers_export_or_erase(who, world, request, api_as):
    api = api_as(request.getfixturevalue(who))

    exported = api.get(f"/customers/{world['jo']}/export")
    erased = api.post(f"/customers/{world['jo']}/erase", {"confirm": "erase"})

    assert exported.status_code == 403 and erased.status_code == 403
    assert Customer.objects.get(public_id=world["jo"]).erased_at is None
    assert not AuditEntry.objects.filter(action__in=["customer.export", "customer.erase"]).exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/customers/{jo}", None),
        ("get", "/customers/{jo}/timeline", None),
        ("get", "/customers/{jo}/merges", None),
        ("get", "/customers/{jo}/export", None),
        *WRITES[1:],
    ],
)
def test_outsider_gets_404_everywhere(method, path, body, world, charlie, api_as):
    api = api_as(charlie)
    if method == "get":
        response = api.get(path.format(**world))
    else:
        response = _call(api, method, path, body, world)

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Customer.objects.get(public_id=world["jo"]).erased_at is None


def test_outsider_lists_none_and_cannot_merge_into_northwind(world, charlie, api_as):
    api = api_as(charlie)
    own = api.post("/customers", {"display_name": "Contoso customer"}).json()

    listed = api.get("/customers").json()
    merged = api.post(f"/customers/{own['id']}/merge", {"into": str(world["sam"])})

    assert [c["display_name"] for c in listed["items"]] == ["Contoso customer"]
    assert merged.status_code == 400 and merged.json()["code"] == "unknown_customer"
