"""The dashboard pages: who may open them, what they show, bad periods, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.inbox.models import Conversation
from rapport.insights import facts
from tests.insights import service_data
from tests.insights.service_data import at

OCTOBER_QUERY = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


def test_service_dashboard_shows_the_hand_computed_figures(data, web_as, sam):
    page = web_as(sam).get(reverse("insights:service"), OCTOBER_QUERY)

    assert page.status_code == 200
    html = page.content.decode()
    # First response median 1,500 s = 25 min; p90 4,320 s = 1 h 12 min.
    assert "25 min" in html and "1 h 12 min" in html
    assert "3 of 4 targets" in html
    assert 'data-chart="volume"' in html and 'id="insights-charts"' in html
    # A supervisor's page then loads the agents and the teams.
    assert 'hx-get="/insights/people/?' in html


def test_people_tables_load_into_the_page(data, web_as, sam):
    client = web_as(sam)

    partial = client.get(reverse("insights:people"), OCTOBER_QUERY, headers={"HX-Request": "true"})
    whole = client.get(reverse("insights:people"), OCTOBER_QUERY)

    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert "Alice" in html and "<h2>Agents</h2>" in html and "<h2>Teams</h2>" in html
    # Alice: replies to C1 twice and C2 once, 2 of 3 in time.
    assert '67% <span class="muted">(2/3)</span>' in html
    assert whole.status_code == 200 and "<h1>Agents and teams</h1>" in whole.content.decode()


def test_agents_see_the_dashboard_without_per_agent_figures(data, web_as, alice):
    page = web_as(alice).get(reverse("insights:service"), OCTOBER_QUERY)

    assert page.status_code == 200
    assert "insights/people/" not in page.content.decode()
    assert web_as(alice).get(reverse("insights:people"), OCTOBER_QUERY).status_code == 403


@pytest.mark.parametrize(
    "name", ["insights:service", "insights:people", "insights:social", "insights:compare"]
)
def test_outsider_sees_none_of_the_organisations_figures(data, web_as, charlie, name):
    page = web_as(charlie).get(reverse(name), OCTOBER_QUERY)

    # Charlie's own organisation has nothing: the page is theirs and empty.
    assert page.status_code == 200
    html = page.content.decode()
    assert "Email" not in html and "Support" not in html and "Sandbox" not in html


@pytest.mark.parametrize("name", ["insights:service", "insights:people", "insights:compare"])
def test_outsider_cannot_filter_by_another_organisations_team(data, web_as, charlie, name):
    query = {**OCTOBER_QUERY, "team": str(data.support.public_id)}

    page = web_as(charlie).get(reverse(name), query)

    assert page.status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(data):
    page = Client().get(reverse("insights:service"))

    assert page.status_code == 302
    assert "login" in page["Location"]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-10-31", "end": "2026-10-01"},
        {"start": "yesterday"},
        {"start": "2020-01-01", "end": "2026-10-01"},
        {"baseline_start": "2026-09-01"},
    ],
)
def test_a_bad_period_is_a_clear_400(data, web_as, sam, query):
    page = web_as(sam).get(reverse("insights:service"), query)

    assert page.status_code == 400
    assert "That period cannot be shown" in page.content.decode()


def test_a_malformed_channel_id_is_not_found(data, web_as, sam):
    page = web_as(sam).get(reverse("insights:social"), {"channel": "not-a-uuid"})

    assert page.status_code == 404


def test_filters_narrow_the_dashboard(data, web_as, sam):
    query = {**OCTOBER_QUERY, "team": str(data.support.public_id)}

    page = web_as(sam).get(reverse("insights:service"), query)

    assert page.status_code == 200
    # Support's two first responses: 1,800 and 5,400 s, median 3,600 s = 1 h.
    assert "1 h" in page.content.decode()


def test_compare_page_shows_tests_and_sample_sizes(data, web_as, morgan):
    page = web_as(morgan).get(reverse("insights:compare"), OCTOBER_QUERY)

    html = page.content.decode()
    assert page.status_code == 200
    assert "exact Poisson rate test" in html
    assert "4 / 1" in html  # conversations: four in October, one in the 31 days before


def test_social_dashboard_renders_empty_and_with_data(data, web_as, mara):
    page = web_as(mara).get(reverse("insights:social"), OCTOBER_QUERY)

    assert page.status_code == 200
    assert "No campaign ran in this period." in page.content.decode()


def test_service_dashboard_query_count_is_fixed(data, web_as, sam, django_assert_max_num_queries):
    client = web_as(sam)
    Conversation.objects.update(updated_at=at(10, 20, 9))
    facts.refresh(data.organisation)
    client.get(reverse("insights:service"), OCTOBER_QUERY)

    with django_assert_max_num_queries(40):
        page = client.get(reverse("insights:service"), OCTOBER_QUERY)

    assert page.status_code == 200
