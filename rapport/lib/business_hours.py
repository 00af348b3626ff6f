"""Measure service-standard clocks in an organisation's business hours.

A `Calendar` says when a team is open: opening intervals per weekday in local
wall-clock time, whole-day holidays, and the IANA time zone that gives the wall
clock meaning. The functions below answer the questions that SLA timers ask
(when is a response due, how much open time has elapsed) in real elapsed time.
This module is pure Python (stdlib only) and never imports Django.

Rules for the edge cases, each tested in tests/lib/test_business_hours.py:

- Intervals are half-open: a team that opens at 09:00 is open at 09:00:00 and
  closed at 17:00:00 when it closes at 17:00.
- An interval whose end is at or before its start runs overnight into the next
  day (22:00-06:00); `time(0, 0)` as an end means midnight; start == end means
  24 hours. No interval is longer than 24 hours of wall-clock time.
- A shift belongs to the day on which it starts. A holiday closes every shift
  that starts on that local date; a shift that started the evening before a
  holiday still runs to its end on the holiday morning, and a shift that starts
  on the holiday evening is closed all night, into the next day.
- Wall-clock times become real instants with the calendar's zone. An ambiguous
  time (autumn fold) means its first occurrence; a time that does not exist
  (spring gap) means the instant the clocks jump past it. Both are "the first
  instant at which the wall clock reads that time or later", so a shift
  00:00-06:00 in Europe/London lasts 5 real hours on the last Sunday of March
  and 7 on the last Sunday of October, and a shift whose every minute falls in
  the gap does not open at all.
- Durations are real elapsed time (`timedelta`), never wall-clock differences.
- Pauses stop the clock (a conversation pending the customer): paused time never
  counts, even inside business hours. Overlapping pauses are merged; a pause
  with no end stops the clock from its start onwards.
- A clock that cannot finish within `HORIZON_DAYS` (about three years) of its
  start raises ValueError instead of searching for ever.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "HORIZON_DAYS",
    "Calendar",
    "Interval",
    "Pause",
    "add_business_time",
    "business_time_between",
    "is_open",
    "next_opening",
    "open_intervals",
]

HORIZON_DAYS = 3 * 366

Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime | None]

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_TICK = timedelta(microseconds=1)
# Stands for "no end" in merged pauses; never converted to another zone.
_FOREVER = datetime.max.replace(tzinfo=UTC)
# Days of computed intervals kept per calendar; SLA sweeps revisit the same weeks
# for thousands of conversations, and this bounds memory for long-lived calendars.
_DAY_CACHE_SIZE = 4096
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Calendar:
    """Opening hours of a team in one time zone, with whole-day holidays.

    `weekly` maps a weekday (0 = Monday) to its opening intervals in local
    wall-clock time; several intervals express breaks. The calendar is
    validated on construction and raises ValueError for an unknown time zone,
    overlapping intervals (including a Sunday night shift that runs into
    Monday's first interval) or a calendar with no opening hours at all.
    `weekly` is stored as a dict of tuples with empty weekdays dropped, so two
    calendars that say the same thing compare and hash alike. Each calendar
    caches the instants of the days it has computed; build one per organisation
    and share it (the cache is safe to use from several threads).
    """

    time_zone: str
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()

    # Derived on construction; excluded from equality and repr.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Per weekday: (start, days until the end's date, end) for each interval.
    _shifts: tuple[tuple[tuple[time, int, time], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    _weekly_open: timedelta = field(init=False, repr=False, compare=False)
    _sorted_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _days: dict[date, tuple[datetime, tuple[Interval, ...]]] = field(
        init=False, repr=False, compare=False
    )
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.time_zone)
        weekly = _normalise_weekly(self.weekly)
        holidays = _normalise_holidays(self.holidays)
        shifts, weekly_open = _compile_shifts(weekly)
        # Frozen dataclass: derived fields are set once, here, and never again.
        setattr_ = object.__setattr__
        setattr_(self, "weekly", weekly)
        setattr_(self, "holidays", holidays)
        setattr_(self, "_zone", zone)
        setattr_(self, "_shifts", shifts)
        setattr_(self, "_weekly_open", weekly_open)
        setattr_(self, "_sorted_holidays", tuple(sorted(holidays)))
        setattr_(self, "_days", {})
        setattr_(self, "_hash", hash((self.time_zone, tuple(sorted(weekly.items())), holidays)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def always_open(cls, tz: str = "UTC") -> Calendar:
        """Return a calendar open around the clock every day (a 24/7 team)."""
        midnight = time(0, 0)
        return cls(tz, {weekday: ((midnight, midnight),) for weekday in range(7)})


def is_open(cal: Calendar, at: datetime) -> bool:
    """Return whether the calendar is open at the instant `at`."""
    instant = _utc(at, "at")
    today = instant.astimezone(cal._zone).date()
    # Yesterday's overnight shift may still be running.
    for day in (today - _DAY, today):
        for opens, closes in _day(cal, day)[1]:
            if opens <= instant < closes:
                return True
    return False


def next_opening(cal: Calendar, at: datetime) -> datetime:
    """Return the first instant at or after `at` when the calendar is open.

    That is `at` itself when the calendar is already open. The result is in
    the calendar's zone; ValueError if nothing opens within HORIZON_DAYS.
    """
    instant = _utc(at, "at")
    day = instant.astimezone(cal._zone).date() - _DAY
    for _ in range(HORIZON_DAYS + 2):
        for opens, closes in _day(cal, day)[1]:
            if closes > instant:
                return max(opens, instant).astimezone(cal._zone)
        day += _DAY
    raise ValueError(f"the calendar does not open within {HORIZON_DAYS} days of {at.isoformat()}")


def open_intervals(cal: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """Yield the open intervals within [start, end) as aware UTC (start, end) pairs.

    Intervals are clipped to the range, in order, and merged where they touch
    (a shift ending at midnight and the next starting then make one interval).
    """
    range_start, range_end = _utc(start, "start"), _utc(end, "end")
    return _open_intervals(cal, range_start, range_end)


def business_time_between(
    cal: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()
) -> timedelta:
    """Return the open, unpaused time in [start, end); zero when end <= start."""
    range_start, range_end = _utc(start, "start"), _utc(end, "end")
    merged = _merge_pauses(pauses)
    if range_end <= range_start:
        return _ZERO
    counted, _ = _walk(cal, range_start, until=range_end, budget=None, pauses=merged)
    return counted


def add_business_time(
    cal: Calendar, start: datetime, duration: timedelta, pauses: Sequence[Pause] = ()
) -> datetime:
    """Return the instant at which `duration` of open, unpaused time has elapsed after `start`.

    The clock only runs while the calendar is open and no pause holds it, so a
    start outside hours begins counting at the next opening. It is the earliest
    such instant: a duration that ends exactly at closing time gives the closing
    time, and a zero duration gives `start`. The result is in the calendar's
    zone; compare it with `<`/`>=`, or in UTC for equality, since Python never
    finds an ambiguous (autumn-fold) time equal to one in another zone (PEP 495).
    ValueError for a negative duration, for a clock paused for ever before it
    finishes, or for one that would not finish within HORIZON_DAYS.
    """
    instant = _utc(start, "start")
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    merged = _merge_pauses(pauses)
    if duration == _ZERO:
        return instant.astimezone(cal._zone)
    _, due = _walk(cal, instant, until=None, budget=duration, pauses=merged)
    assert due is not None  # a walk with a budget returns its instant or raises
    return due.astimezone(cal._zone)


# -- Construction helpers -------------------------------------------------------------------------


def _load_zone(key: object) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(f"time_zone must be an IANA time zone name, got {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {key!r}") from error


def _normalise_weekly(
    weekly: Mapping[int, Iterable[tuple[time, time]]],
) -> dict[int, tuple[tuple[time, time], ...]]:
    if not isinstance(weekly, Mapping):
        raise ValueError("weekly must map weekdays (0 = Monday) to opening intervals")
    normalised: dict[int, tuple[tuple[time, time], ...]] = {}
    for weekday, intervals in weekly.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(
                f"weekday must be an integer 0 (Monday) to 6 (Sunday), got {weekday!r}"
            )
        pairs: list[tuple[time, time]] = []
        for interval in intervals:
            try:
                opens, closes = interval
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"{_WEEKDAYS[weekday]}: an interval must be a (start, end) pair of times, "
                    f"got {interval!r}"
                ) from error
            for value in (opens, closes):
                if not isinstance(value, time):
                    raise ValueError(
                        f"{_WEEKDAYS[weekday]}: interval bounds must be datetime.time, "
                        f"got {value!r}"
                    )
                if value.tzinfo is not None:
                    raise ValueError(
                        f"{_WEEKDAYS[weekday]}: interval bounds are local wall-clock times "
                        f"and must be naive, got {value!r}"
                    )
            pairs.append((opens.replace(fold=0), closes.replace(fold=0)))
        if pairs:
            # Empty weekdays are dropped so that {0: ()} and {} are the same calendar.
            normalised[weekday] = tuple(sorted(pairs))
    return normalised


def _normalise_holidays(holidays: Iterable[date]) -> frozenset[date]:
    normalised = frozenset(holidays)
    for holiday in normalised:
        # datetime is a subclass of date; a datetime here is almost surely a mistake.
        if not isinstance(holiday, date) or isinstance(holiday, datetime):
            raise ValueError(f"holidays must be dates, got {holiday!r}")
    return normalised


def _since_midnight(value: time) -> timedelta:
    return timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _compile_shifts(
    weekly: dict[int, tuple[tuple[time, time], ...]],
) -> tuple[tuple[tuple[tuple[time, int, time], ...], ...], timedelta]:
    """Return the per-weekday shifts and the nominal open time of a week; reject overlaps."""
    shifts: list[list[tuple[time, int, time]]] = [[] for _ in range(7)]
    # Each interval as wall-clock offsets from Monday 00:00, to check overlaps across days.
    spans: list[tuple[timedelta, timedelta, str]] = []
    weekly_open = _ZERO
    for weekday, intervals in weekly.items():
        for opens, closes in intervals:
            overnight = closes <= opens
            shifts[weekday].append((opens, 1 if overnight else 0, closes))
            begin = timedelta(days=weekday) + _since_midnight(opens)
            finish = timedelta(days=weekday + (1 if overnight else 0)) + _since_midnight(closes)
            label = f"{_WEEKDAYS[weekday]} {opens.isoformat()}-{closes.isoformat()}"
            spans.append((begin, finish, label))
            weekly_open += finish - begin
    if not spans:
        raise ValueError("the calendar has no opening hours at all")
    spans.sort()
    week = timedelta(days=7)
    # The week is a cycle: Sunday's night shift must end before Monday's first one starts.
    for (_, previous_end, previous), (begin, _, label) in zip(
        spans, [*spans[1:], (spans[0][0] + week, spans[0][1] + week, spans[0][2])], strict=True
    ):
        if begin < previous_end:
            raise ValueError(f"calendar intervals overlap: {previous} and {label}")
    return tuple(tuple(day) for day in shifts), weekly_open


# -- Instants -------------------------------------------------------------------------------------


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _to_instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """Return the first UTC instant at which the zone's clocks read `wall` or later."""
    # fold=0 picks the first occurrence of an ambiguous (autumn) wall time.
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None, fold=0) == wall:
        return instant
    # The wall time is in a spring gap. fold=0 read it with the offset before the
    # jump (an instant after it) and fold=1 with the offset after (an instant
    # before it); the jump lies between, on a whole second, so bisect for it.
    before = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    after = int(instant.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None, fold=0) >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _day(cal: Calendar, day: date) -> tuple[datetime, tuple[Interval, ...]]:
    """Return the instant of local midnight and the UTC intervals of shifts starting on `day`."""
    cached = cal._days.get(day)
    if cached is not None:
        return cached
    zone = cal._zone
    midnight = _to_instant(zone, datetime.combine(day, time(0, 0)))
    intervals: list[Interval] = []
    if day not in cal.holidays:
        for opens, spill, closes in cal._shifts[day.weekday()]:
            begin = _to_instant(zone, datetime.combine(day, opens))
            finish = _to_instant(zone, datetime.combine(day + timedelta(days=spill), closes))
            # A shift that lies wholly in a spring gap never opens.
            if begin < finish:
                intervals.append((begin, finish))
    if len(cal._days) >= _DAY_CACHE_SIZE:
        cal._days.clear()
    entry = (midnight, tuple(intervals))
    cal._days[day] = entry
    return entry


@lru_cache(maxsize=1024)
def _offset_change_dates(zone: ZoneInfo, year: int) -> tuple[date, ...]:
    """Return the UTC dates in `year` whose 24 hours contain a change of the zone's offset.

    The offset is sampled once a day at 00:00 UTC; tz rules never change it
    twice within a day and back, so a daily sample finds every change.
    """
    changes: list[date] = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    while instant.year == year:
        following = instant + _DAY
        following_offset = following.astimezone(zone).utcoffset()
        if following_offset != offset:
            changes.append(instant.date())
        instant, offset = following, following_offset
    return tuple(changes)


def _first_offset_change(zone: ZoneInfo, first: date, last: date) -> date | None:
    for year in range(first.year, last.year + 1):
        changes = _offset_change_dates(zone, year)
        index = bisect.bisect_left(changes, first)
        if index < len(changes):
            return changes[index] if changes[index] <= last else None
    return None


# -- The walk -------------------------------------------------------------------------------------


def _merge_pauses(pauses: Sequence[Pause]) -> list[Interval]:
    spans: list[Interval] = []
    for pause in pauses:
        try:
            paused_at, resumed_at = pause
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"a pause must be a (start, end or None) pair, got {pause!r}"
            ) from error
        begin = _utc(paused_at, "pause start")
        finish = _FOREVER if resumed_at is None else _utc(resumed_at, "pause end")
        if finish < begin:
            raise ValueError(
                f"a pause must not end before it starts: {paused_at.isoformat()} to "
                f"{finish.isoformat()}"
            )
        if finish > begin:
            spans.append((begin, finish))
    spans.sort()
    merged: list[Interval] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _open_intervals(
    cal: Calendar, range_start: datetime, range_end: datetime
) -> Iterator[Interval]:
    pending: Interval | None = None
    day = range_start.astimezone(cal._zone).date() - _DAY
    while True:
        midnight, intervals = _day(cal, day)
        # Shifts of a day start at or after its midnight, so nothing later can fall in range.
        if midnight >= range_end:
            break
        for opens, closes in intervals:
            begin, finish = max(opens, range_start), min(closes, range_end)
            if begin >= finish:
                continue
            if pending is not None and begin <= pending[1]:
                pending = (pending[0], max(pending[1], finish))
            else:
                if pending is not None:
                    yield pending
                pending = (begin, finish)
        day += _DAY
    if pending is not None:
        yield pending


def _walk(
    cal: Calendar,
    start: datetime,
    *,
    until: datetime | None,
    budget: timedelta | None,
    pauses: list[Interval],
) -> tuple[timedelta, datetime | None]:
    """Count open, unpaused time from `start` until `until`, or until `budget` is spent.

    Return the time counted and, when a budget was given, the instant it ran
    out. Shifts are visited day by day; whole weeks free of holidays, pauses
    and offset changes are skipped arithmetically, since each holds exactly
    the calendar's nominal weekly open time.
    """
    zone = cal._zone
    weekly_open = cal._weekly_open
    day = start.astimezone(zone).date() - _DAY
    last_day = day + timedelta(days=HORIZON_DAYS)
    until_day = until.astimezone(zone).date() if until is not None else last_day
    # `start` lies before the midnight that opens this day, so no shift after it is cut.
    skip_from = day + 2 * _DAY
    counted = _ZERO
    next_pause = 0
    while True:
        if until is None and day > last_day:
            raise ValueError(
                f"the clock does not reach {budget} of business time within {HORIZON_DAYS} "
                f"days of {start.isoformat()}"
            )
        midnight, intervals = _day(cal, day)
        if until is not None and midnight >= until:
            return counted, None
        if day >= skip_from and (budget is None or budget - counted > weekly_open):
            while next_pause < len(pauses) and pauses[next_pause][1] <= midnight:
                next_pause += 1
            weeks = _skippable_weeks(
                cal,
                day,
                midnight,
                remaining=None if budget is None else budget - counted,
                until_day=until_day,
                pause=pauses[next_pause] if next_pause < len(pauses) else None,
            )
            if weeks > 0:
                counted += weeks * weekly_open
                day += timedelta(days=7 * weeks)
                continue
        for opens, closes in intervals:
            begin = max(opens, start)
            finish = closes if until is None else min(closes, until)
            while begin < finish:
                while next_pause < len(pauses) and pauses[next_pause][1] <= begin:
                    next_pause += 1
                if next_pause < len(pauses) and pauses[next_pause][0] <= begin:
                    resumes = pauses[next_pause][1]
                    if resumes == _FOREVER:
                        if budget is None:
                            return counted, None
                        raise ValueError(
                            f"the clock is paused indefinitely from "
                            f"{pauses[next_pause][0].isoformat()} and cannot reach {budget}"
                        )
                    begin = resumes
                    continue
                piece_end = finish
                if next_pause < len(pauses):
                    piece_end = min(finish, pauses[next_pause][0])
                piece = piece_end - begin
                if budget is not None and piece >= budget - counted:
                    return budget, begin + (budget - counted)
                counted += piece
                begin = piece_end
        day += _DAY


def _skippable_weeks(
    cal: Calendar,
    day: date,
    midnight: datetime,
    *,
    remaining: timedelta | None,
    until_day: date,
    pause: Interval | None,
) -> int:
    """Return how many whole weeks from `day` hold exactly the nominal weekly open time."""
    # Leave at least the last microsecond of a budget to the day-by-day walk, which
    # finds the exact instant; and keep a margin of two days before `until`, which
    # the last skipped night shift must not cross.
    weeks = ((until_day - day).days - 2) // 7
    if remaining is not None:
        weeks = min(weeks, (remaining - _TICK) // cal._weekly_open)
    if weeks < 1:
        return 0
    holidays = cal._sorted_holidays
    index = bisect.bisect_left(holidays, day)
    if index < len(holidays):
        weeks = min(weeks, (holidays[index] - day).days // 7)
    if pause is not None:
        if pause[0] <= midnight:
            return 0
        paused_on = pause[0].astimezone(cal._zone).date()
        weeks = min(weeks, ((paused_on - day).days - 2) // 7)
    if weeks < 1:
        return 0
    # An offset change inside a shift makes it longer or shorter than its wall-clock
    # length. Offset-change dates are UTC dates, up to a day either side of the
    # local ones, hence the margins.
    changed_on = _first_offset_change(
        cal._zone, day - 3 * _DAY, day + timedelta(days=7 * weeks + 3)
    )
    if changed_on is not None:
        weeks = min(weeks, ((changed_on - day).days - 3) // 7)
    return max(weeks, 0)
