"""The insights API: figures as JSON, people figures by capability, outsiders refused."""

from __future__ import annotations

import pytest

from tests.insights import service_data

OCTOBER = "start=2026-10-01&end=2026-10-31"


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


def test_service_summary_as_json(data, api_as, sam):
    response = api_as(sam).get(f"/insights/service?{OCTOBER}")

    assert response.status_code == 200
    body = response.json()
    assert body["volume_total"] == 4
    assert body["first_response"] == {"count": 4, "median": 1500.0, "p90": 4320.0}
    assert [(row["target"], row["met"], row["total"]) for row in body["sla"]] == [
        ("first_response", 3, 4),
        ("next_response", 1, 2),
        ("resolution", 3, 5),
    ]
    assert body["sla"][0]["rate"] == 0.75
    assert body["surveys"]["nps"] == 0
    assert body["resolutions_cost"] in ("25.00", 25.0, "25")


def test_service_summary_filtered_by_team(data, api_as, sam):
    response = api_as(sam).get(f"/insights/service?{OCTOBER}&team={data.support.public_id}")

    assert response.json()["volume_total"] == 2


def test_people_figures_need_the_capability(data, api_as, alice, ana):
    assert api_as(alice).get(f"/insights/service/agents?{OCTOBER}").status_code == 403
    rows = api_as(ana).get(f"/insights/service/agents?{OCTOBER}").json()
    assert sorted(row["responses"] for row in rows) == [2, 3]
    teams = api_as(ana).get(f"/insights/service/teams?{OCTOBER}").json()
    assert {row["name"] for row in teams} == {"Support", "Social", "No team"}


def test_social_summary_as_json(data, api_as, mara):
    response = api_as(mara).get(f"/insights/social?{OCTOBER}")

    assert response.status_code == 200
    # No posts, but three inbound messages on the sandbox account (C3 twice, C4), untriaged.
    [account] = response.json()["accounts"]
    assert account["name"] == "Sandbox" and account["posts"] == 0
    assert account["mentions"] == {"total": 3, "positive": 0, "neutral": 3, "negative": 0, "ugc": 0}


def test_compare_one_metric_and_all(data, api_as, morgan):
    one = api_as(morgan).get(f"/insights/compare?{OCTOBER}&metric=volume").json()
    assert one[0]["current"] == 4 and one[0]["result"]["n_baseline"] == 1
    assert one[0]["result"]["test"] == "exact Poisson rate test"

    every = api_as(morgan).get(f"/insights/compare?{OCTOBER}").json()
    assert len(every) >= 10

    unknown = api_as(morgan).get(f"/insights/compare?{OCTOBER}&metric=happiness")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_metric"


def test_export_through_the_api(data, api_as, sam):
    response = api_as(sam).get(f"/insights/exports/conversations.csv?{OCTOBER}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"\n") == 5


@pytest.mark.parametrize(
    "query",
    ["start=2026-10-31&end=2026-10-01", "start=not-a-date", "baseline_start=2026-09-01"],
)
def test_bad_periods_are_400(data, api_as, sam, query):
    response = api_as(sam).get(f"/insights/service?{query}")

    assert response.status_code in (400, 422)
    assert "code" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/insights/service",
        "/insights/service/agents",
        "/insights/service/teams",
        "/insights/social",
        "/insights/compare",
        "/insights/exports/conversations.csv",
    ],
)
def test_outsider_cannot_use_our_team_or_read_our_rows(data, api_as, charlie, path):
    response = api_as(charlie).get(f"{path}?{OCTOBER}&team={data.support.public_id}")

    assert response.status_code == 404


def test_outsider_sees_only_their_own_empty_organisation(data, api_as, charlie):
    body = api_as(charlie).get(f"/insights/service?{OCTOBER}").json()

    assert body["volume_total"] == 0 and body["volume_by_channel"] == []


def test_anonymous_is_refused(data, client):
    assert client.get(f"/api/v1/insights/service?{OCTOBER}").status_code == 401


def test_service_api_query_count_is_fixed(data, api_as, sam, django_assert_max_num_queries):
    api = api_as(sam)
    api.get(f"/insights/service?{OCTOBER}")
    with django_assert_max_num_queries(30):
        assert api.get(f"/insights/service?{OCTOBER}").status_code == 200
