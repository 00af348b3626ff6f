"""The periodic scheduler that runs inside every `rapport worker`.

Apps register periodic jobs with `every(...)`. Each worker ticks the schedule;
a run is claimed with a conditional UPDATE on the job's row that only one
worker can win, so several workers never enqueue the same run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from rapport.jobs.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    interval: dt.timedelta
    task: Any  # a django.tasks Task


REGISTRY: dict[str, Periodic] = {}


def every(interval: dt.timedelta, task: Any, *, name: str | None = None) -> Periodic:
    """Register `task` to be enqueued once per `interval` across all workers."""
    job = Periodic(name or task.name, interval, task)
    REGISTRY[job.name] = job
    return job


def tick(worker_id: str, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due and that this worker wins; return their names."""
    now = now or timezone.now()
    enqueued = []
    for job in REGISTRY.values():
        row = _row(job.name, now)
        if not row.is_due(now):
            continue
        with transaction.atomic():
            won = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
                next_run_at=now + job.interval, last_run_at=now, last_claimed_by=worker_id
            )
            if won != 1:
                # Another worker claimed this run between our read and our update.
                continue
            job.task.enqueue()
        enqueued.append(job.name)
    return enqueued


def _row(name: str, now: dt.datetime) -> ScheduledJob:
    try:
        return ScheduledJob.objects.get(name=name)
    except ScheduledJob.DoesNotExist:
        try:
            with transaction.atomic():
                return ScheduledJob.objects.create(name=name, next_run_at=now)
        except IntegrityError:
            return ScheduledJob.objects.get(name=name)


class SchedulerThread(threading.Thread):
    """Tick the schedule every `period` seconds until stopped."""

    def __init__(self, worker_id: str, period: float = 15.0) -> None:
        super().__init__(name="rapport-scheduler", daemon=True)
        self.worker_id = worker_id
        self.period = period
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                names = tick(self.worker_id)
                if names:
                    logger.info("Enqueued periodic jobs: %s", ", ".join(names))
            except Exception:
                # A database hiccup must not kill the scheduler; try again next period.
                logger.exception("Scheduler tick failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.period)

    def stop(self) -> None:
        self.stopped.set()
