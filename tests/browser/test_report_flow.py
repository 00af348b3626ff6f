"""A manager reads the October demo report, accepts a recommendation, and a supervisor
acknowledges a brand-risk alert; screenshots of both pages are kept under test-artifacts/."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from rapport.accounts.demo import DEMO_SLUG, seed_demo
from rapport.accounts.models import Organisation
from rapport.channels.demo import seed_channels
from rapport.inbox.demo import seed_inbox
from rapport.insights.demo import seed_history
from rapport.insights.models import Alert, Recommendation
from rapport.surveys.demo import seed_surveys
from tests.browser.conftest import ARTIFACTS

PASSWORD = "a-long-demo-password-for-tests"


def _login(page: Page, url: str, email: str, next_path: str) -> None:
    page.goto(f"{url}/login/?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_manager_reads_the_report_and_a_supervisor_acknowledges_an_alert(
    page: Page, live_server, transactional_db
):
    seed_demo()
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    seed_inbox(organisation)
    seed_channels(organisation, base_url=live_server.url)
    seed_surveys(organisation)
    assert seed_history(organisation)
    Alert.objects.filter(organisation=organisation).update(
        acknowledged_at=None, acknowledged_by=None, action_taken=""
    )
    manager = organisation.users.get(role="manager")
    supervisor = organisation.users.get(role="supervisor")
    for person in (manager, supervisor):
        person.set_password(PASSWORD)
        person.save()
    ARTIFACTS.mkdir(exist_ok=True)

    _login(page, live_server.url, manager.email, "/insights/reports/")
    expect(page.locator("h1")).to_contain_text("monthly report, October 2026")
    expect(page.locator(".rec")).not_to_have_count(0)
    expect(page.locator("#key-figures table")).to_contain_text("First response time")
    expect(page.locator(".chart img").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "report-october-2026.png"), full_page=True)

    first = page.locator(".rec").first
    first.get_by_placeholder("Note (optional)").fill("Aoife rosters Saturday mornings from 7 Nov")
    first.get_by_role("button", name="Accept").click()
    expect(page.locator(".rec.accepted").first).to_contain_text("Accepted by Morgan Manager")
    assert Recommendation.objects.filter(organisation=organisation, status="accepted").count() == 1
    download = page.get_by_role("link", name="Download PDF")
    expect(download).to_have_attribute("href", "/insights/reports/2026-10/pdf/")

    page.context.clear_cookies()
    _login(page, live_server.url, supervisor.email, "/insights/alerts/")
    card = page.locator(".alert-card").first
    expect(card.locator("h2")).to_contain_text("Spike in negative messages")
    expect(card.locator(".alert-messages li")).not_to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "alerts-before.png"), full_page=True)
    card.get_by_label("What was done").fill("Courier called; apology and new dates posted")
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".alert-card").first).to_contain_text("Acknowledged by Sam")
    page.screenshot(path=str(ARTIFACTS / "alerts-acknowledged.png"), full_page=True)
