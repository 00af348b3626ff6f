import re

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry, Team, User


@pytest.mark.parametrize(
    "url_name",
    ["home", "accounts:profile", "accounts:user_list", "accounts:team_list", "accounts:audit_log"],
)
def test_admin_pages_render(url_name, ada, web_as):
    response = web_as(ada).get(reverse(url_name))

    assert response.status_code == 200
    assert b"Rapport" in response.content


def test_navigation_shows_only_areas_the_role_may_open(alice, ada, web_as):
    agent_page = web_as(alice).get("/").content.decode()
    admin_page = web_as(ada).get("/").content.decode()

    assert "Audit log" not in agent_page and "Users" in agent_page
    assert "Audit log" in admin_page


def test_agent_is_refused_the_audit_page_with_the_product_403(alice, web_as):
    response = web_as(alice).get(reverse("accounts:audit_log"))

    assert response.status_code == 403
    assert b"You do not have access" in response.content


def test_unknown_page_gets_the_product_404(alice, web_as):
    response = web_as(alice).get("/no/such/page/")

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_admin_adds_a_user_through_the_page(ada, web_as):
    response = web_as(ada).post(
        reverse("accounts:user_list"), {"email": "page@northwind.test", "role": "marketer"}
    )

    assert response.status_code == 302
    assert User.objects.get(email="page@northwind.test").role == "marketer"


def test_duplicate_user_on_the_page_shows_the_reason_and_keeps_the_input(ada, alice, web_as):
    response = web_as(ada).post(
        reverse("accounts:user_list"), {"email": alice.email, "role": "agent"}
    )

    assert response.status_code == 200
    assert b"exists" in response.content
    assert alice.email.encode() in response.content


def test_analyst_cannot_add_users_through_the_page(ana, web_as):
    response = web_as(ana).post(
        reverse("accounts:user_list"), {"email": "x@northwind.test", "role": "admin"}
    )

    assert response.status_code == 403
    assert not User.objects.filter(email="x@northwind.test").exists()


def test_supervisor_creates_a_team_and_sets_members_through_the_pages(sam, alice, web_as):
    client = web_as(sam)

    created = client.post(reverse("accounts:team_list"), {"name": "Returns"})
    team = Team.objects.get(name="Returns")
    saved = client.post(
        reverse("accounts:team_edit", args=[team.public_id]),
        {"members": [alice.pk], "leads": [alice.pk], "members-submit": "1"},
    )

    assert created.status_code == 302 and saved.status_code == 302
    assert list(team.memberships.values_list("user__email", "is_lead")) == [(alice.email, True)]


def test_outsider_gets_404_for_another_organisations_team(sam, charlie, web_as):
    team = Team.objects.create(organisation=sam.organisation, name="Hidden")

    response = web_as(charlie).get(reverse("accounts:team_edit", args=[team.public_id]))

    assert response.status_code == 404


def test_token_is_shown_once_on_the_profile_page(alice, web_as):
    client = web_as(alice)

    created = client.post(reverse("accounts:token_create"), {"name": "cli"})
    profile = client.get(reverse("accounts:profile"))

    raw = re.search(rb'value="(rpt_[^"]+)"', created.content)
    assert raw is not None
    assert raw.group(1) not in profile.content


def test_audit_page_filters_by_action(ada, alice, web_as):
    client = web_as(ada)
    client.post(
        reverse("accounts:user_edit", args=[alice.public_id]),
        {"full_name": "Al", "role": "agent", "is_active": "on"},
    )

    response = client.get(reverse("accounts:audit_log"), {"action": "user.update"})

    assert response.status_code == 200
    assert b"user.update" in response.content and b"user.create" not in response.content
    assert AuditEntry.objects.filter(action="user.update").count() == 1


def test_audit_page_rejects_a_bad_date_without_failing(ada, web_as):
    response = web_as(ada).get(reverse("accounts:audit_log"), {"since": "not-a-date"})

    assert response.status_code == 200
    assert b"Enter a valid date" in response.content


def test_security_headers_are_set(db):
    response = Client().get(reverse("accounts:login"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Request-ID"]


def test_health_check_reports_the_database(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_document_is_served(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"]
