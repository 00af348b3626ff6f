"""The sandbox's clock: the worker plays the running scenario forward every half minute."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from rapport.jobs.scheduler import every
from rapport.lib.tasks import task
from rapport.sandbox import services


@task()
def tick_sandbox() -> int:
    """Advance the running scenario, if any; return how many posts it made."""
    if not settings.RAPPORT_SANDBOX_ENABLED:
        return 0
    report = services.tick()
    return len(report.posts) if report else 0


every(dt.timedelta(seconds=30), tick_sandbox)
