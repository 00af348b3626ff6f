"""Service-standard timers: which targets apply and when each one falls due.

Targets are in business minutes of the policy's calendar (24/7 without one).
While a conversation waits on the customer the clock stops; on resuming, each
running target gets back the business time that was left when it stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapport.inbox.models import (
    ACTIVE_STATUSES,
    BusinessCalendar,
    Conversation,
    SlaPolicy,
    SlaTarget,
)
from rapport.lib.business_hours import Calendar, add_business_time, business_time_between


def calendar_of(calendar: BusinessCalendar | None) -> Calendar:
    if calendar is None:
        return _always_open()
    return _calendar(
        calendar.time_zone,
        tuple(
            sorted((day, tuple(map(tuple, spans))) for day, spans in calendar.weekly_hours.items())
        ),
        tuple(calendar.holidays),
    )


@lru_cache(maxsize=1)
def _always_open() -> Calendar:
    return Calendar.always_open("UTC")


@lru_cache(maxsize=256)
def _calendar(time_zone: str, weekly: tuple[Any, ...], holidays: tuple[str, ...]) -> Calendar:
    def parse(value: str) -> dt.time:
        return dt.time.fromisoformat(value)

    return Calendar(
        time_zone=time_zone,
        weekly={
            int(day): tuple((parse(start), parse(end)) for start, end in spans)
            for day, spans in weekly
        },
        holidays=frozenset(dt.date.fromisoformat(day) for day in holidays),
    )


def pick_target(targets: Iterable[SlaTarget], *, priority: int, kind: str) -> SlaTarget | None:
    """Return the most specific target matching the priority and kind (kind beats priority)."""
    best: SlaTarget | None = None
    for target in targets:
        if target.priority not in (None, priority) or target.kind not in ("", kind):
            continue
        if best is None or target.specificity() > best.specificity():
            best = target
    return best


class Clock:
    """One policy's calendar and targets, loaded once and used for many conversations."""

    def __init__(self, policy: SlaPolicy | None) -> None:
        self.policy = policy
        self.calendar = calendar_of(policy.calendar if policy else None)
        self.targets = list(policy.targets.all()) if policy else []

    @staticmethod
    def _after(calendar: Calendar, start: dt.datetime, minutes: int | None) -> dt.datetime | None:
        if minutes is None:
            return None
        return add_business_time(calendar, start, dt.timedelta(minutes=minutes))

    def start(self, conversation: Conversation, opened_at: dt.datetime) -> None:
        """Set the first-response and resolution due times of a new conversation."""
        conversation.sla_policy = self.policy
        target = pick_target(self.targets, priority=conversation.priority, kind=conversation.kind)
        if target is None:
            return
        conversation.first_response_due_at = self._after(
            self.calendar, opened_at, target.first_response_minutes
        )
        conversation.resolution_due_at = self._after(
            self.calendar, opened_at, target.resolution_minutes
        )
        refresh_next_due(conversation)

    def customer_wrote(self, conversation: Conversation, at: dt.datetime) -> None:
        """Start the next-response timer when the customer writes after our reply."""
        if conversation.first_responded_at is None or conversation.next_response_due_at:
            return
        target = pick_target(self.targets, priority=conversation.priority, kind=conversation.kind)
        if target is not None:
            conversation.next_response_due_at = self._after(
                self.calendar, at, target.next_response_minutes
            )
        refresh_next_due(conversation)

    def pause(self, conversation: Conversation, at: dt.datetime) -> None:
        if conversation.sla_paused_at is None:
            conversation.sla_paused_at = at
            refresh_next_due(conversation)

    def resume(self, conversation: Conversation, at: dt.datetime) -> None:
        """Restart the clock: each running target gets back the business time it had left.

        The pause is also kept in business seconds of the calendar (a weekend pause on an
        office calendar is 0), in total and for the part before the first response, so
        that the insights can take it out of resolution and first response times.
        """
        paused_at = conversation.sla_paused_at
        if paused_at is None:
            return
        for field in ("first_response_due_at", "next_response_due_at", "resolution_due_at"):
            due = getattr(conversation, field)
            if due is None:
                continue
            left = business_time_between(self.calendar, paused_at, due) if due > paused_at else None
            if left is not None:
                setattr(conversation, field, add_business_time(self.calendar, at, left))
        conversation.sla_paused_seconds += int(max(0.0, (at - paused_at).total_seconds()))
        conversation.sla_paused_business_seconds += self.business_seconds(paused_at, at)
        first_at = conversation.first_responded_at
        conversation.first_response_paused_business_seconds += self.business_seconds(
            paused_at, at if first_at is None else min(at, first_at)
        )
        conversation.sla_paused_at = None
        refresh_next_due(conversation)

    def business_seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Return the whole business seconds of the calendar in [start, end) (0 if empty)."""
        if end <= start:
            return 0
        return int(business_time_between(self.calendar, start, end).total_seconds())


def refresh_next_due(conversation: Conversation) -> None:
    """Keep `next_due_at` the earliest running target, or empty when none runs."""
    if conversation.status not in ACTIVE_STATUSES or conversation.sla_paused_at is not None:
        conversation.next_due_at = None
        return
    running = [conversation.next_response_due_at, conversation.resolution_due_at]
    if conversation.first_responded_at is None:
        running.append(conversation.first_response_due_at)
    dues = [due for due in running if due is not None]
    conversation.next_due_at = min(dues) if dues else None
