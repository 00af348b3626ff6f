"""Daily rollups: an organisation's service and social figures per local day.

`facts.refresh` recomputes, besides the conversation and wait rollups, every local
day (in the organisation's time zone) that the changed conversations touch: the
days they were opened, answered, resolved and written to, and the days their
deadlines fell on, before and after the change. A day is recomputed whole from
the rollups (and the messages), never adjusted, so a refresh cannot drift; a full
rebuild is the same computation over every day (`facts.refresh(full=True)`, or a
change of the organisation's time zone).

A period made of whole local days that has ended can then be read from about
thirty rows per figure (`reader`): volumes, complaint categories, deadlines met,
inbound messages by sentiment, and the durations themselves, kept sorted per day
so that medians, 90th percentiles and Mood's median test come out exactly as the
database computes them from the rollups. Anything else (a team or channel view,
a period still running, days cut at another hour) is measured as before.
"""

from __future__ import annotations

import bisect
import datetime as dt
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, FloatField, Func, Q, Sum

from rapport.accounts.models import Organisation
from rapport.inbox.models import Direction, Kind, Message
from rapport.insights.models import (
    ConversationFact,
    DailyDurations,
    DailyMentions,
    DailyTarget,
    DailyVolume,
    FactState,
    ResponseFact,
)
from rapport.insights.quantiles import Quantiles, _of_sorted
from rapport.lib import bulk

# Sentiment bounds of a positive or negative mention (social.py says the same).
NEGATIVE_AT = -0.25
POSITIVE_AT = 0.25
# Beyond this many separate runs of dirty days, one read over their whole span is cheaper.
MAX_RUNS = 20


class Days:
    """The local days a refresh touched, collected from the datetimes it sees."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone
        self.days: set[dt.date] = set()

    def add(self, *moments: dt.datetime | None) -> None:
        for moment in moments:
            if moment is not None:
                self.days.add(moment.astimezone(self.zone).date())


def touched_by_facts(days: Days, conversation_ids: list[int]) -> None:
    """Add the days of the current rollups of these conversations (before they are replaced)."""
    for row in ConversationFact.objects.filter(conversation_id__in=conversation_ids).values_list(
        "opened_at", "resolved_at", "resolution_due_at"
    ):
        days.add(*row)
    for responded_at, due_at in ResponseFact.objects.filter(
        conversation_id__in=conversation_ids
    ).values_list("responded_at", "due_at"):
        days.add(responded_at, due_at)


def touched_by_new_facts(
    days: Days, conversations: list[dict[str, Any]], responses: list[dict[str, Any]]
) -> None:
    for fact in conversations:
        days.add(fact["opened_at"], fact["resolved_at"], fact["resolution_due_at"])
    for fact in responses:
        days.add(fact["responded_at"], fact["due_at"])


def rebuild(organisation: Organisation, zone: dt.tzinfo, days: set[dt.date] | None) -> int:
    """Recompute the daily rollups of these local days (every day with None); return how many."""
    if days is None:
        for model in (DailyVolume, DailyTarget, DailyDurations, DailyMentions):
            model.objects.filter(organisation=organisation).delete()
        return len(_compute(organisation, zone, None))
    if not days:
        return 0
    runs = _runs(sorted(days))
    spans = [(runs[0][0], runs[-1][1])] if len(runs) > MAX_RUNS else runs
    for first, last in spans:
        # A span read whole recomputes its clean days too: they come out unchanged.
        for model in (DailyVolume, DailyTarget, DailyDurations, DailyMentions):
            model.objects.filter(organisation=organisation, day__gte=first, day__lte=last).delete()
        period = (_midnight(first, zone), _midnight(last + dt.timedelta(days=1), zone))
        _compute(organisation, zone, period)
    return len(days)


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def wait_seconds() -> Func:
    """Wall-clock seconds from the customer's message to our reply, computed by the database."""
    if connection.vendor == "postgresql":
        return Func(
            F("responded_at"),
            F("customer_at"),
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            output_field=FloatField(),
        )
    return Func(
        F("responded_at"),
        F("customer_at"),
        template="((julianday(%(expressions)s)) * 86400.0)",
        arg_joiner=") - julianday(",
        output_field=FloatField(),
    )


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone)


def _in(field_name: str, period: tuple[dt.datetime, dt.datetime] | None) -> Q:
    if period is None:
        return Q()
    return Q(**{f"{field_name}__gte": period[0], f"{field_name}__lt": period[1]})


def _compute(
    organisation: Organisation,
    zone: dt.tzinfo,
    period: tuple[dt.datetime, dt.datetime] | None,
) -> set[dt.date]:
    """Write the rollups of every day in the period (all days with None); return the days."""

    def day_of(moment: Any) -> dt.date:
        return moment.astimezone(zone).date()

    org = organisation.pk
    seen: set[dt.date] = set()

    volume: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    opened = ConversationFact.objects.filter(_in("opened_at", period), organisation=org)
    for opened_at, channel, kind, team, category, inbound, outbound in opened.values_list(
        "opened_at", "channel_id", "kind", "team_id", "category", "inbound_count", "outbound_count"
    ).order_by():
        counts = volume[
            (day_of(opened_at), channel, kind, team, category if kind == Kind.COMPLAINT else "")
        ]
        counts[0] += 1
        counts[1] += inbound
        counts[2] += outbound
    bulk.insert_values(
        DailyVolume,
        [
            {
                "organisation_id": org,
                "day": day,
                "channel_id": channel,
                "kind": kind,
                "team_id": team,
                "category": category,
                "conversations": n,
                "inbound_messages": inbound,
                "outbound_messages": outbound,
            }
            for (day, channel, kind, team, category), (n, inbound, outbound) in volume.items()
        ],
        read_ids=False,
    )
    seen.update(key[0] for key in volume)

    targets: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def deadline(day: dt.date, target: str, due: Any, done: dt.datetime | None) -> None:
        counts = targets[(day, target)]
        if done is None:
            counts[2] += 1
        else:
            counts[0] += 1
            counts[1] += done <= due

    waits = ResponseFact.objects.filter(
        _in("due_at", period), organisation=org, due_at__isnull=False
    )
    for due_at, is_first, responded_at in waits.values_list(
        "due_at", "is_first", "responded_at"
    ).order_by():
        target = "first_response" if is_first else "next_response"
        deadline(day_of(due_at), target, due_at, responded_at)
    resolutions = ConversationFact.objects.filter(
        _in("resolution_due_at", period), organisation=org, resolution_due_at__isnull=False
    )
    for due_at, resolved_at in resolutions.values_list(
        "resolution_due_at", "resolved_at"
    ).order_by():
        deadline(day_of(due_at), "resolution", due_at, resolved_at)
    bulk.insert_values(
        DailyTarget,
        [
            {
                "organisation_id": org,
                "day": day,
                "target": target,
                "answered": answered,
                "met": met,
                "unanswered": unanswered,
            }
            for (day, target), (answered, met, unanswered) in targets.items()
        ],
        read_ids=False,
    )
    seen.update(key[0] for key in targets)

    samples: dict[tuple[dt.date, str, int], list[Any]] = defaultdict(list)
    answered = (
        ResponseFact.objects.filter(
            _in("responded_at", period), organisation=org, business_seconds__isnull=False
        )
        .annotate(wall=wait_seconds())
        .values_list("responded_at", "is_first", "business_seconds", "wall", "customer_at")
        .order_by()
    )
    for responded_at, is_first, seconds, wall, customer_at in answered:
        day = day_of(responded_at)
        if is_first:
            samples[(day, "first_response", 0)].append(seconds)
            weekday = customer_at.astimezone(zone).isoweekday()
            samples[(day, "first_wait", weekday)].append(wall)
        else:
            samples[(day, "next_response", 0)].append(seconds)
    resolved = ConversationFact.objects.filter(
        _in("resolved_at", period), organisation=org, resolution_seconds__isnull=False
    )
    for resolved_at, seconds in resolved.values_list(
        "resolved_at", "resolution_seconds"
    ).order_by():
        samples[(day_of(resolved_at), "resolution", 0)].append(seconds)
    rows = [
        {
            "organisation_id": org,
            "day": day,
            "measure": measure,
            "group": group,
            "count": len(values),
            "values": array("d", sorted(map(float, values))).tobytes(),
        }
        for (day, measure, group), values in samples.items()
    ]
    for start in range(0, len(rows), 500):
        bulk.insert_values(DailyDurations, rows[start : start + 500], read_ids=False)
    seen.update(key[0] for key in samples)

    mentions: dict[tuple[dt.date, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    messages = Message.objects.filter(
        _in("created_at", period), organisation=org, direction=Direction.INBOUND
    )
    for created_at, channel, sentiment, kind in messages.values_list(
        "created_at", "channel_id", "sentiment", "kind"
    ).order_by():
        counts = mentions[(day_of(created_at), channel)]
        counts[0] += 1
        if sentiment is not None:
            counts[1] += sentiment >= POSITIVE_AT
            counts[2] += sentiment <= NEGATIVE_AT
        counts[3] += kind == Kind.UGC
    bulk.insert_values(
        DailyMentions,
        [
            {
                "organisation_id": org,
                "day": day,
                "channel_id": channel,
                "total": total,
                "positive": positive,
                "negative": negative,
                "ugc": ugc,
            }
            for (day, channel), (total, positive, negative, ugc) in mentions.items()
        ],
        read_ids=False,
    )
    seen.update(key[0] for key in mentions)
    return seen


# --- Reading ---------------------------------------------------------------------------------


def whole_days(
    zone: dt.tzinfo, start: dt.datetime, end: dt.datetime
) -> tuple[dt.date, dt.date] | None:
    """Return the first and the day after the last local day of start-end, if it is whole days."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.time() != dt.time() or local_end.time() != dt.time():
        return None
    first, after = local_start.date(), local_end.date()
    if _midnight(first, zone) != start or _midnight(after, zone) != end:
        return None  # a midnight that does not exist or exists twice (a DST change at 00:00)
    return first, after


def reader(
    organisation: Organisation, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Reader | None:
    """Return a reader of the daily rollups for start-end, or None where they cannot answer.

    They answer for whole local days of a period that has ended (the share of deadlines
    met counts those still unanswered only once they have passed), once built in the
    organisation's current time zone.
    """
    if end > now:
        return None
    zone = organisation.zone
    days = whole_days(zone, start, end)
    if days is None:
        return None
    state = FactState.objects.filter(organisation=organisation).values_list("days_zone", flat=True)
    if list(state) != [organisation.time_zone]:
        return None
    return Reader(organisation.pk, *days)


@dataclass
class Reader:
    """The daily rollups of the days first <= day < after, read as they are needed."""

    organisation_id: int
    first: dt.date
    after: dt.date
    _durations: dict[tuple[str, int], list[bytes]] | None = field(default=None, repr=False)

    def _days(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "day__gte": self.first,
            "day__lt": self.after,
        }

    def volume(self) -> list[dict[str, Any]]:
        """The period's conversations per (channel_id, kind, team_id, category), summed."""
        rows: Any = (
            DailyVolume.objects.filter(**self._days())
            .values("channel_id", "kind", "team_id", "category")
            .annotate(
                conversations=Sum("conversations"),
                inbound=Sum("inbound_messages"),
                outbound=Sum("outbound_messages"),
            )
            .order_by()
        )
        return list(rows)

    def volume_by_day(self) -> list[tuple[dt.date, int, int]]:
        """The period's conversations per (day, channel_id), in order of day."""
        rows: Any = (
            DailyVolume.objects.filter(**self._days())
            .values_list("day", "channel_id")
            .annotate(conversations=Sum("conversations"))
            .order_by("day", "channel_id")
        )
        return list(rows)

    def targets(self) -> dict[str, tuple[int, int]]:
        """Deadlines of the period per target: (met, total decided)."""
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        rows = DailyTarget.objects.filter(**self._days()).values_list(
            "target", "answered", "met", "unanswered"
        )
        for target, answered, met, unanswered in rows.order_by():
            found[target][0] += met
            found[target][1] += answered + unanswered
        return {target: (met, total) for target, (met, total) in found.items()}

    def mentions(self) -> dict[int, tuple[int, int, int, int]]:
        """Inbound messages per channel: (total, positive, negative, ugc)."""
        found: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        rows = DailyMentions.objects.filter(**self._days()).values_list(
            "channel_id", "total", "positive", "negative", "ugc"
        )
        for channel, *counts in rows.order_by():
            totals = found[channel]
            for index, count in enumerate(counts):
                totals[index] += count
        return {channel: (t[0], t[1], t[2], t[3]) for channel, t in found.items()}

    def _load_durations(self) -> dict[tuple[str, int], list[bytes]]:
        if self._durations is None:
            packed: dict[tuple[str, int], list[bytes]] = defaultdict(list)
            rows = DailyDurations.objects.filter(**self._days()).values_list(
                "measure", "group", "values"
            )
            for measure, group, values in rows.order_by():
                packed[(measure, group)].append(bytes(values))
            self._durations = packed
        return self._durations

    def values(self, measure: str, groups: Iterable[int] = (0,)) -> list[float]:
        """Every duration of the measure (in these groups) in the period, sorted."""
        packed = self._load_durations()
        values: list[float] = []
        for group in groups:
            for blob in packed.get((measure, group), []):
                day = array("d")
                day.frombytes(blob)
                values.extend(day)
        # Sorted runs, one per day: the sort merges them (in C, unlike heapq.merge).
        values.sort()
        return values

    def groups(self, measure: str) -> set[int]:
        return {group for (name, group) in self._load_durations() if name == measure}


def quantiles_of(values: list[float]) -> Quantiles:
    """The count, median and 90th percentile of sorted values, as quantiles.py computes them."""
    if not values:
        return Quantiles.empty()
    return Quantiles(len(values), _of_sorted(values, 1, 2), _of_sorted(values, 9, 10))


def mood_counts(current: list[float], baseline: list[float]) -> tuple[int, int]:
    """How many values of each sorted sample lie above their pooled median (Mood's test)."""
    pooled = sorted(current + baseline)
    if not pooled:
        return 0, 0
    median = _of_sorted(pooled, 1, 2)
    return (
        len(current) - bisect.bisect_right(current, median),
        len(baseline) - bisect.bisect_right(baseline, median),
    )
