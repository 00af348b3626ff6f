"""A supervisor reads the service, social and comparison dashboards in Chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.insights import service_data, social_data

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OCTOBER = "start=2026-10-01&end=2026-10-31"


def test_supervisor_reads_the_dashboards(page: Page, live_server, sam, alice, bob, mara):
    service_data.build(sam.organisation, alice, bob)
    social_data.build(sam.organisation, mara)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 1400, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/login/?next=/insights/%3F{OCTOBER.replace('&', '%26')}")
    page.get_by_label("Email").fill(sam.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The service dashboard: key figures, charts drawn, people tables.
    expect(page.get_by_role("heading", name="Service", exact=True)).to_be_visible()
    expect(page.locator(".kpi").nth(1)).to_contain_text("25 min")
    expect(page.locator("canvas[data-chart='volume'][data-drawn='true']")).to_have_count(1)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(6)
    expect(page.get_by_role("heading", name="Agents")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "insights-service.png"), full_page=True)

    # Narrow to one team with the filter form.
    page.get_by_label("Team").select_option(label="Support")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".page-head p")).to_contain_text("Support")
    expect(page.locator(".kpi").first).to_contain_text("2")

    # The social dashboard.
    page.get_by_role("link", name="Social", exact=True).click()
    expect(page.get_by_role("heading", name="Social", exact=True)).to_be_visible()
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(3)
    expect(page.get_by_role("cell", name="Autumn looks User-generated content")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "insights-social.png"), full_page=True)

    # The comparison with the previous period.
    page.get_by_role("link", name="Compare periods").click()
    expect(page.get_by_role("heading", name="Compare periods")).to_be_visible()
    expect(page.locator("table.compare tbody tr")).to_have_count(11)
    page.screenshot(path=str(ARTIFACTS / "insights-compare.png"), full_page=True)

    # No script errors and no content security policy violations on any page.
    assert problems == []
