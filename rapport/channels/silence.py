"""Tell when a channel has gone quiet far beyond its own normal traffic.

Works the same for every kind, polled or pushed, from the stored messages
alone. For each hour of the week (in the organisation's time zone) we learn
the share of such hours, over the last four weeks, in which at least one
customer message arrived. Counting active hours rather than messages keeps a
burst (twenty replies in one thread) from passing for steady traffic.

The chance that every hour since the last message was empty by accident is
the product of (1 - share) over those hours. When it falls below
`QUIET_CHANCE`, the silence is not bad luck: something upstream broke (a
webhook sender stopped, a form was taken off the website, a token expired
without an error). A café's form that is quiet every night is not flagged at
night; the same gap across a Saturday lunchtime is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

HOURS_PER_WEEK = 168
HOUR = dt.timedelta(hours=1)
# How far back normal traffic is learnt from.
HISTORY = dt.timedelta(days=28)
# Less than this much history, or fewer active hours, and we do not know what normal is.
MIN_HISTORY = dt.timedelta(days=3)
MIN_ACTIVE_HOURS = 10
# One in a thousand: at one check every few minutes per channel, a busy
# deployment still sees a false alarm only rarely, and a real outage on a
# channel with steady traffic is caught within a few of its usual gaps.
QUIET_CHANCE = 0.001
# Never call a channel silent sooner than this, however busy it usually is.
FLOOR = dt.timedelta(hours=1)
# An hour of the week seen only a few times leans on the channel's overall
# share, as if it had been seen this many more times at that share.
PRIOR_WEIGHT = 1.0
# An hour that was always active still leaves some chance of being empty.
MAX_SHARE = 0.999


def _floor_hour(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _slot(hour: dt.datetime, zone: dt.tzinfo) -> int:
    local = hour.astimezone(zone)
    return local.weekday() * 24 + local.hour


@dataclass(frozen=True)
class TrafficProfile:
    """For each hour of the week (Monday 00:00 first), the share of such hours with traffic."""

    shares: tuple[float, ...]
    zone: dt.tzinfo
    history_hours: int
    active_hours: int

    def share_at(self, moment: dt.datetime) -> float:
        return self.shares[_slot(moment, self.zone)]


def learn(
    active_hours: Iterable[dt.datetime],
    *,
    start: dt.datetime,
    end: dt.datetime,
    zone: dt.tzinfo,
) -> TrafficProfile | None:
    """Return the channel's traffic profile from its active hours between `start` and `end`.

    `active_hours` are the (UTC) starts of hours in which at least one
    message arrived. None when there is too little history to judge.
    """
    first, last = _floor_hour(start), _floor_hour(end)
    if last - first < MIN_HISTORY:
        return None
    seen = [0] * HOURS_PER_WEEK
    hour = first
    while hour <= last:
        seen[_slot(hour, zone)] += 1
        hour += HOUR
    active = [0] * HOURS_PER_WEEK
    counted = 0
    for moment in {_floor_hour(h) for h in active_hours}:
        if first <= moment <= last:
            active[_slot(moment, zone)] += 1
            counted += 1
    if counted < MIN_ACTIVE_HOURS:
        return None
    total_seen = sum(seen)
    overall = counted / total_seen
    shares = tuple(
        min(MAX_SHARE, (active[s] + PRIOR_WEIGHT * overall) / (seen[s] + PRIOR_WEIGHT))
        for s in range(HOURS_PER_WEEK)
    )
    return TrafficProfile(shares, zone, total_seen, counted)


def chance_of_quiet(
    profile: TrafficProfile, *, last_active: dt.datetime, now: dt.datetime
) -> float:
    """Return the chance that nothing arrived from the hour after `last_active` until `now`.

    The hour of the last message counts as served; the current hour counts
    for the part of it that has passed.
    """
    hour = _floor_hour(last_active) + HOUR
    # Beyond four weeks the answer is zero for any channel with a profile; stop counting.
    stop = min(now, hour + HISTORY)
    log_chance = 0.0
    while hour < stop:
        part = min(HOUR, stop - hour) / HOUR
        log_chance += part * math.log1p(-profile.share_at(hour))
        hour += HOUR
    return math.exp(log_chance)


def is_silent(
    profile: TrafficProfile | None, *, last_active: dt.datetime, now: dt.datetime
) -> bool:
    """Return whether the quiet since `last_active` is far beyond the channel's normal traffic."""
    if profile is None or now - last_active < FLOOR:
        return False
    return chance_of_quiet(profile, last_active=last_active, now=now) < QUIET_CHANCE
