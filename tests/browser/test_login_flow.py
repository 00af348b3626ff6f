import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def test_user_logs_in_sees_the_shell_and_logs_out(page: Page, live_server, ada):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")

    page.get_by_label("Email").fill(ada.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you, Ada Admin")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_be_visible()

    page.get_by_label("User menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")


def test_wrong_password_shows_an_error_and_no_shell(page: Page, live_server, alice):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_agent_sees_no_admin_only_areas_and_creates_a_token(page: Page, live_server, alice):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)

    page.goto(f"{live_server.url}/account/")
    page.get_by_label("Name").fill("Reporting script")
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_label("New API token")
    expect(token).to_have_value(re.compile(r"^rpt_[\w-]{40,}$"))
    page.reload()
    expect(page.get_by_label("New API token")).to_have_count(0)
    expect(page.get_by_role("cell", name="Reporting script")).to_be_visible()
