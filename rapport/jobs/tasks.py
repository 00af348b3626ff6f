"""Housekeeping that every installation needs, run by the scheduler."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from rapport.jobs.scheduler import every
from rapport.lib.tasks import task


@task()
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@task()
def prune_task_results() -> None:
    # Keep finished job results for a week: long enough to look into a failure.
    call_command("prune_db_task_results", min_age_days=7, verbosity=0)


@task()
def prune_login_attempts() -> None:
    call_command("axes_reset_logs", age=30)


every(dt.timedelta(hours=6), clear_expired_sessions)
every(dt.timedelta(hours=12), prune_task_results)
every(dt.timedelta(days=1), prune_login_attempts)
