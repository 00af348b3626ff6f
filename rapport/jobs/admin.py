from django.contrib import admin

from rapport.jobs.models import ScheduledJob


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin[ScheduledJob]):
    list_display = ("name", "next_run_at", "last_run_at", "last_claimed_by")
