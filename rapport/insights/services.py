"""State changes of insights: acknowledging alerts, deciding recommendations, report mailing."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts import audit
from rapport.accounts.models import Organisation, User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.insights.models import (
    Alert,
    Recommendation,
    RecommendationStatus,
    ReportMailing,
    ReportRecipient,
)
from rapport.insights.recommendations import Finding
from rapport.lib.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

MAX_NOTE = 2000


# --- Alerts ---------------------------------------------------------------------------------


def acknowledge_alert(actor: User, alert: Alert, *, action_taken: str) -> Alert:
    """Record who acknowledged a brand-risk alert and what was done about it."""
    require(actor, Cap.ALERTS_HANDLE)
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise DomainError("Say what was done (or is being done) about it.", code="note_required")
    if len(action_taken) > MAX_NOTE:
        raise DomainError(f"Keep the note under {MAX_NOTE} characters.", code="note_too_long")
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise Conflict(
                f"Already acknowledged by {locked.acknowledged_by or 'someone'}.",
                code="already_acknowledged",
            )
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.action_taken = action_taken
        locked.save(
            update_fields=["acknowledged_by", "acknowledged_at", "action_taken", "updated_at"]
        )
        audit.record(actor, "alert.acknowledged", locked, changes={"action_taken": action_taken})
    return locked


# --- Recommendations ------------------------------------------------------------------------


def record_recommendations(
    organisation: Organisation, month: dt.date, findings: Sequence[Finding]
) -> list[Recommendation]:
    """Record a month's findings; keep every decision already taken.

    A finding seen again refreshes its proposal (the data may have grown); a
    proposal whose finding no longer holds is withdrawn; accepted and dismissed
    ones stay as they were decided.
    """
    with transaction.atomic():
        existing = {
            (r.rule, r.key): r
            for r in Recommendation.objects.select_for_update().filter(
                organisation=organisation, month=month
            )
        }
        seen = set()
        for finding in findings:
            key = (finding.rule, finding.key[:120])
            seen.add(key)
            found = existing.get(key)
            fields = {
                "title": finding.title[:300],
                "action": finding.action,
                "owner": finding.owner[:60],
                "evidence": finding.evidence,
            }
            if found is None:
                existing[key] = Recommendation.objects.create(
                    organisation=organisation,
                    month=month,
                    rule=finding.rule,
                    key=key[1],
                    **fields,
                )
            elif found.status == RecommendationStatus.PROPOSED:
                for name, value in fields.items():
                    setattr(found, name, value)
                found.save(update_fields=[*fields, "updated_at"])
        stale = [
            r.pk
            for key, r in existing.items()
            if key not in seen and r.status == RecommendationStatus.PROPOSED
        ]
        Recommendation.objects.filter(pk__in=stale).delete()
    order = {(f.rule, f.key[:120]): index for index, f in enumerate(findings)}
    kept = [r for key, r in existing.items() if r.pk not in stale]
    return sorted(kept, key=lambda r: order.get((r.rule, r.key), len(order)))


def decide_recommendation(
    actor: User, recommendation: Recommendation, *, status: str, note: str = ""
) -> Recommendation:
    """Accept or dismiss a recommendation (or put it back to proposed), with a note."""
    require(actor, Cap.REPORTS_MANAGE)
    if status not in RecommendationStatus.values:
        raise DomainError("Choose accepted, dismissed or proposed.", code="bad_status")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(f"Keep the note under {MAX_NOTE} characters.", code="note_too_long")
    with transaction.atomic():
        locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        before = locked.status
        locked.status = status
        locked.decision_note = note
        if status == RecommendationStatus.PROPOSED:
            locked.decided_by, locked.decided_at = None, None
        else:
            locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(
            update_fields=["status", "decision_note", "decided_by", "decided_at", "updated_at"]
        )
        audit.record(
            actor,
            f"recommendation.{status}",
            locked,
            changes={"status": [before, status], "note": note},
        )
    return locked


# --- Report recipients and mailing ----------------------------------------------------------


def add_report_recipient(actor: User, *, email: str, name: str = "") -> ReportRecipient:
    """Add someone who gets the monthly report by email."""
    require(actor, Cap.REPORTS_MANAGE)
    email = (email or "").strip().lower()
    try:
        with transaction.atomic():
            recipient = ReportRecipient.objects.create(
                organisation=actor.organisation,
                email=email,
                name=name.strip()[:100],
                added_by=actor,
            )
            audit.record(actor, "report_recipient.added", recipient, changes={"email": email})
    except IntegrityError:
        raise Conflict(f"{email} already gets the report.", code="duplicate") from None
    return recipient


def remove_report_recipient(actor: User, recipient: ReportRecipient) -> None:
    require(actor, Cap.REPORTS_MANAGE)
    with transaction.atomic():
        audit.record(
            actor, "report_recipient.removed", recipient, changes={"email": recipient.email}
        )
        recipient.delete()


def mail_monthly_report(
    organisation: Organisation, month: dt.date, *, now: dt.datetime | None = None
) -> str:
    """Mail one month's report to the organisation's recipients, once; return what happened.

    The ReportMailing row is the claim: a second worker (or a second run) finds it
    and sends nothing. A failed send is recorded and left for a person to retry.
    """
    from rapport.insights import report

    emails = list(
        ReportRecipient.objects.filter(organisation=organisation).values_list("email", flat=True)
    )
    if not emails:
        return "no_recipients"
    try:
        with transaction.atomic():
            mailing = ReportMailing.objects.create(
                organisation=organisation, month=month, recipients=emails
            )
    except IntegrityError:
        return "already_sent"
    built = report.build(organisation, month)
    html = report.render_html(built)
    try:
        pdf = report.render_pdf(built)
        message = EmailMultiAlternatives(
            subject=built.title,
            body=_plain_summary(built),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=emails,
        )
        message.attach_alternative(html, "text/html")
        message.attach(report.filename(built, "pdf"), pdf, "application/pdf")
        message.send()
    except Exception as error:
        logger.exception("the monthly report of %s could not be mailed", organisation.pk)
        mailing.error = str(error)[:2000]
        mailing.save(update_fields=["error", "updated_at"])
        return "failed"
    mailing.sent_at = now or timezone.now()
    mailing.save(update_fields=["sent_at", "updated_at"])
    return "sent"


def _plain_summary(built: object) -> str:
    from rapport.insights.report import MonthlyReport

    assert isinstance(built, MonthlyReport)
    lines = [built.title, "", "Key figures:"]
    lines += [
        f"  {f.label}: {f.value} (previous month {f.previous}, {f.verdict})"
        for f in built.key_figures
    ]
    lines += ["", "Recommendations:"]
    lines += [f"  - {r.title}. {r.action} ({r.owner})" for r in built.recommendations] or [
        "  none this month"
    ]
    lines += ["", "The full report with charts is attached as a PDF and shown below in HTML."]
    return "\n".join(lines)
