"""A manager plans a promotion on the calendar, then drafts, checks and sends a post."""
# ruff: noqa: F811

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from rapport.publishing import calendar as cal
from rapport.publishing import services
from rapport.publishing.models import CalendarEntry, Post
from tests.conftest import PASSWORD
from tests.publishing.posts_fixtures import _fresh_cache, account, brand, image  # noqa: F401

SHOTS = "test-artifacts"


def test_plan_an_entry_then_compose_fix_a_finding_and_submit(
    transactional_db, page: Page, live_server, mara, morgan, ada, account, image
):
    services.set_approval_rule(ada, account, approver_role="manager")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/publishing/calendar/")
    page.get_by_label("Email").fill(mara.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Plan: the calendar renders; clicking a day opens a new entry for it.
    expect(page.locator(".fc-daygrid-day").first).to_be_visible()
    page.locator(".fc-daygrid-day:not(.fc-day-past):not(.fc-day-other)").nth(2).click()
    expect(page).to_have_url(re.compile(r"/publishing/calendar/entries/new/\?date="))
    page.get_by_label("Kind").select_option("promotion")
    page.get_by_label("Title").fill("Autumn latte launch")
    page.get_by_label("Notes").fill("Two-for-one on the first day.")
    page.get_by_role("button", name="Add to the calendar").click()
    expect(page.locator(".fc-event", has_text="Autumn latte launch")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/publishing-calendar.png", full_page=True)
    entry = CalendarEntry.objects.get()
    assert entry.all_day and entry.kind == "promotion"

    # Compose: a phone number in public text is flagged live, then fixed.
    page.get_by_role("link", name="Write a post").click()
    page.get_by_role("checkbox", name=re.compile("Sandbox social")).check()
    page.locator("#id_text").fill("Autumn latte is back! Call 020 7946 0958 to pre-order.")
    finding = page.locator("#checks .finding-blocking", has_text="phone number")
    expect(finding).to_be_visible()
    page.locator(f"input[name=assets][value='{image.public_id}']").check()
    expect(page.locator("#checks .preview-media img")).to_have_count(1)
    page.screenshot(path=f"{SHOTS}/publishing-composer-finding.png", full_page=True)

    page.locator("#id_text").fill("Autumn latte is back! Pre-order at the counter.")
    expect(finding).to_have_count(0)
    expect(page.locator("#checks .ok-line")).to_be_visible()
    page.get_by_label("Title", exact=False).last.fill("Autumn latte post")
    page.screenshot(path=f"{SHOTS}/publishing-composer-fixed.png", full_page=True)
    page.get_by_role("button", name="Save and send for review").click()

    expect(page.locator("h1 .badge")).to_have_text("In review")
    page.screenshot(path=f"{SHOTS}/publishing-post-in-review.png", full_page=True)
    post = Post.objects.get()
    assert post.status == "in_review"
    assert post.variants.get().assets.get() == image
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_dragging_an_entry_on_the_month_view_moves_it(
    transactional_db, page: Page, live_server, mara
):
    today = timezone.localdate()
    # Two days in the same visible month grid, in the future.
    first = today + dt.timedelta(days=1)
    target = today + dt.timedelta(days=3)
    entry = cal.create_entry(
        mara, kind="event", title="Harvest fair", starts_at=first, all_day=True
    )
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/publishing/calendar/%3Fdate%3D{first.isoformat()}")
    page.get_by_label("Email").fill(mara.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    event = page.locator(".fc-event", has_text="Harvest fair")
    expect(event).to_be_visible()
    cell = page.locator(
        f"td.fc-daygrid-day[data-date='{target.isoformat()}'] .fc-daygrid-day-frame"
    )
    box_from, box_to = event.bounding_box(), cell.bounding_box()
    assert box_from and box_to
    page.mouse.move(box_from["x"] + 10, box_from["y"] + box_from["height"] / 2)
    page.mouse.down()
    page.mouse.move(box_to["x"] + 20, box_to["y"] + 30, steps=12)
    page.mouse.up()

    expect(page.locator("#calendar-status")).to_contain_text("moved")
    page.screenshot(path=f"{SHOTS}/publishing-calendar-dragged.png", full_page=True)
    entry.refresh_from_db()
    assert entry.starts_at.astimezone(mara.organisation.zone).date() == target
