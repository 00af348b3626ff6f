import re

from playwright.sync_api import Page, expect

from rapport.inbox import services
from rapport.inbox.models import Conversation, Message
from tests.conftest import PASSWORD
from tests.inbox.conftest import channel, event  # noqa: F401  (fixture)


def test_agent_works_the_inbox_with_the_keyboard(page: Page, live_server, alice, channel):  # noqa: F811
    services.ingest(
        channel,
        [
            event("Where is my order?", author_handle="@a@x", author_name="Ann"),
            event("My mug arrived cracked", author_handle="@b@x", author_name="Bea"),
        ],
    )
    page.goto(f"{live_server.url}/login/?next=/inbox/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-row]")).to_have_count(2)

    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page.locator("#pane .conv-title")).to_contain_text("Bea")
    page.keyboard.press("a")
    expect(page.locator("#assignee-select")).to_have_value(str(alice.public_id))
    page.keyboard.press("r")
    page.keyboard.type("So sorry, Bea. A new mug is on its way.")
    page.keyboard.press("Control+Enter")

    expect(page.locator(".msg-out")).to_contain_text("A new mug is on its way")
    page.keyboard.press("Escape")
    # Triage reads "arrived cracked" as a complaint, so `e` opens the resolution form.
    page.keyboard.press("e")
    expect(page.locator("#res-action")).to_be_focused()
    page.locator("#res-action").select_option("replacement")
    page.get_by_placeholder("Outcome").fill("New mug posted")
    page.get_by_role("button", name="Record and resolve").click()
    expect(page.locator("#status-select")).to_have_value("resolved")
    expect(page).to_have_url(re.compile(r"/inbox/c/[0-9a-f-]+/$"))
    page.screenshot(path="test-artifacts/inbox-keyboard.png")

    conversation = Conversation.objects.get(customer__display_name="Bea")
    assert conversation.status == "resolved" and conversation.assignee_id == alice.pk
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 1
