"""Keep the service rollups (ConversationFact, ResponseFact) in step with the inbox.

Business-hours durations depend on each policy's calendar, which SQL cannot
evaluate, so they are computed here once per changed conversation and stored.
`refresh(organisation)` is incremental: it recomputes only the conversations
changed (or written to) since the previous refresh, so the dashboards call it
before reading and the worker calls it every minute. A full rebuild is the same
call with `full=True`.

What counts, and why:

- A customer wait starts at the first inbound message after our last reply and
  ends at our next outbound message (notes and drafts do not count). The first
  wait of a conversation is its first response; later ones are next responses.
- The first response time and its deadline are the inbox's own
  (`first_responded_at`, `first_response_due_at`), so the dashboards and the
  SLA timers never disagree. Next-response deadlines are recomputed from the
  policy's target, as the inbox does when the customer writes.
- Durations are business time on the conversation's policy calendar (24/7
  without one). Time spent pending the customer is taken out of resolution and
  first response times in business time: the inbox keeps each pause's business
  seconds as it resumes (`Clock.resume`), in total and for the part before the
  first response (a pause over a weekend on an office calendar is 0, one over a
  Tuesday afternoon is all of it), and a pause still running counts up to the
  first response. Next responses keep their pauses: with only a total, a pause
  cannot be placed in one of several waits, and the inbox pauses between our reply
  and the customer's, outside any wait, nearly always. Pauses that ended before
  those totals were kept (inbox migration 0008) are not subtracted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.inbox.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    SlaPolicy,
)
from rapport.inbox.sla import Clock, pick_target
from rapport.insights import daily
from rapport.insights.models import ConversationFact, FactState, ResponseFact
from rapport.jobs.scheduler import every
from rapport.lib import bulk
from rapport.lib.business_hours import add_business_time, business_time_between
from rapport.lib.tasks import task

CHUNK = 2000
# Outbound messages that never reached the customer are not a response.
_NOT_SENT = (DeliveryStatus.DRAFT, DeliveryStatus.PENDING_APPROVAL, DeliveryStatus.FAILED)
_CONVERSATION_FIELDS = (
    "id",
    "organisation_id",
    "channel_id",
    "team_id",
    "assignee_id",
    "kind",
    "priority",
    "status",
    "intent",
    "created_at",
    "first_responded_at",
    "first_response_due_at",
    "resolved_at",
    "resolution_due_at",
    "sla_policy_id",
    "sla_paused_at",
    "sla_paused_business_seconds",
    "first_response_paused_business_seconds",
)


def refresh(organisation: Organisation, *, full: bool = False) -> int:
    """Recompute the facts of conversations changed since the last refresh; return how many."""
    started = timezone.now()
    if not full and not maybe_changed(organisation):
        # Nothing to do: answer without taking the write lock (dashboards call this on every view).
        return 0
    with transaction.atomic():
        state, _ = FactState.objects.select_for_update().get_or_create(organisation=organisation)
        since = None if full else state.refreshed_until
        ids = _changed_ids(organisation, since)
        clocks = _Clocks(organisation) if ids else None
        # The daily rollups are cut into local days: rebuilt whole when first built, on
        # a full refresh or in a new time zone, else only the days these changes touch.
        every_day = full or state.days_zone != organisation.time_zone
        days = daily.Days(organisation.zone)
        for offset in range(0, len(ids), CHUNK):
            _refresh_chunk(
                ids[offset : offset + CHUNK],
                clocks,  # type: ignore[arg-type]
                None if every_day else days,
            )
        daily.rebuild(organisation, organisation.zone, None if every_day else days.days)
        # A little overlap: a write that committed just before `started` with an
        # earlier timestamp is picked up again next time rather than missed.
        state.refreshed_until = started - dt.timedelta(seconds=5)
        state.days_zone = organisation.time_zone
        state.save(update_fields=["refreshed_until", "days_zone", "updated_at"])
    return len(ids)


def _changed_ids(organisation: Organisation, since: dt.datetime | None) -> list[int]:
    """Return the ids of the conversations written to or changed since `since` (all if None).

    Two range reads, one per index (conv_updated, conv_recent), rather than one query
    with an OR, which the databases answer by reading every conversation of the
    organisation.
    """
    conversations = Conversation.objects.filter(organisation=organisation).order_by()
    if since is None:
        return list(conversations.values_list("id", flat=True))
    ids = set(conversations.filter(updated_at__gte=since).values_list("id", flat=True))
    ids.update(conversations.filter(last_message_at__gte=since).values_list("id", flat=True))
    return sorted(ids)


def maybe_changed(organisation: Organisation) -> bool:
    """Return whether any conversation may have changed since the last refresh.

    Two indexed look-ups: new messages move `last_message_at`, anything else `updated_at`.
    """
    state = FactState.objects.filter(organisation=organisation).first()
    if state is None or state.refreshed_until is None:
        return True
    if state.days_zone != organisation.time_zone:
        return True  # the daily rollups are not built, or not in this zone
    since = state.refreshed_until
    conversations = Conversation.objects.filter(organisation=organisation)
    return (
        conversations.filter(last_message_at__gte=since).exists()
        or conversations.filter(updated_at__gte=since).exists()
    )


# A dashboard view checks for changes at most this often per organisation; the
# worker refreshes every minute anyway, and the check scans the conversations.
FRESH_FOR_SECONDS = 60


def refresh_if_stale(organisation: Organisation) -> int:
    """Refresh unless this organisation's rollups were checked in the last minute."""
    key = f"insights:facts-checked:{organisation.pk}:{organisation.created_at.timestamp()}"
    if cache.get(key):
        return 0
    changed = refresh(organisation)
    cache.set(key, True, FRESH_FOR_SECONDS)
    return changed


def refresh_all() -> dict[str, int]:
    """Refresh every organisation's facts (the worker's periodic job)."""
    return {org.slug: refresh(org) for org in Organisation.objects.all()}


class _Clocks:
    """Each SLA policy's calendar and targets, loaded once per refresh."""

    def __init__(self, organisation: Organisation) -> None:
        policies = SlaPolicy.objects.filter(organisation=organisation).select_related("calendar")
        self.by_id = {policy.pk: Clock(policy) for policy in policies.prefetch_related("targets")}
        self.none = Clock(None)

    def get(self, policy_id: int | None) -> Clock:
        return self.by_id.get(policy_id, self.none) if policy_id else self.none


def _refresh_chunk(ids: list[int], clocks: _Clocks, days: daily.Days | None) -> None:
    """Recompute these conversations' rollups; note in `days` the local days they touch."""
    conversations = list(Conversation.objects.filter(id__in=ids).values(*_CONVERSATION_FIELDS))
    messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Message.objects.filter(conversation_id__in=ids)
        .exclude(direction=Direction.NOTE)
        .order_by("conversation_id", "created_at", "id")
        .values_list(
            "conversation_id", "direction", "created_at", "author_user_id", "delivery_status"
        )
    )
    for conversation_id, direction, created_at, author_id, delivery in rows:
        if days is not None and direction == Direction.INBOUND:
            days.add(created_at)  # the inbound messages of the day (DailyMentions)
        if direction == Direction.OUTBOUND and delivery in _NOT_SENT:
            continue
        messages[conversation_id].append(
            {"direction": direction, "at": created_at, "author": author_id}
        )
    conversation_facts: list[dict[str, Any]] = []
    response_facts: list[dict[str, Any]] = []
    for row in conversations:
        clock = clocks.get(row["sla_policy_id"])
        history = messages.get(row["id"], [])
        conversation_facts.append(_conversation_fact(row, clock, history))
        response_facts.extend(_response_facts(row, clock, history))
    if days is not None:
        daily.touched_by_facts(days, ids)
        daily.touched_by_new_facts(days, conversation_facts, response_facts)
    # Replace, not upsert: the refresh holds the organisation's FactState row, and
    # plain batched INSERTs are several times cheaper than bulk_create here.
    ResponseFact.objects.filter(conversation_id__in=ids).delete()
    ConversationFact.objects.filter(conversation_id__in=ids).delete()
    bulk.insert_values(ConversationFact, conversation_facts, read_ids=False)
    for start in range(0, len(response_facts), 1000):
        bulk.insert_values(ResponseFact, response_facts[start : start + 1000], read_ids=False)


def _seconds(clock: Clock, start: dt.datetime, end: dt.datetime | None) -> int | None:
    if end is None:
        return None
    if end <= start:
        return 0
    return int(business_time_between(clock.calendar, start, end).total_seconds())


def _paused(clock: Clock, row: dict[str, Any], until: dt.datetime, kept: int) -> int:
    """Return the business seconds paused before `until`: the pauses kept, and the running one."""
    paused_at = row["sla_paused_at"]
    if paused_at is None:
        return kept
    return kept + (_seconds(clock, paused_at, until) or 0)


def _first_response_seconds(clock: Clock, row: dict[str, Any], start: dt.datetime) -> int | None:
    """Business seconds from `start` to the inbox's first response, less the pauses before it."""
    responded_at = row["first_responded_at"]
    total = _seconds(clock, start, responded_at)
    if total is None:
        return None
    paused = _paused(clock, row, responded_at, row["first_response_paused_business_seconds"])
    return max(0, total - paused)


def _resolution_seconds(clock: Clock, row: dict[str, Any]) -> int | None:
    resolved_at = row["resolved_at"]
    total = _seconds(clock, row["created_at"], resolved_at)
    if total is None:
        return None
    return max(0, total - _paused(clock, row, resolved_at, row["sla_paused_business_seconds"]))


def _conversation_fact(
    row: dict[str, Any], clock: Clock, history: list[dict[str, Any]]
) -> dict[str, Any]:
    inbound = sum(1 for message in history if message["direction"] == Direction.INBOUND)
    return {
        "conversation_id": row["id"],
        "organisation_id": row["organisation_id"],
        "channel_id": row["channel_id"],
        "team_id": row["team_id"],
        "assignee_id": row["assignee_id"],
        "kind": row["kind"],
        "priority": row["priority"],
        "status": row["status"],
        "category": row["intent"],
        "opened_at": row["created_at"],
        "first_responded_at": row["first_responded_at"],
        "first_response_seconds": _first_response_seconds(clock, row, row["created_at"]),
        "resolved_at": row["resolved_at"],
        "resolution_due_at": row["resolution_due_at"],
        "resolution_seconds": _resolution_seconds(clock, row),
        "inbound_count": inbound,
        "outbound_count": len(history) - inbound,
    }


def _response_facts(
    row: dict[str, Any], clock: Clock, history: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    target = pick_target(clock.targets, priority=row["priority"], kind=row["kind"])
    next_minutes = target.next_response_minutes if target else None
    facts: list[dict[str, Any]] = []
    waiting_since: dt.datetime | None = None
    answered_once = False

    def wait(responded_at: dt.datetime | None, agent_id: int | None) -> dict[str, Any]:
        assert waiting_since is not None
        is_first = not answered_once
        business_seconds: int | None
        if is_first:
            customer_at = min(waiting_since, row["created_at"])
            if row["first_responded_at"] is not None:
                responded_at = row["first_responded_at"]
                business_seconds = _first_response_seconds(clock, row, customer_at)
            else:
                business_seconds = _seconds(clock, customer_at, responded_at)
            due_at = row["first_response_due_at"]
        else:
            customer_at = waiting_since
            due_at = (
                add_business_time(clock.calendar, customer_at, dt.timedelta(minutes=next_minutes))
                if next_minutes is not None
                else None
            )
            business_seconds = _seconds(clock, customer_at, responded_at)
        return {
            "organisation_id": row["organisation_id"],
            "conversation_id": row["id"],
            "channel_id": row["channel_id"],
            "team_id": row["team_id"],
            "agent_id": agent_id,
            "is_first": is_first,
            "customer_at": customer_at,
            "responded_at": responded_at,
            "due_at": due_at,
            "business_seconds": business_seconds,
        }

    for message in history:
        if message["direction"] == Direction.INBOUND:
            if waiting_since is None:
                waiting_since = message["at"]
        elif waiting_since is not None:
            facts.append(wait(message["at"], message["author"]))
            waiting_since = None
            answered_once = True
        else:
            # We wrote first (an outbound conversation): later customer messages are next waits.
            answered_once = True
    if waiting_since is not None:
        facts.append(wait(None, None))
    return facts


# --- the worker's periodic job ---------------------------------------------------------------


@task()
def refresh_facts() -> dict[str, int]:
    """Bring every organisation's service rollups up to date (conversations recomputed)."""
    return refresh_all()


every(dt.timedelta(minutes=1), refresh_facts)
