"""The simulated social network: accounts, statuses, notifications, and the scenario clock.

Ids on the sandbox's API are these tables' integer keys written as strings,
as Mastodon's are: paging with max_id / since_id / min_id depends on ids
growing with time. The sandbox is a simulation with no personal data, which is
why it does not use the unguessable public ids of the product's own models.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SandboxAccount(TimeStamped):
    """A user of the sandbox network: the brand, or a simulated (or test) customer."""

    username = models.CharField(max_length=30, unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)  # the bio, as plain text
    is_brand = models.BooleanField(default=False)
    bot = models.BooleanField(default=False)
    # sha256 of the bearer token; the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    avatar = models.ForeignKey(
        "SandboxMedia", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    header = models.ForeignKey(
        "SandboxMedia", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"@{self.username}"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"
    PRIVATE = "private", "Followers only"
    DIRECT = "direct", "Direct"


class SandboxStatus(TimeStamped):
    """A post, a reply, a direct message, or a boost (`reblog_of`) of another status."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="statuses")
    text = models.TextField(blank=True)  # as written, plain text; rendered to HTML on the way out
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # The first status of the thread (null on the root itself): one query loads a thread.
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reblog_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reblogs"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    language = models.CharField(max_length=8, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    mentions = models.ManyToManyField(SandboxAccount, blank=True, related_name="mentioned_in")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="sandbox_status_idempotency_per_account",
            )
        ]
        indexes = [models.Index(fields=["visibility", "id"], name="sandbox_status_vis_id")]

    def __str__(self) -> str:
        return f"{self.pk} by {self.account_id}: {self.text[:40]}"


class SandboxTag(models.Model):
    """A hashtag used in a status, lower-cased, for tag timelines and search."""

    status = models.ForeignKey(SandboxStatus, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-status_id"]
        indexes = [models.Index(fields=["name", "status"], name="sandbox_tag_name_status")]
        constraints = [
            models.UniqueConstraint(fields=["status", "name"], name="sandbox_tag_once_per_status")
        ]

    def __str__(self) -> str:
        return f"#{self.name}"


class SandboxFavourite(TimeStamped):
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(SandboxStatus, on_delete=models.CASCADE, related_name="favourites")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "status"], name="sandbox_favourite_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ♥ {self.status_id}"


class SandboxFollow(TimeStamped):
    follower = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="following")
    target = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="followers")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["follower", "target"], name="sandbox_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.target_id}"


class SandboxMedia(TimeStamped):
    """An uploaded image or video, kept in the database: the sandbox needs no file storage."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="media")
    status = models.ForeignKey(
        SandboxStatus,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media_attachments",
    )
    data = models.BinaryField()
    mime_type = models.CharField(max_length=100)  # sniffed from the bytes, never the name
    description = models.CharField(max_length=1500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"media {self.pk} ({self.mime_type})"


class NotificationType(models.TextChoices):
    MENTION = "mention", "Mention"
    FAVOURITE = "favourite", "Favourite"
    REBLOG = "reblog", "Boost"
    FOLLOW = "follow", "Follow"


class SandboxNotification(TimeStamped):
    account = models.ForeignKey(
        SandboxAccount, on_delete=models.CASCADE, related_name="notifications"
    )
    from_account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=20, choices=NotificationType.choices)
    status = models.ForeignKey(SandboxStatus, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "type", "id"], name="sandbox_notif_acct_type")]

    def __str__(self) -> str:
        return f"{self.type} for {self.account_id}"


class FaultKind(models.TextChoices):
    RATE_LIMITED = "rate_limited", "429 Too Many Requests"
    SERVER_ERROR = "server_error", "500 Internal Server Error"
    UNAVAILABLE = "unavailable", "503 Service Unavailable"
    UNAUTHORIZED = "unauthorized", "401 Unauthorized"


class SandboxFault(TimeStamped):
    """A switch that makes the next `remaining` API requests fail, for tests and drills."""

    kind = models.CharField(max_length=20, choices=FaultKind.choices)
    remaining = models.PositiveIntegerField(default=1)
    retry_after_seconds = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} x{self.remaining}"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class ScenarioRun(TimeStamped):
    """One playing of a scenario: its seed, the simulated clock, and how far it has got."""

    scenario = models.CharField(max_length=100, default="cafe")
    seed = models.BigIntegerField(default=1)
    speed = models.FloatField(default=20.0)  # simulated seconds per real second
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    brand = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="+")
    sim_started_at = models.DateTimeField()
    sim_now = models.DateTimeField()
    last_tick_at = models.DateTimeField(default=timezone.now)
    step = models.PositiveIntegerField(default=0)
    # The newest status already looked at for brand replies to react to.
    reacted_up_to = models.BigIntegerField(default=0)
    posts_made = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.scenario} (seed {self.seed}, {self.status})"


class SimulatedCustomer(TimeStamped):
    """A persona behind a sandbox account, with a mood that the brand's replies move."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="customers")
    account = models.OneToOneField(
        SandboxAccount, on_delete=models.CASCADE, related_name="simulated"
    )
    cast_index = models.PositiveIntegerField()
    persona = models.CharField(max_length=20)
    mood = models.IntegerField(default=0)  # -5 furious .. +5 delighted
    patience_minutes = models.FloatField(default=180)
    # The customer's latest post to the brand still without an answer.
    waiting_on = models.ForeignKey(
        SandboxStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waiting_since = models.DateTimeField(null=True, blank=True)  # simulated time
    issue = models.CharField(max_length=50, blank=True)  # what the customer last raised
    escalations = models.PositiveIntegerField(default=0)
    last_outcome = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["cast_index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "cast_index"], name="sandbox_cast_index_once")
        ]

    def __str__(self) -> str:
        return f"{self.persona} @{self.account_id}"
