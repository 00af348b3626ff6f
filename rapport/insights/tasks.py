"""Background work of insights: the monthly report goes out by email; quiet alerts close."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.insights import alerts, report, services
from rapport.insights.models import ReportRecipient
from rapport.jobs.scheduler import every
from rapport.lib.tasks import task


def due_mailings(now: dt.datetime | None = None) -> dict[int, str]:
    """Mail last month's report to every organisation with recipients; return the outcomes.

    Runs several times a day; the first run after the 1st (in each organisation's time
    zone) sends, the others find the month already claimed and send nothing.
    """
    now = now or timezone.now()
    outcomes = {}
    with_recipients = ReportRecipient.objects.values("organisation_id").distinct()
    for organisation in Organisation.objects.filter(pk__in=with_recipients):
        today = now.astimezone(organisation.zone).date()
        month = report.previous_month(today.replace(day=1))
        outcomes[organisation.pk] = services.mail_monthly_report(organisation, month, now=now)
    return outcomes


@task()
def mail_monthly_reports() -> dict[int, str]:
    return due_mailings()


every(dt.timedelta(hours=1), mail_monthly_reports)


@task()
def close_quiet_alerts() -> int:
    """Close brand-risk alerts whose stream has gone quiet (see alerts.close_quiet_alerts)."""
    return alerts.close_quiet_alerts()


# Alerts close QUIET (two hours) after their last signal; a few minutes late is fine.
every(dt.timedelta(minutes=5), close_quiet_alerts)
