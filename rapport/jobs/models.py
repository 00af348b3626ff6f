"""When each periodic job last ran and is next due."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ScheduledJob(models.Model):
    """One row per periodic job; workers claim a run by moving `next_run_at` forward."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_claimed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M:%S})"

    def is_due(self, now: object) -> bool:
        return bool(self.next_run_at <= now)  # type: ignore[operator]
