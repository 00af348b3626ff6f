import uuid

import pytest
from django.urls import reverse

from rapport.accounts.models import AuditEntry
from rapport.customers import services
from rapport.customers.models import Customer, CustomerMerge, Identity
from rapport.inbox.models import Direction
from tests.customers import helpers


@pytest.fixture
def jo(org, bob):
    jo = helpers.customer(org, "Jo Bloggs", ("email", "jo@example.com"))
    social, email = helpers.channel(org), helpers.channel(org, "Support email", "email")
    helpers.message(helpers.conversation(jo, social, "Parcel"), "Where is my parcel?")
    complaint = helpers.conversation(jo, email, "Refund")
    helpers.message(complaint, "<script>alert('x')</script> refund please")
    helpers.message(complaint, "Refund sent", agent=bob, direction=Direction.OUTBOUND)
    return jo


PAGES = ["detail", "edit", "merge", "export", "erase"]


@pytest.mark.parametrize("page", PAGES)
def test_customer_pages_render_for_an_admin(page, jo, ada, web_as):
    response = web_as(ada).get(reverse(f"customers:{page}", args=[jo.public_id]))

    assert response.status_code == 200
    assert b"Jo Bloggs" in response.content


def test_list_page_searches_and_links_to_customers(org, jo, ana, web_as):
    helpers.customer(org, "Sam Smith")

    response = web_as(ana).get(reverse("customers:list"), {"q": "jo@example"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Jo Bloggs" in page and "Sam Smith" not in page
    assert reverse("customers:detail", args=[jo.public_id]) in page


def test_navigation_offers_customers_to_every_role(ana, web_as):
    assert "Customers" in web_as(ana).get("/").content.decode()


def test_customer_page_shows_the_cross_channel_timeline_escaped(jo, alice, web_as):
    page = web_as(alice).get(reverse("customers:detail", args=[jo.public_id])).content.decode()

    assert "Where is my parcel?" in page and "Refund sent" in page
    assert "Mastodon" in page and "Support email" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; refund please" in page
    assert page.index("Refund sent") < page.index("Where is my parcel?")


def test_agent_adds_a_customer_through_the_page(alice, web_as):
    response = web_as(alice).post(
        reverse("customers:list"),
        {"display_name": "Pat", "kind": "internal", "email": "Pat@Northwind.test", "phone": ""},
    )

    pat = Customer.objects.get(display_name="Pat")
    assert response.status_code == 302 and response.url == reverse(
        "customers:detail", args=[pat.public_id]
    )
    assert pat.kind == "internal"
    assert list(pat.identities.values_list("platform", "handle")) == [
        ("email", "pat@northwind.test")
    ]


def test_a_taken_email_on_the_page_shows_the_reason_and_writes_nothing(jo, alice, web_as):
    response = web_as(alice).post(
        reverse("customers:list"),
        {"display_name": "Jo again", "kind": "public", "email": "jo@example.com"},
    )

    assert response.status_code == 200
    assert b"belongs to another customer" in response.content
    assert not Customer.objects.filter(display_name="Jo again").exists()


def test_edit_page_saves_profile_attributes_and_consent(jo, alice, web_as):
    services.update_customer(alice, jo, attributes={"seats": 4, "tier": "gold"})

    response = web_as(alice).post(
        reverse("customers:edit", args=[jo.public_id]),
        {
            "display_name": "Jo Bloggs",
            "kind": "corporate",
            "company": "Bloggs Haulage",
            "language": "en-GB",
            "preferred_contact": "email",
            "marketing_consent": "on",
            "consent_source": "Phone call",
            "notes": "Key account",
            "attributes": "seats: 4\ntier: platinum\n\nregion: North",
        },
    )

    assert response.status_code == 302
    jo.refresh_from_db()
    assert (jo.kind, jo.company, jo.language) == ("corporate", "Bloggs Haulage", "en-GB")
    assert jo.attributes == {"seats": 4, "tier": "platinum", "region": "North"}
    assert jo.marketing_consent and jo.consent_source == "Phone call" and jo.consent_recorded_at


def test_edit_page_explains_bad_attributes(jo, alice, web_as):
    response = web_as(alice).post(
        reverse("customers:edit", args=[jo.public_id]),
        {
            "display_name": "Jo",
            "kind": "public",
            "preferred_contact": "any",
            "attributes": "no colon here",
        },
    )

    assert response.status_code == 200 and "Line 1" in response.content.decode()
    jo.refresh_from_db()
    assert jo.display_name == "Jo Bloggs"


def test_identities_are_added_and_removed_on_the_customer_page(jo, alice, web_as):
    client = web_as(alice)
    url = reverse("customers:detail", args=[jo.public_id])

    bad = client.post(url, {"platform": "email", "handle": "nope@"})
    added = client.post(url, {"platform": "phone", "handle": "020 7946 0000"})
    phone = jo.identities.get(platform="phone")
    removed = client.post(
        reverse("customers:identity_remove", args=[jo.public_id, phone.public_id])
    )

    assert bad.status_code == 200 and b"not a valid email address" in bad.content
    assert added.status_code == 302 and removed.status_code == 302
    assert list(jo.identities.values_list("platform", flat=True)) == ["email"]


def test_merge_page_finds_the_duplicate_merges_it_and_offers_undo(org, jo, sam, web_as):
    duplicate = helpers.customer(org, "J. Bloggs", ("mastodon", "jbloggs@social.example"))
    client = web_as(sam)
    url = reverse("customers:merge", args=[jo.public_id])

    found = client.get(url, {"q": "bloggs"}).content.decode()
    merged = client.post(url, {"duplicate": str(duplicate.public_id)})
    page = client.get(reverse("customers:detail", args=[jo.public_id])).content.decode()
    merge = CustomerMerge.objects.get()
    undone = client.post(reverse("customers:merge_undo", args=[merge.public_id]))

    assert "J. Bloggs" in found and f'value="{jo.public_id}"' not in found
    assert merged.status_code == 302
    assert "Undo merge" in page and "jbloggs@social.example" in page
    assert undone.status_code == 302
    assert duplicate.identities.get().handle == "jbloggs@social.example"


def test_undo_refused_on_the_page_says_why(org, jo, sam, web_as):
    duplicate = helpers.customer(org, "J. Bloggs")
    merge = services.merge_customers(sam, source=duplicate, target=jo)
    services.undo_merge(sam, merge)
    client = web_as(sam)

    response = client.post(reverse("customers:merge_undo", args=[merge.public_id]), follow=True)

    assert response.status_code == 200 and b"already been undone" in response.content


def test_export_page_is_readable_and_offers_json(jo, morgan, web_as):
    client = web_as(morgan)

    page = client.get(reverse("customers:export", args=[jo.public_id])).content.decode()
    download = client.get(reverse("customers:export_json", args=[jo.public_id]))

    assert "Where is my parcel?" in page and "jo@example.com" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert reverse("customers:export_json", args=[jo.public_id]) in page
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.json()["customer"]["display_name"] == "Jo Bloggs"
    formats = AuditEntry.objects.filter(action="customer.export").values_list("changes", flat=True)
    assert sorted(c["format"][1] for c in formats) == ["html", "json"]


def test_erase_page_needs_the_word_erase(jo, ada, web_as):
    client = web_as(ada)
    url = reverse("customers:erase", args=[jo.public_id])

    refused = client.post(url, {"confirm": "yes please"})
    jo.refresh_from_db()
    assert refused.status_code == 200 and jo.erased_at is None

    erased = client.post(url, {"confirm": "erase"})
    jo.refresh_from_db()
    assert erased.status_code == 302 and jo.display_name == "Erased customer"
    page = client.get(reverse("customers:detail", args=[jo.public_id])).content.decode()
    assert "Where is my parcel?" not in page and "[erased]" in page


@pytest.mark.parametrize("who", ["ana", "ash", "mara"])
def test_read_only_roles_see_customers_but_cannot_change_them(who, jo, request, web_as):
    client = web_as(request.getfixturevalue(who))

    detail = client.get(reverse("customers:detail", args=[jo.public_id]))
    pages = [client.get(reverse(f"customers:{p}", args=[jo.public_id])) for p in PAGES[1:]]
    added = client.post(
        reverse("customers:detail", args=[jo.public_id]),
        {"platform": "phone", "handle": "020 7946 0000"},
    )
    created = client.post(reverse("customers:list"), {"display_name": "X", "kind": "public"})

    assert detail.status_code == 200 and b"Edit</a>" not in detail.content
    assert [p.status_code for p in pages] == [403, 403, 403, 403]
    assert added.status_code == 403 and created.status_code == 403
    assert not Identity.objects.filter(platform="phone").exists()
    assert not Customer.objects.filter(display_name="X").exists()


def test_agent_cannot_open_export_or_erase(jo, alice, web_as):
    client = web_as(alice)

    assert client.get(reverse("customers:export", args=[jo.public_id])).status_code == 403
    assert client.get(reverse("customers:export_json", args=[jo.public_id])).status_code == 403
    assert (
        client.post(
            reverse("customers:erase", args=[jo.public_id]), {"confirm": "erase"}
        ).status_code
        == 403
    )
    jo.refresh_from_db()
    assert jo.erased_at is None


@pytest.mark.parametrize("page", [*PAGES, "export_json"])
def test_outsider_gets_404_on_every_customer_page(page, jo, charlie, web_as):
    response = web_as(charlie).get(reverse(f"customers:{page}", args=[jo.public_id]))

    assert response.status_code == 404


def test_outsider_cannot_post_to_customer_pages(jo, charlie, web_as):
    client = web_as(charlie)
    identity = jo.identities.get()

    removed = client.post(
        reverse("customers:identity_remove", args=[jo.public_id, identity.public_id])
    )
    erased = client.post(reverse("customers:erase", args=[jo.public_id]), {"confirm": "erase"})
    unknown = client.get(reverse("customers:detail", args=[uuid.uuid4()]))

    assert removed.status_code == 404 and erased.status_code == 404 and unknown.status_code == 404
    assert Identity.objects.filter(pk=identity.pk).exists()
    jo.refresh_from_db()
    assert jo.erased_at is None
