"""Each recommendation rule fires on data that warrants it and stays silent otherwise."""

from __future__ import annotations

import pytest

from rapport.insights.recommendations import (
    RULES,
    Measures,
    Wait,
    describe_evidence,
    evaluate,
)


def fired(rule: str, measures: Measures) -> list:
    return RULES[rule](measures)


def test_every_rule_is_silent_on_an_empty_month():
    assert evaluate(Measures()) == []


def test_slow_weekend_replies_against_the_standard_call_for_a_roster():
    slow = Measures(
        first_response_standard_minutes=60,
        weekend_first_wait=Wait(count=20, median_seconds=3 * 3600 + 40 * 60),
        weekday_first_wait=Wait(count=200, median_seconds=40 * 60),
    )

    [finding] = fired("weekend_replies", slow)

    assert finding.title == (
        "First replies at weekends took a median 3 h 40 min against a standard of 1 h"
    )
    assert "Saturday" in finding.action and finding.owner.startswith("Supervisor")
    assert finding.evidence["times_the_standard"] == 3.67


def test_weekend_replies_near_the_standard_or_too_few_stay_silent():
    near = Measures(first_response_standard_minutes=60, weekend_first_wait=Wait(20, 80 * 60))
    few = Measures(first_response_standard_minutes=60, weekend_first_wait=Wait(3, 10 * 3600))
    no_standard = Measures(weekend_first_wait=Wait(50, 10 * 3600))

    assert fired("weekend_replies", near) == []
    assert fired("weekend_replies", few) == []
    assert fired("weekend_replies", no_standard) == []


def test_a_significant_rise_in_one_complaint_topic_asks_for_a_review():
    rising = Measures(
        days=31,
        previous_days=30,
        complaints={"late_delivery": 56, "cold_drink": 20},
        previous_complaints={"late_delivery": 30, "cold_drink": 21},
        complaint_words={"late_delivery": ["courier", "parcel"]},
    )

    [finding] = fired("complaint_topic_rise", rising)

    assert finding.key == "late_delivery"
    assert finding.title.startswith(
        "Complaints about late delivery rose 81% (30 → 56, p = 0.009)"
    )  # per day
    assert "“courier”" in finding.title and "courier" in finding.action
    assert finding.evidence["p_value"] < 0.01


def test_a_rise_that_could_be_noise_stays_silent():
    noisy = Measures(complaints={"billing": 12}, previous_complaints={"billing": 8})
    flat = Measures(complaints={"billing": 40}, previous_complaints={"billing": 38})

    assert fired("complaint_topic_rise", noisy) == []  # +50% but p > 0.05
    assert fired("complaint_topic_rise", flat) == []


def test_missing_the_first_response_standard_too_often_is_flagged():
    below = Measures(first_response_met=(140, 200), previous_first_response_met=(150, 200))
    worse = Measures(first_response_met=(170, 200), previous_first_response_met=(195, 200))
    fine = Measures(first_response_met=(185, 200), previous_first_response_met=(186, 200))

    assert "Only 70% of first replies" in fired("first_response_attainment", below)[0].title
    assert "fell from 98% to 85%" in fired("first_response_attainment", worse)[0].title
    assert fired("first_response_attainment", worse)[0].evidence["p_value"] < 0.05
    assert fired("first_response_attainment", fine) == []
    assert fired("first_response_attainment", Measures(first_response_met=(5, 10))) == []


def test_a_significant_drop_in_satisfaction_is_flagged_and_noise_is_not():
    dropped = Measures(csat=(60, 100), previous_csat=(85, 100))
    noise = Measures(csat=(80, 100), previous_csat=(84, 100))

    [finding] = fired("csat_drop", dropped)

    assert "from 85% to 60%" in finding.title
    assert fired("csat_drop", noise) == []


def test_photos_that_clearly_and_significantly_outperform_text_recommend_more_photos():
    # Every photo post earned more than every text-only post: exact two-sided p = 2 / C(14, 5).
    photos = Measures(
        media_engagement=(18, 20, 21, 22, 23, 24, 25, 26, 28),
        text_engagement=(8, 9, 10, 11, 12),
    )

    [finding] = fired("posts_with_media", photos)

    assert finding.title.startswith(
        "Posts with a photo or video earned 2.3 times the engagement of text-only posts "
        "(23.0 against 10.0 per post; 9 and 5 posts, p < 0.001)"
    )
    assert finding.owner == "Marketing"
    assert finding.evidence["test"] == "Mann-Whitney U test"
    assert finding.evidence["p_value"] == pytest.approx(2 / 2002)
    assert (finding.evidence["with_media_posts"], finding.evidence["text_only_posts"]) == (9, 5)
    assert "posts with media 9" in describe_evidence(finding.evidence)


def test_one_viral_photo_among_poor_ones_is_not_a_pattern():
    # The photo posts' mean is 2.3 times the text posts' only because of two outliers;
    # most photo posts did worse than most text posts, and the rank test sees it.
    viral = Measures(media_engagement=(5, 5, 6, 6, 7, 60, 70), text_engagement=(8, 9, 10, 11, 12))

    assert fired("posts_with_media", viral) == []


def test_photo_posts_slightly_better_or_too_few_to_judge_stay_silent():
    close = Measures(media_engagement=(11, 12, 12, 13, 14, 15), text_engagement=(9, 10, 10, 11, 12))
    # Four photo posts all far above five text-only ones: still too few to call.
    too_few = Measures(media_engagement=(40, 45, 50, 55), text_engagement=(8, 9, 10, 11, 12))
    # The smallest sample that may fire, complete separation: p = 2/252.
    five_each = Measures(media_engagement=(40, 45, 50, 55, 60), text_engagement=(8, 9, 10, 11, 12))

    assert fired("posts_with_media", close) == []
    assert fired("posts_with_media", too_few) == []
    assert fired("posts_with_media", five_each)[0].evidence["p_value"] == pytest.approx(2 / 252)


def test_a_posting_slot_far_above_average_is_recommended():
    slots = Measures(
        posting_slots=[(3, 12, 4, 30.0), (1, 9, 5, 12.0), (5, 17, 2, 90.0)], mean_engagement=15.0
    )

    [finding] = fired("best_posting_time", slots)

    assert "Wednesdays at 12:00" in finding.title  # the 2-post slot is too small to count
    assert (
        fired("best_posting_time", Measures(posting_slots=[(3, 12, 4, 16.0)], mean_engagement=15.0))
        == []
    )


def test_an_old_backlog_is_flagged():
    assert fired("old_backlog", Measures(backlog_over_week=14, backlog_total=40))
    assert fired("old_backlog", Measures(backlog_over_week=3, backlog_total=40)) == []


def test_evidence_reads_as_sentences_not_keys():
    lines = describe_evidence(
        {"weekend_median_seconds": 13200, "standard_minutes": 60, "p_value": 0.0004, "share": 0.7}
    )

    assert lines == ["weekend median wait 3 h 40 min", "standard 1 h", "p < 0.001", "share 70%"]
