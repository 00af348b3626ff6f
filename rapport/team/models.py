"""Staff skills, languages, capacity and availability: what routing matches work to."""

from __future__ import annotations

from django.db import models

from rapport.accounts.models import Organisation, TimeStamped, User


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy (no new work)"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class StaffProfile(TimeStamped):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_profile")
    availability = models.CharField(
        max_length=12, choices=Availability.choices, default=Availability.AVAILABLE
    )
    # How many open conversations this person can hold at once.
    capacity = models.PositiveSmallIntegerField(default=20)
    languages = models.JSONField(default=list, blank=True)
    # Round-robin picks the eligible agent assigned longest ago.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user"]

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class Skill(TimeStamped):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="skill_unique")
        ]

    def __str__(self) -> str:
        return self.name


class StaffSkill(TimeStamped):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    # 1 (learning) to 5 (expert).
    proficiency = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["skill", "-proficiency"]
        constraints = [models.UniqueConstraint(fields=["user", "skill"], name="staff_skill_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.skill_id} {self.proficiency}"
