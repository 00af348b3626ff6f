from playwright.sync_api import Page, expect

from rapport.inbox.models import Direction
from tests.conftest import PASSWORD
from tests.customers import helpers


def _log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_supervisor_finds_a_customer_merges_a_duplicate_and_undoes_it(
    page: Page, live_server, org, sam, bob
):
    jo = helpers.customer(org, "Jo Bloggs", ("email", "jo@example.com"))
    email = helpers.channel(org, "Support email", "email")
    complaint = helpers.conversation(jo, email, "Refund")
    helpers.message(complaint, "Where is my refund?")
    helpers.message(complaint, "On its way", agent=bob, direction=Direction.OUTBOUND)
    duplicate = helpers.customer(org, "J. Bloggs", ("mastodon", "jbloggs@social.example"))
    helpers.message(helpers.conversation(duplicate, helpers.channel(org), "Parcel"), "Parcel late")
    _log_in(page, live_server.url, sam.email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_label("Search").fill("jo@example")
    page.get_by_role("link", name="Jo Bloggs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo Bloggs")
    expect(page.get_by_text("Where is my refund?")).to_be_visible()

    page.get_by_role("link", name="Merge a duplicate into this customer").click()
    page.get_by_label("Find the duplicate").fill("bloggs")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Merge into Jo Bloggs").click()

    expect(page.get_by_text("J. Bloggs merged into Jo Bloggs")).to_be_visible()
    expect(page.get_by_text("Parcel late")).to_be_visible()
    expect(page.get_by_text("jbloggs@social.example")).to_be_visible()

    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_text("Merge undone")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("J. Bloggs")
    expect(page.get_by_text("Parcel late")).to_be_visible()
