"""The scheduler's pass over service-standard timers.

`sla_warned_at` and `sla_breached_at` hold the due time that was warned about
or breached, so each running target raises one warning and one breach, and a
new target (the next response, say) raises its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from rapport.accounts import audit
from rapport.inbox import sla
from rapport.inbox.models import (
    ACTIVE_STATUSES,
    Conversation,
    EscalationAction,
    EscalationRule,
    Notification,
    Priority,
    SlaPolicy,
    Status,
)
from rapport.inbox.selectors import supervisors_for

BATCH = 500


def check(now: dt.datetime | None = None) -> dict[str, int]:
    """Raise due warnings and breaches, run escalation rules and wake snoozed conversations."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0, "woken": 0}
    for policy in SlaPolicy.objects.prefetch_related("escalations__team"):
        counts["warned"] += _warn(policy, now)
    counts["breached"] = _breach(now)
    counts["woken"] = _wake(now)
    return counts


def _running() -> Q:
    return Q(next_due_at__isnull=False, status__in=ACTIVE_STATUSES, sla_paused_at__isnull=True)


def _warn(policy: SlaPolicy, now: dt.datetime) -> int:
    horizon = now + dt.timedelta(minutes=policy.warn_before_minutes)
    due = Conversation.objects.filter(
        _running(), sla_policy=policy, next_due_at__gt=now, next_due_at__lte=horizon
    ).filter(Q(sla_warned_at__isnull=True) | ~Q(sla_warned_at=F("next_due_at")))
    rules = [rule for rule in policy.escalations.all() if rule.on_warning]
    done = 0
    for conversation in due.select_related("team")[:BATCH]:
        with transaction.atomic():
            won = Conversation.objects.filter(
                pk=conversation.pk, next_due_at=conversation.next_due_at
            ).update(sla_warned_at=conversation.next_due_at)
            if won != 1:
                continue  # It changed (a reply, another worker) since we read it.
            minutes = int((conversation.next_due_at - now).total_seconds() // 60)  # type: ignore[operator]
            _notify(
                _owners(conversation),
                conversation,
                "sla_warning",
                f"#{conversation.pk} is due in {minutes} min",
                now,
            )
            _escalate(conversation, rules, now)
        done += 1
    return done


def _breach(now: dt.datetime) -> int:
    due = Conversation.objects.filter(_running(), next_due_at__lte=now).filter(
        Q(sla_breached_at__isnull=True) | ~Q(sla_breached_at=F("next_due_at"))
    )
    done = 0
    rules_by_policy: dict[int, list[EscalationRule]] = {}
    for conversation in due.select_related("team")[:BATCH]:
        with transaction.atomic():
            won = Conversation.objects.filter(
                pk=conversation.pk, next_due_at=conversation.next_due_at
            ).update(sla_breached_at=conversation.next_due_at)
            if won != 1:
                continue
            text = f"#{conversation.pk} breached its service standard"
            _notify(
                _supervisors(conversation) + _owners(conversation),
                conversation,
                "sla_breach",
                text,
                now,
            )
            if conversation.sla_policy_id:
                if conversation.sla_policy_id not in rules_by_policy:
                    rules_by_policy[conversation.sla_policy_id] = list(
                        EscalationRule.objects.filter(
                            policy_id=conversation.sla_policy_id, on_warning=False
                        ).select_related("team")
                    )
                _escalate(conversation, rules_by_policy[conversation.sla_policy_id], now)
            audit.record(
                None,
                "conversation.sla_breach",
                conversation,
                changes={"due_at": [None, conversation.next_due_at]},
            )
        done += 1
    return done


def _wake(now: dt.datetime) -> int:
    woken = 0
    snoozed = Conversation.objects.filter(status=Status.ON_HOLD, snoozed_until__lte=now)
    for conversation in snoozed[:BATCH]:
        with transaction.atomic():
            won = Conversation.objects.filter(
                pk=conversation.pk, status=Status.ON_HOLD, snoozed_until=conversation.snoozed_until
            ).update(status=Status.OPEN, snoozed_until=None)
            if won == 1:
                conversation.status = Status.OPEN
                sla.refresh_next_due(conversation)
                Conversation.objects.filter(pk=conversation.pk).update(
                    next_due_at=conversation.next_due_at
                )
                if conversation.assignee_id:
                    _notify(
                        [conversation.assignee_id],
                        conversation,
                        "snooze_over",
                        f"#{conversation.pk} is back from snooze",
                        now,
                    )
                woken += 1
    return woken


def _escalate(
    conversation: Conversation, rules: Iterable[EscalationRule], now: dt.datetime
) -> None:
    updates: dict[str, object] = {}
    for rule in rules:
        if rule.action == EscalationAction.BUMP_PRIORITY:
            updates["priority"] = min(Priority.URGENT, conversation.priority + 1)
        elif rule.action == EscalationAction.ASSIGN_TEAM and rule.team_id:
            updates["team_id"] = rule.team_id
            updates["assignee_id"] = None
        elif rule.action == EscalationAction.NOTIFY_SUPERVISORS:
            _notify(
                _supervisors(conversation),
                conversation,
                "escalation",
                f"#{conversation.pk} was escalated by its service standard",
                now,
            )
    if updates:
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        audit.record(
            None,
            "conversation.escalate",
            conversation,
            changes={key: [None, value] for key, value in updates.items()},
        )


def _owners(conversation: Conversation) -> list[int]:
    return [conversation.assignee_id] if conversation.assignee_id else _supervisors(conversation)


def _supervisors(conversation: Conversation) -> list[int]:
    return [user.pk for user in supervisors_for(conversation.organisation_id, conversation.team_id)]


def _notify(
    user_ids: Iterable[int], conversation: Conversation, kind: str, text: str, now: dt.datetime
) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid, conversation=conversation, kind=kind, text=text, created_at=now
            )
            for uid in dict.fromkeys(user_ids)
        ]
    )
