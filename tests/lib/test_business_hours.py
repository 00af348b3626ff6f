"""Tests for rapport.lib.business_hours: the clock behind service-standard timers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.lib.business_hours import (
    HORIZON_DAYS,
    Calendar,
    Pause,
    add_business_time,
    business_time_between,
    is_open,
    next_opening,
    open_intervals,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

Weekly = dict[int, tuple[tuple[time, time], ...]]

NINE_TO_FIVE = ((time(9), time(17)),)
WITH_LUNCH = ((time(9), time(12, 30)), (time(13, 30), time(17, 30)))
NIGHTS = ((time(22), time(6)),)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def london(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, LONDON, fold=fold)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def weekdays(intervals: tuple[tuple[time, time], ...]) -> Weekly:
    return dict.fromkeys(range(5), intervals)


def every_day(intervals: tuple[tuple[time, time], ...]) -> Weekly:
    return dict.fromkeys(range(7), intervals)


OFFICE = Calendar("Europe/London", weekdays(NINE_TO_FIVE))
# 2025: Friday 13 June, Monday 16 June. Spring forward Sunday 30 March (London) and
# Sunday 9 March (New York); fall back Sunday 26 October (London), 2 November (New York).


# -- Constructing a calendar ----------------------------------------------------------------------


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Atlantis'"):
        Calendar("Europe/Atlantis", weekdays(NINE_TO_FIVE))


@pytest.mark.parametrize("name", ["", "../../etc/passwd", "/usr/share/zoneinfo/UTC"])
def test_malformed_time_zone_is_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        Calendar(name, weekdays(NINE_TO_FIVE))


def test_overlapping_intervals_on_one_day_are_rejected() -> None:
    weekly = {0: ((time(9), time(12, 30)), (time(12), time(17)))}

    with pytest.raises(ValueError, match="overlap: Monday 09:00:00-12:30:00 and Monday 12:00"):
        Calendar("UTC", weekly)


def test_night_shift_running_into_next_mornings_opening_is_rejected() -> None:
    weekly = {0: NIGHTS, 1: ((time(5), time(12)),)}

    with pytest.raises(ValueError, match="overlap: Monday 22:00:00-06:00:00 and Tuesday 05:00"):
        Calendar("UTC", weekly)


def test_sunday_night_shift_overlapping_monday_morning_is_rejected() -> None:
    weekly = {6: NIGHTS, 0: ((time(4), time(9)),)}

    with pytest.raises(ValueError, match="overlap: Sunday 22:00:00-06:00:00 and Monday 04:00"):
        Calendar("UTC", weekly)


@pytest.mark.parametrize("weekly", [{}, {0: ()}, dict.fromkeys(range(7), ())])
def test_calendar_with_no_hours_is_rejected(
    weekly: dict[int, tuple[tuple[time, time], ...]],
) -> None:
    with pytest.raises(ValueError, match="no opening hours"):
        Calendar("UTC", weekly)


@pytest.mark.parametrize(
    "weekly",
    [
        {7: NINE_TO_FIVE},
        {-1: NINE_TO_FIVE},
        {0: ((time(9, tzinfo=UTC), time(17)),)},
        {0: ((time(9),),)},
        {0: (("09:00", "17:00"),)},
    ],
)
def test_malformed_weekly_hours_are_rejected(weekly: dict[Any, Any]) -> None:
    with pytest.raises(ValueError):
        Calendar("UTC", weekly)


def test_a_datetime_given_as_holiday_is_rejected() -> None:
    with pytest.raises(ValueError, match="holidays must be dates"):
        Calendar("UTC", weekdays(NINE_TO_FIVE), frozenset({datetime(2025, 12, 25)}))


def test_touching_intervals_are_accepted_and_read_as_one() -> None:
    cal = Calendar("UTC", {0: ((time(22), time(0)),), 1: ((time(0), time(6)),)})

    intervals = list(open_intervals(cal, utc(2025, 6, 16), utc(2025, 6, 18)))

    assert intervals == [(utc(2025, 6, 16, 22), utc(2025, 6, 17, 6))]


def test_equal_calendars_are_equal_and_hash_alike() -> None:
    first = Calendar("Europe/London", weekdays(NINE_TO_FIVE), frozenset({date(2025, 12, 25)}))
    second = Calendar(
        "Europe/London", {**weekdays(NINE_TO_FIVE), 5: ()}, frozenset({date(2025, 12, 25)})
    )

    assert first == second
    assert hash(first) == hash(second)
    assert first != Calendar("Europe/Paris", weekdays(NINE_TO_FIVE), first.holidays)


# -- Weekdays, weekends and the open/close instants -----------------------------------------------


def test_four_hour_target_opened_friday_evening_is_due_monday_at_one() -> None:
    opened = london(2025, 6, 13, 18)

    due = add_business_time(OFFICE, opened, hours(4))

    assert due == london(2025, 6, 16, 13)


def test_forty_hours_from_monday_opening_is_due_at_friday_closing_not_next_monday() -> None:
    opened = london(2025, 6, 9, 9)

    due = add_business_time(OFFICE, opened, hours(40))

    assert due == london(2025, 6, 13, 17)


def test_conversation_opened_exactly_at_opening_counts_from_that_instant() -> None:
    opened = london(2025, 6, 16, 9)

    due = add_business_time(OFFICE, opened, hours(1))

    assert due == london(2025, 6, 16, 10)


def test_conversation_opened_exactly_at_closing_waits_for_next_opening() -> None:
    opened = london(2025, 6, 16, 17)

    due = add_business_time(OFFICE, opened, hours(1))

    assert due == london(2025, 6, 17, 10)


def test_calendar_is_open_at_opening_instant_and_closed_at_closing_instant() -> None:
    monday = (2025, 6, 16)

    assert not is_open(OFFICE, london(*monday, 8, 59, 59))
    assert is_open(OFFICE, london(*monday, 9))
    assert is_open(OFFICE, london(*monday, 16, 59, 59))
    assert not is_open(OFFICE, london(*monday, 17))


def test_weekend_counts_no_business_time() -> None:
    friday_close, monday_open = london(2025, 6, 13, 17), london(2025, 6, 16, 9)

    elapsed = business_time_between(OFFICE, friday_close, monday_open)

    assert elapsed == timedelta(0)


def test_a_week_of_office_hours_counts_forty_hours() -> None:
    monday, next_monday = london(2025, 6, 16), london(2025, 6, 23)

    elapsed = business_time_between(OFFICE, monday, next_monday)

    assert elapsed == hours(40)


def test_next_opening_is_the_instant_itself_when_open() -> None:
    during = london(2025, 6, 16, 11, 15)

    assert next_opening(OFFICE, during) == during


def test_next_opening_after_friday_close_is_monday_morning_in_calendar_zone() -> None:
    friday_evening = utc(2025, 6, 13, 20)

    opening = next_opening(OFFICE, friday_evening)

    assert opening == london(2025, 6, 16, 9)
    assert opening.tzinfo == LONDON


# -- Breaks ---------------------------------------------------------------------------------------


def test_lunch_break_is_not_counted() -> None:
    cal = Calendar("Europe/London", weekdays(WITH_LUNCH))

    due = add_business_time(cal, london(2025, 6, 16, 9), hours(4))

    assert due == london(2025, 6, 16, 14)


def test_time_between_across_lunch_break_skips_the_break() -> None:
    cal = Calendar("Europe/London", weekdays(WITH_LUNCH))

    elapsed = business_time_between(cal, london(2025, 6, 16, 12), london(2025, 6, 16, 14))

    assert elapsed == hours(1)


def test_conversation_opened_during_lunch_starts_counting_after_it() -> None:
    cal = Calendar("Europe/London", weekdays(WITH_LUNCH))

    due = add_business_time(cal, london(2025, 6, 16, 12, 45), hours(1))

    assert due == london(2025, 6, 16, 14, 30)


# -- Overnight shifts -----------------------------------------------------------------------------


def test_night_shift_counts_past_midnight() -> None:
    cal = Calendar("Europe/London", every_day(NIGHTS))

    due = add_business_time(cal, london(2025, 6, 16, 22), hours(3))

    assert due == london(2025, 6, 17, 1)


def test_conversation_opened_after_midnight_counts_in_yesterdays_shift() -> None:
    cal = Calendar("Europe/London", every_day(NIGHTS))

    due = add_business_time(cal, london(2025, 6, 17, 3), hours(4))

    assert due == london(2025, 6, 17, 23)


def test_night_shift_is_open_after_midnight_and_closed_at_its_end() -> None:
    cal = Calendar("Europe/London", {0: NIGHTS})

    assert is_open(cal, london(2025, 6, 17, 5, 59))
    assert not is_open(cal, london(2025, 6, 17, 6))
    assert not is_open(cal, london(2025, 6, 17, 22))


def test_midnight_as_end_closes_at_midnight() -> None:
    cal = Calendar("UTC", {4: ((time(18), time(0)),)})

    elapsed = business_time_between(cal, utc(2025, 6, 13), utc(2025, 6, 16))

    assert elapsed == hours(6)
    assert not is_open(cal, utc(2025, 6, 14))


def test_friday_night_shift_runs_into_saturday_but_no_saturday_shift_follows() -> None:
    cal = Calendar("UTC", weekdays(NIGHTS))

    elapsed = business_time_between(cal, utc(2025, 6, 13, 12), utc(2025, 6, 16, 12))

    assert elapsed == hours(8)


# -- Holidays -------------------------------------------------------------------------------------


def test_holiday_closes_the_whole_day() -> None:
    cal = Calendar("Europe/London", weekdays(NINE_TO_FIVE), frozenset({date(2025, 12, 25)}))

    due = add_business_time(cal, london(2025, 12, 24, 16), hours(2))

    assert due == london(2025, 12, 26, 10)
    assert business_time_between(cal, london(2025, 12, 25), london(2025, 12, 26)) == timedelta(0)


def test_holiday_on_monday_after_weekend_pushes_due_time_to_tuesday() -> None:
    easter_monday = date(2025, 4, 21)
    cal = Calendar("Europe/London", weekdays(NINE_TO_FIVE), frozenset({easter_monday}))

    due = add_business_time(cal, london(2025, 4, 18, 16), hours(2))

    assert due == london(2025, 4, 22, 10)


def test_night_shift_started_the_evening_before_a_holiday_runs_to_its_end() -> None:
    cal = Calendar("UTC", every_day(NIGHTS), frozenset({date(2025, 12, 25)}))

    elapsed = business_time_between(cal, utc(2025, 12, 24, 12), utc(2025, 12, 25, 12))

    assert elapsed == hours(8)
    assert is_open(cal, utc(2025, 12, 25, 5))


def test_night_shift_starting_on_a_holiday_is_closed_all_night() -> None:
    cal = Calendar("UTC", every_day(NIGHTS), frozenset({date(2025, 12, 25)}))

    due = add_business_time(cal, utc(2025, 12, 25, 12), hours(1))

    assert not is_open(cal, utc(2025, 12, 26, 3))
    assert due == utc(2025, 12, 26, 23)


# -- Daylight saving time -------------------------------------------------------------------------


def test_office_day_on_london_spring_forward_sunday_is_eight_real_hours() -> None:
    cal = Calendar("Europe/London", every_day(NINE_TO_FIVE))

    elapsed = business_time_between(cal, london(2025, 3, 30), london(2025, 3, 31))

    assert elapsed == hours(8)


def test_shift_spanning_london_spring_gap_lasts_five_real_hours() -> None:
    cal = Calendar("Europe/London", {6: ((time(0), time(6)),)})

    elapsed = business_time_between(cal, london(2025, 3, 29), london(2025, 3, 31))
    due = add_business_time(cal, london(2025, 3, 30), hours(5))

    assert elapsed == hours(5)
    assert due == london(2025, 3, 30, 6)


def test_shift_spanning_london_autumn_fold_lasts_seven_real_hours() -> None:
    cal = Calendar("Europe/London", {6: ((time(0), time(6)),)})

    elapsed = business_time_between(cal, london(2025, 10, 25), london(2025, 10, 27))
    due = add_business_time(cal, london(2025, 10, 26), hours(7))

    assert elapsed == hours(7)
    assert due == london(2025, 10, 26, 6)


def test_new_york_night_shift_over_spring_forward_is_seven_hours_then_continues() -> None:
    cal = Calendar("America/New_York", every_day(NIGHTS))

    elapsed = business_time_between(cal, new_york(2025, 3, 8, 12), new_york(2025, 3, 9, 12))
    due = add_business_time(cal, new_york(2025, 3, 8, 22), hours(8))

    assert elapsed == hours(7)
    assert due == new_york(2025, 3, 9, 23)


def test_new_york_night_shift_over_fall_back_is_nine_hours() -> None:
    cal = Calendar("America/New_York", every_day(NIGHTS))

    elapsed = business_time_between(cal, new_york(2025, 11, 1, 12), new_york(2025, 11, 2, 12))
    due = add_business_time(cal, new_york(2025, 11, 1, 22), hours(8))

    assert elapsed == hours(9)
    assert due == new_york(2025, 11, 2, 5)


def test_new_york_office_week_with_dst_change_still_counts_forty_hours() -> None:
    cal = Calendar("America/New_York", weekdays(NINE_TO_FIVE))

    elapsed = business_time_between(cal, new_york(2025, 3, 7, 12), new_york(2025, 3, 14, 12))

    assert elapsed == hours(40)


def test_opening_time_inside_spring_gap_opens_when_the_clocks_jump() -> None:
    cal = Calendar("Europe/London", {6: ((time(1, 30), time(5)),)})

    intervals = list(open_intervals(cal, utc(2025, 3, 29), utc(2025, 3, 31)))

    assert intervals == [(utc(2025, 3, 30, 1), utc(2025, 3, 30, 4))]
    assert next_opening(cal, utc(2025, 3, 29)) == london(2025, 3, 30, 2)


def test_shift_lying_wholly_inside_spring_gap_never_opens() -> None:
    cal = Calendar("Europe/London", {6: ((time(1, 10), time(1, 50)),)})

    elapsed = business_time_between(cal, london(2025, 3, 29), london(2025, 3, 31))

    assert elapsed == timedelta(0)
    assert next_opening(cal, london(2025, 3, 29)) == london(2025, 4, 6, 1, 10)


def test_ambiguous_opening_time_in_autumn_fold_means_its_first_occurrence() -> None:
    cal = Calendar("Europe/London", {6: ((time(1, 30), time(5)),)})

    intervals = list(open_intervals(cal, utc(2025, 10, 25), utc(2025, 10, 27)))

    assert intervals == [(utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 5))]


def test_ambiguous_closing_time_in_autumn_fold_means_its_first_occurrence() -> None:
    cal = Calendar("Europe/London", {5: ((time(22), time(1, 30)),)})

    elapsed = business_time_between(cal, utc(2025, 10, 25), utc(2025, 10, 27))

    assert elapsed == hours(3.5)
    assert not is_open(cal, london(2025, 10, 26, 1, 45, fold=1))


def test_input_instants_in_the_fold_are_read_with_their_fold() -> None:
    cal = Calendar.always_open("Europe/London")
    first, second = london(2025, 10, 26, 1, 30), london(2025, 10, 26, 1, 30, fold=1)

    elapsed = business_time_between(cal, first, second)

    assert elapsed == hours(1)


# -- Zones ----------------------------------------------------------------------------------------


def test_calendar_in_another_zone_than_the_inputs_uses_its_own_wall_clock() -> None:
    cal = Calendar("Asia/Tokyo", weekdays(NINE_TO_FIVE))
    sunday_evening_in_new_york = new_york(2025, 6, 15, 20)

    due = add_business_time(cal, sunday_evening_in_new_york, hours(1))

    assert due == datetime(2025, 6, 16, 10, tzinfo=TOKYO)
    assert due.tzinfo == TOKYO
    assert business_time_between(cal, sunday_evening_in_new_york, due) == hours(1)


def test_open_intervals_are_clipped_and_in_utc() -> None:
    start, end = london(2025, 6, 16, 12), london(2025, 6, 18, 10)

    intervals = list(open_intervals(OFFICE, start, end))

    assert intervals == [
        (utc(2025, 6, 16, 11), utc(2025, 6, 16, 16)),
        (utc(2025, 6, 17, 8), utc(2025, 6, 17, 16)),
        (utc(2025, 6, 18, 8), utc(2025, 6, 18, 9)),
    ]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in intervals)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2025, 6, 16, 9)

    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(OFFICE, naive, hours(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(OFFICE, london(2025, 6, 16), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(OFFICE, naive)


# -- Pauses ---------------------------------------------------------------------------------------


def test_pause_inside_hours_pushes_the_due_time_back() -> None:
    pauses: list[Pause] = [(london(2025, 6, 16, 10), london(2025, 6, 16, 11, 30))]

    due = add_business_time(OFFICE, london(2025, 6, 16, 9), hours(2), pauses)
    elapsed = business_time_between(OFFICE, london(2025, 6, 16, 9), london(2025, 6, 16, 12), pauses)

    assert due == london(2025, 6, 16, 12, 30)
    assert elapsed == hours(1.5)


def test_pause_outside_hours_changes_nothing() -> None:
    pauses: list[Pause] = [(london(2025, 6, 13, 17), london(2025, 6, 16, 9))]

    due = add_business_time(OFFICE, london(2025, 6, 13, 16), hours(2), pauses)

    assert due == london(2025, 6, 16, 10)


def test_overlapping_pauses_stop_the_clock_once() -> None:
    pauses: list[Pause] = [
        (london(2025, 6, 16, 10), london(2025, 6, 16, 11)),
        (london(2025, 6, 16, 10, 30), london(2025, 6, 16, 12)),
        (london(2025, 6, 16, 10, 45), london(2025, 6, 16, 11, 15)),
    ]

    elapsed = business_time_between(OFFICE, london(2025, 6, 16, 9), london(2025, 6, 16, 17), pauses)

    assert elapsed == hours(6)


def test_pause_covering_the_start_delays_the_clock_until_it_ends() -> None:
    pauses: list[Pause] = [(london(2025, 6, 16, 8), london(2025, 6, 16, 13))]

    due = add_business_time(OFFICE, london(2025, 6, 16, 8, 30), hours(1), pauses)

    assert due == london(2025, 6, 16, 14)


def test_open_ended_pause_stops_the_clock_from_its_start() -> None:
    pauses: list[Pause] = [(london(2025, 6, 16, 11), None)]

    elapsed = business_time_between(OFFICE, london(2025, 6, 16, 9), london(2025, 7, 16), pauses)

    assert elapsed == hours(2)
    with pytest.raises(ValueError, match="paused indefinitely"):
        add_business_time(OFFICE, london(2025, 6, 16, 9), hours(3), pauses)
    assert add_business_time(OFFICE, london(2025, 6, 16, 9), hours(2), pauses) == london(
        2025, 6, 16, 11
    )


def test_pause_ending_before_it_starts_is_rejected() -> None:
    pauses: list[Pause] = [(london(2025, 6, 16, 11), london(2025, 6, 16, 10))]

    with pytest.raises(ValueError, match="must not end before it starts"):
        business_time_between(OFFICE, london(2025, 6, 16, 9), london(2025, 6, 16, 17), pauses)


# -- Durations ------------------------------------------------------------------------------------


def test_zero_duration_is_due_at_the_start_even_outside_hours() -> None:
    saturday = london(2025, 6, 14, 12)

    due = add_business_time(OFFICE, saturday, timedelta(0))

    assert due == saturday
    assert due.tzinfo == LONDON


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(OFFICE, london(2025, 6, 16, 9), timedelta(minutes=-1))


def test_time_between_is_zero_when_end_is_not_after_start() -> None:
    start = london(2025, 6, 16, 12)

    assert business_time_between(OFFICE, start, start) == timedelta(0)
    assert business_time_between(OFFICE, start, start - hours(2)) == timedelta(0)


def test_sub_second_durations_are_exact() -> None:
    due = add_business_time(OFFICE, london(2025, 6, 16, 16, 59, 59), timedelta(microseconds=1500))

    assert due == london(2025, 6, 16, 16, 59, 59, 1500)


# -- Always open, never open ----------------------------------------------------------------------


def test_always_open_calendar_adds_real_elapsed_time_across_dst() -> None:
    cal = Calendar.always_open("Europe/London")
    start = london(2025, 3, 29, 12)

    due = add_business_time(cal, start, hours(48))

    # Same-zone datetime arithmetic is wall-clock arithmetic in Python: add in UTC.
    assert due == start.astimezone(UTC) + hours(48)
    assert due == london(2025, 3, 31, 13)


def test_always_open_calendar_counts_every_instant_in_a_long_range() -> None:
    cal = Calendar.always_open()
    start, end = utc(2024, 1, 1, 0, 0, 1), utc(2026, 7, 1)

    assert business_time_between(cal, start, end) == end - start
    assert is_open(cal, utc(2025, 2, 3, 4, 5))
    assert cal.time_zone == "UTC"


def test_clock_that_cannot_finish_within_the_horizon_raises() -> None:
    mondays = frozenset(date(2025, 6, 16) + timedelta(weeks=n) for n in range(200))
    cal = Calendar("UTC", {0: NINE_TO_FIVE}, mondays)

    with pytest.raises(ValueError, match=f"within {HORIZON_DAYS} days"):
        add_business_time(cal, utc(2025, 6, 16), hours(1))
    with pytest.raises(ValueError, match=f"within {HORIZON_DAYS} days"):
        next_opening(cal, utc(2025, 6, 16))


def test_one_hour_a_week_for_a_year_finishes_within_the_horizon() -> None:
    cal = Calendar("America/New_York", {2: ((time(10), time(11)),)})

    due = add_business_time(cal, new_york(2025, 1, 1, 12), hours(52))

    assert due == new_york(2025, 12, 31, 11)


# -- Long durations: whole weeks skipped arithmetically -------------------------------------------


def test_long_duration_over_dst_and_holidays_matches_the_day_by_day_walk() -> None:
    bank_holidays = {date(2025, 4, 18), date(2025, 4, 21), date(2025, 12, 25), date(2026, 1, 1)}
    cal = Calendar("Europe/London", every_day(NIGHTS), frozenset(bank_holidays))
    start = london(2025, 5, 2, 3)

    due = add_business_time(cal, start, hours(1500))

    assert due.astimezone(UTC) == reference_add(cal, start, hours(1500), [])
    assert business_time_between(cal, start, due) == hours(1500)


# -- Properties -----------------------------------------------------------------------------------


def subtract_pauses(
    intervals: Iterable[tuple[datetime, datetime]], pauses: list[Pause]
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the parts of each interval outside every pause, the slow and obvious way."""
    forever = datetime.max.replace(tzinfo=UTC)
    stops = sorted((s, forever if e is None else e) for s, e in pauses)
    for begin, end in intervals:
        pieces = [(begin, end)]
        for stop_start, stop_end in stops:
            pieces = [
                piece
                for s, e in pieces
                for piece in ((s, min(e, stop_start)), (max(s, stop_end), e))
                if piece[0] < piece[1]
            ]
        yield from pieces


def reference_add(
    cal: Calendar, start: datetime, duration: timedelta, pauses: list[Pause]
) -> datetime:
    """Walk the open intervals one by one until `duration` has been spent."""
    if duration == timedelta(0):
        return start
    remaining = duration
    far = start + timedelta(days=HORIZON_DAYS)
    for begin, end in subtract_pauses(open_intervals(cal, start, far), pauses):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("reference walk did not finish")


def reference_between(
    cal: Calendar, start: datetime, end: datetime, pauses: list[Pause]
) -> timedelta:
    """Sum the open intervals one by one."""
    total = timedelta(0)
    for begin, finish in subtract_pauses(open_intervals(cal, start, end), pauses):
        total += finish - begin
    return total


ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "America/Sao_Paulo",  # DST used to start at midnight, so midnight did not exist
    "Pacific/Apia",  # skipped the whole of 30 December 2011
    "Asia/Kolkata",
    "UTC",
]

# Instants near which the wall clock misbehaves, to start walks from.
LANDMARKS = [
    utc(2025, 3, 30, 1),
    utc(2025, 10, 26, 1),
    utc(2025, 3, 9, 7),
    utc(2025, 11, 2, 6),
    utc(2025, 4, 5, 15),  # Lord Howe, back from +11 to +10:30
    utc(2025, 10, 4, 15, 30),
    utc(2018, 11, 4, 3),  # Sao Paulo, 00:00 -> 01:00
    utc(2011, 12, 30, 10),  # Apia
    utc(2024, 12, 31, 23),
]


@st.composite
def calendars(draw: st.DrawFn) -> Weekly:
    """Draw non-overlapping weekly hours on a half-hour grid, some overnight or 24 h long."""
    slots = draw(st.lists(st.integers(0, 7 * 48 - 1), min_size=2, max_size=12, unique=True))
    minutes = sorted(slot * 30 for slot in slots)
    weekly: dict[int, list[tuple[time, time]]] = {}
    for begin, end in zip(minutes[::2], minutes[1::2], strict=False):
        end = min(end, begin + 24 * 60)
        weekday, opens = divmod(begin, 24 * 60)
        closes = end % (24 * 60)
        interval = (time(opens // 60, opens % 60), time(closes // 60, closes % 60))
        weekly.setdefault(weekday, []).append(interval)
    return {weekday: tuple(intervals) for weekday, intervals in weekly.items()}


FIXED_WEEKLIES: list[Weekly] = [
    weekdays(NINE_TO_FIVE),
    weekdays(WITH_LUNCH),
    every_day(NIGHTS),
    every_day(((time(0), time(0)),)),
    {6: ((time(0), time(6)),), 5: ((time(1, 30), time(2, 30)),), 2: ((time(23), time(23)),)},
]


@dataclass
class Scenario:
    cal: Calendar
    start: datetime
    duration: timedelta
    pauses: list[Pause]


@st.composite
def scenarios(draw: st.DrawFn, open_ended_pauses: bool = True) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    weekly = draw(st.one_of(st.sampled_from(FIXED_WEEKLIES), calendars()))
    anchor = draw(
        st.one_of(
            st.sampled_from(LANDMARKS),
            st.datetimes(datetime(2010, 1, 1), datetime(2030, 1, 1)).map(
                lambda value: value.replace(tzinfo=UTC)
            ),
        )
    )
    start = anchor + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
    first_day = start.astimezone(ZoneInfo(zone)).date()
    holidays = {
        first_day + timedelta(days=offset)
        for offset in draw(st.lists(st.integers(-1, 60), max_size=4))
    }
    cal = Calendar(zone, weekly, frozenset(holidays))
    weekly_minutes = sum(
        ((datetime.combine(date.min, e) - datetime.combine(date.min, s)).seconds or 86400) // 60
        for intervals in weekly.values()
        for s, e in intervals
    )
    minutes = draw(
        st.one_of(st.integers(0, 2 * weekly_minutes), st.integers(0, 52 * weekly_minutes))
    )
    pauses: list[Pause] = []
    for _ in range(draw(st.integers(0, 3))):
        paused_at = start + timedelta(minutes=draw(st.integers(-2 * 24 * 60, 30 * 24 * 60)))
        length = draw(st.one_of(st.integers(0, 7 * 24 * 60), st.none()))
        if length is None and not open_ended_pauses:
            length = 60
        pauses.append(
            (paused_at, None if length is None else paused_at + timedelta(minutes=length))
        )
    return Scenario(
        cal, start, timedelta(minutes=minutes, seconds=draw(st.integers(0, 59))), pauses
    )


PROPERTY = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(scenarios())
def test_property_time_between_start_and_due_is_the_duration(case: Scenario) -> None:
    try:
        due = add_business_time(case.cal, case.start, case.duration, case.pauses)
    except ValueError:
        # Only an open-ended pause may stop a clock for good before it finishes.
        assert any(end is None for _, end in case.pauses)
        far = case.start + timedelta(days=HORIZON_DAYS)
        assert business_time_between(case.cal, case.start, far, case.pauses) < case.duration
        return

    assert business_time_between(case.cal, case.start, due, case.pauses) == case.duration
    assert due >= case.start
    assert due.tzinfo == ZoneInfo(case.cal.time_zone)


@PROPERTY
@given(scenarios(open_ended_pauses=False))
def test_property_due_time_matches_walking_the_open_intervals(case: Scenario) -> None:
    due = add_business_time(case.cal, case.start, case.duration, case.pauses)

    # An ambiguous wall time never compares equal across zones (PEP 495): compare in UTC.
    assert due.astimezone(UTC) == reference_add(case.cal, case.start, case.duration, case.pauses)


@PROPERTY
@given(scenarios(), st.integers(0, 400 * 24 * 60))
def test_property_time_between_matches_summing_the_open_intervals(
    case: Scenario, span_minutes: int
) -> None:
    end = case.start + timedelta(minutes=span_minutes)

    elapsed = business_time_between(case.cal, case.start, end, case.pauses)

    assert elapsed == reference_between(case.cal, case.start, end, case.pauses)
    assert timedelta(0) <= elapsed <= end - case.start


@PROPERTY
@given(scenarios(open_ended_pauses=False), st.integers(0, 10 * 24 * 60), st.integers(0, 10_000))
def test_property_due_time_is_monotonic_in_start_and_duration(
    case: Scenario, later_by_minutes: int, more_minutes: int
) -> None:
    later_start = case.start + timedelta(minutes=later_by_minutes)
    longer = case.duration + timedelta(minutes=more_minutes)

    due = add_business_time(case.cal, case.start, case.duration, case.pauses)

    assert add_business_time(case.cal, later_start, case.duration, case.pauses) >= due
    assert add_business_time(case.cal, case.start, longer, case.pauses) >= due


@PROPERTY
@given(scenarios(), st.integers(0, 60 * 24 * 60), st.integers(0, 60 * 24 * 60))
def test_property_time_between_adds_up_over_consecutive_ranges(
    case: Scenario, first_minutes: int, second_minutes: int
) -> None:
    middle = case.start + timedelta(minutes=first_minutes)
    end = middle + timedelta(minutes=second_minutes)

    whole = business_time_between(case.cal, case.start, end, case.pauses)
    parts = business_time_between(case.cal, case.start, middle, case.pauses)
    parts += business_time_between(case.cal, middle, end, case.pauses)

    assert whole == parts


@PROPERTY
@given(scenarios())
def test_property_next_opening_is_open_and_nothing_before_it_is(case: Scenario) -> None:
    opening = next_opening(case.cal, case.start)

    assert opening >= case.start
    assert is_open(case.cal, opening)
    assert business_time_between(case.cal, case.start, opening) == timedelta(0)
    assert is_open(case.cal, case.start) == (opening.astimezone(UTC) == case.start)


def _pairs(values: list[datetime]) -> Iterator[tuple[datetime, datetime]]:
    return zip(values, values[1:], strict=False)


@PROPERTY
@given(scenarios(), st.integers(1, 30 * 24 * 60))
def test_property_open_intervals_are_sorted_disjoint_and_open_inside(
    case: Scenario, span_minutes: int
) -> None:
    end = case.start + timedelta(minutes=span_minutes)

    intervals = list(open_intervals(case.cal, case.start, end))

    bounds = [instant for interval in intervals for instant in interval]
    assert all(earlier < later for earlier, later in _pairs(bounds))
    assert all(case.start <= s and e <= end for s, e in intervals)
    for s, e in intervals:
        assert is_open(case.cal, s) and is_open(case.cal, e - timedelta(microseconds=1))
        assert e == end or not is_open(case.cal, e)
