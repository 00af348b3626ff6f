"""Background work of the inbox: service-standard warnings and breaches, snoozes."""

from __future__ import annotations

import datetime as dt

from rapport.inbox import timers
from rapport.jobs.scheduler import every
from rapport.lib.tasks import task


@task()
def check_timers() -> dict[str, int]:
    """Warn before service-standard breaches, record breaches, escalate, wake snoozes."""
    return timers.check()


every(dt.timedelta(minutes=1), check_timers)
