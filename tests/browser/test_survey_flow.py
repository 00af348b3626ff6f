"""A customer answers a survey on a phone-sized screen; staff read it in the responses list."""

from pathlib import Path

from playwright.sync_api import Page, expect

from rapport.inbox.models import Conversation
from rapport.surveys import services
from rapport.surveys.demo import STANDARD_QUESTIONS
from rapport.surveys.models import SurveyResponse
from tests.conftest import PASSWORD
from tests.inbox.conftest import channel, event  # noqa: F401  (fixture)
from tests.surveys.conftest import invite, token_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_customer_answers_on_a_phone(page: Page, live_server, sam, alice, channel):  # noqa: F811
    from rapport.inbox import services as inbox

    services.create_survey(sam, name="How did we do?", questions=STANDARD_QUESTIONS, active=True)
    inbox.ingest(channel, [event("My grinder stopped working", author_name="Bea")])
    conversation = Conversation.objects.get()
    inbox.reply(alice, conversation, text="Sorry Bea, a replacement is on its way.")
    conversation.refresh_from_db()
    conversation.status = "resolved"
    conversation.save()
    link = token_of(invite(conversation.pk))

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/surveys/r/{link}/")
    expect(page.locator("h1")).to_have_text("How did we do?")
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    point = page.locator(".survey-point").first.bounding_box()
    assert point is not None and point["height"] >= 44
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "survey-phone.png"), full_page=True)

    page.locator("fieldset").nth(0).get_by_text("4", exact=True).click()
    page.locator("fieldset").nth(1).get_by_text("9", exact=True).click()
    page.get_by_placeholder("Tell us more (optional)").fill(
        "Quick replacement, but the courier was late."
    )
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator(".survey-done")).to_contain_text("Thank you")
    page.screenshot(path=str(ARTIFACTS / "survey-phone-thanks.png"), full_page=True)

    response = SurveyResponse.objects.get()
    assert (response.csat, response.nps, response.agent_id) == (4, 9, alice.pk)
    assert "delivery" in response.themes

    page.goto(f"{live_server.url}/surveys/r/{link}/")
    expect(page.locator(".survey-done")).to_contain_text("already answered")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/surveys/responses/")
    page.get_by_label("Email").fill(sam.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("table")).to_contain_text("courier was late")
    page.screenshot(path=str(ARTIFACTS / "survey-responses.png"), full_page=True)

    page.get_by_role("link", name="Surveys").first.click()
    page.get_by_role("link", name="How did we do?").click()
    expect(page.locator("h1")).to_contain_text("How did we do?")
    expect(page.locator(".score-cards")).to_contain_text("100.0%")
    page.screenshot(path=str(ARTIFACTS / "survey-detail.png"), full_page=True)
