"""Service metrics against the hand-computed dataset in service_data.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.inbox.models import Conversation, Message
from rapport.insights import facts, metrics
from rapport.insights.models import ResponseFact
from tests.insights import service_data
from tests.insights.service_data import OCTOBER, at


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


def summary(data, **filters):
    return metrics.service_summary(data.organisation, *OCTOBER, **filters)


def test_volume_by_channel_kind_and_team(data):
    s = summary(data)

    assert s.volume_total == 4
    assert [(row.label, row.count) for row in s.volume_by_channel] == [("Email", 2), ("Sandbox", 2)]
    assert [(row.key, row.count) for row in s.volume_by_kind] == [
        ("complaint", 2),
        ("praise", 1),
        ("question", 1),
    ]
    assert [(row.label, row.count) for row in s.volume_by_team] == [
        ("Support", 2),
        ("No team", 1),
        ("Social", 1),
    ]
    # Notes are not messages to or from the customer.
    assert (s.inbound_messages, s.outbound_messages) == (6, 5)
    days = {point.day.isoformat(): point.by_channel for point in s.volume_by_day}
    assert days == {
        "2026-10-05": {"Email": 1},
        "2026-10-09": {"Email": 1},
        "2026-10-13": {"Sandbox": 1},
        "2026-10-17": {"Sandbox": 1},
    }


def test_response_and_resolution_times_in_business_hours(data):
    s = summary(data)

    # First responses 600, 1200, 1800, 5400: median between the middle two,
    # p90 at rank 2.7 = 1800 + 0.7 * (5400 - 1800).
    assert s.first_response == metrics.Quantiles(4, 1500.0, 4320.0)
    assert s.next_response == metrics.Quantiles(1, 7200.0, 7200.0)
    # Resolutions 1200, 14400, 18000: p90 at rank 1.8 = 14400 + 0.8 * 3600.
    assert s.resolution.count == 3
    assert s.resolution.median == 14400.0
    assert s.resolution.p90 == pytest.approx(17280.0)


def test_sla_attainment_counts_deadlines_falling_in_the_period(data):
    s = summary(data)

    assert [(row.target, row.met, row.total) for row in s.sla] == [
        ("first_response", 3, 4),
        ("next_response", 1, 2),
        ("resolution", 3, 5),
    ]
    assert s.sla[0].rate == 0.75


def test_backlog_and_ageing_at_the_end_of_the_period(data):
    s = summary(data)

    assert s.backlog_total == 2
    assert [(bucket.label, bucket.count) for bucket in s.backlog_ageing] == [
        ("under 1 day", 0),
        ("1-3 days", 0),
        ("3-7 days", 0),
        ("1-4 weeks", 1),
        ("over 4 weeks", 1),
    ]


def test_complaints_by_category_and_resolutions_with_cost(data):
    s = summary(data)

    assert [(row.label, row.count) for row in s.complaints_by_category] == [("delivery", 2)]
    assert s.complaints_total == 2
    assert [(r.action, r.count, r.total_cost, r.accepted) for r in s.resolutions] == [
        ("apology", 1, Decimal("0.00"), 0),
        ("refund", 1, Decimal("25.00"), 1),
    ]
    assert s.resolutions_cost == Decimal("25.00")


def test_csat_nps_and_ces(data):
    s = summary(data)

    scores = s.surveys
    assert (scores.csat_count, scores.csat_satisfied) == (3, 2)
    assert scores.csat == pytest.approx(200 / 3)
    assert scores.csat_average == pytest.approx(11 / 3)
    assert (scores.promoters, scores.passives, scores.detractors) == (1, 1, 1)
    assert scores.nps == 0
    assert (scores.ces_count, scores.ces_average, scores.ces_easy_share) == (2, 4.0, 50.0)
    assert [(p.day.isoformat(), p.scores.csat_average) for p in s.survey_trend] == [
        ("2026-10-05", 5.0),
        ("2026-10-12", 2.0),
        ("2026-10-19", 4.0),
    ]


def test_team_and_channel_filters_narrow_every_figure(data):
    s = summary(data, team=data.support)

    assert s.volume_total == 2
    assert s.first_response == metrics.Quantiles(2, 3600.0, 5040.0)
    assert [(row.met, row.total) for row in s.sla] == [(1, 2), (1, 1), (2, 3)]
    assert s.backlog_total == 1
    assert s.surveys.csat_count == 2

    by_channel = summary(data, channel=data.sandbox)
    assert by_channel.volume_total == 2
    assert by_channel.resolutions_cost == Decimal("0.00")


def test_agent_rows(data):
    rows = {row.name: row for row in metrics.agent_rows(data.organisation, *OCTOBER)}

    assert len(rows) == 2
    alice, bob = sorted(rows.values(), key=lambda row: row.name)
    assert (alice.conversations, alice.resolved, alice.responses) == (2, 2, 3)
    assert alice.first_response.median == 3600.0
    assert alice.response.median == 5400.0
    assert (alice.responses_met, alice.responses_due) == (2, 3)
    assert (alice.csat_count, alice.csat_average) == (2, 3.5)
    assert (bob.conversations, bob.resolved, bob.responses) == (1, 0, 2)
    assert bob.first_response.median == 900.0
    assert (bob.responses_met, bob.responses_due) == (2, 2)
    assert bob.csat_average == 4.0


def test_team_rows(data):
    rows = {row.name: row for row in metrics.team_rows(data.organisation, *OCTOBER)}

    assert (rows["Support"].conversations, rows["Support"].responses) == (2, 3)
    assert (rows["Social"].responses_met, rows["Social"].responses_due) == (1, 2)
    assert (rows["No team"].conversations, rows["No team"].resolved) == (1, 1)


def test_refresh_is_incremental(data):
    # Given the rollups built once, a while after the last change
    Conversation.objects.update(updated_at=at(10, 20, 9))
    assert facts.refresh(data.organisation) == 5

    # When nothing changed, nothing is recomputed
    assert facts.refresh(data.organisation) == 0

    # When the customer in C3 gets an answer, only C3 is recomputed
    c3 = data.conversations["c3"]
    Message.objects.create(
        organisation=data.organisation,
        conversation=c3,
        channel=c3.channel,
        direction="out",
        author_user=c3.assignee,
        text="Sorry!",
        sent_at=at(10, 13, 10),
        created_at=at(10, 13, 10),
        delivery_status="sent",
    )
    c3.save()
    assert facts.refresh(data.organisation) == 1
    wait = ResponseFact.objects.get(conversation=c3, is_first=False)
    assert wait.business_seconds == 40 * 60


def test_queries_do_not_grow_with_rows(data, django_assert_max_num_queries):
    Conversation.objects.update(updated_at=at(10, 20, 9))
    facts.refresh(data.organisation)
    # Up to three to see that the rollups are fresh, two to name the channels and teams,
    # then one per figure (with headroom).
    with django_assert_max_num_queries(18):
        metrics.service_summary(data.organisation, *OCTOBER)
    with django_assert_max_num_queries(14):
        metrics.agent_rows(data.organisation, *OCTOBER)


def test_the_worker_job_refreshes_every_organisation(data, other_org):
    result = facts.refresh_facts.call()

    assert result == {data.organisation.slug: 5, other_org.slug: 0}
    assert ResponseFact.objects.filter(organisation=data.organisation).count() == 7
