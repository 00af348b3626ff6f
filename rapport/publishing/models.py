"""Publishing: campaigns, the asset library, posts with a variant per account, and their metrics.

A post is written once and goes out as one variant per selected account
(a channel of a social kind). The post carries the review status; each variant
carries its own sending status, because one account can fail while another
succeeds. Metrics are time series samples, collected by the worker.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from rapport.accounts.models import Organisation, TimeStamped, User
from rapport.channels.models import Channel


class CampaignKind(models.TextChoices):
    PROMOTION = "promotion", "Product promotion"
    OFFER = "offer", "Special offer"
    EVENT = "event", "Event"
    UGC = "ugc", "User-generated content"
    AWARENESS = "awareness", "Awareness"


class Campaign(TimeStamped):
    """A group of posts and calendar entries working towards one goal."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=CampaignKind.choices)
    goal = models.TextField(blank=True, help_text="What success looks like, in words")
    # A measurable target, e.g. metric "engagement" and 500, or "ugc_items" and 40.
    goal_metric = models.CharField(max_length=40, blank=True)
    goal_target = models.FloatField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    # Offers and competitions must publish their terms; compliance checks look for them.
    terms = models.TextField(blank=True)
    terms_url = models.URLField(max_length=500, blank=True)
    # UGC campaigns listen for this hashtag (without '#').
    hashtag = models.CharField(max_length=100, blank=True)
    colour = models.CharField(max_length=7, default="#4f6bed")
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="publishing_campaign_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="publishing_campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_terms(self) -> bool:
        return self.kind in (CampaignKind.OFFER, CampaignKind.PROMOTION)

    def is_running(self, on: dt.date) -> bool:
        return (self.starts_on is None or self.starts_on <= on) and (
            self.ends_on is None or on <= self.ends_on
        )


class AssetKind(models.TextChoices):
    IMAGE = "image", "Image"
    TEXT = "text", "Text"
    PDF = "pdf", "PDF"
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"
    LINK = "link", "Link"


class AssetSource(models.TextChoices):
    OWN = "own", "Our own"
    LICENSED = "licensed", "Licensed"
    UGC = "ugc", "User-generated, with permission"
    CREATIVE_COMMONS = "cc", "Creative Commons"


class Asset(TimeStamped):
    """A piece of content in the library, with where it came from and what we may do with it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=10, choices=AssetKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    alt_text = models.CharField(max_length=1000, blank=True)
    tags = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An upload (file) or a link (url); text assets may keep their body in `body`.
    file = models.FileField(upload_to="assets/%Y/%m/", blank=True)
    thumbnail = models.FileField(upload_to="assets/thumbs/%Y/%m/", blank=True)
    url = models.URLField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=AssetSource.choices, default=AssetSource.OWN)
    # The exact licence, e.g. "CC BY-SA 4.0" or the stock library's licence name.
    licence = models.CharField(max_length=200, blank=True)
    licence_url = models.URLField(max_length=500, blank=True)
    licence_expires_on = models.DateField(null=True, blank=True)
    attribution_required = models.BooleanField(default=False)
    attribution_text = models.CharField(max_length=500, blank=True)
    # User-generated content: the creator's permission, recorded before any reuse.
    creator_handle = models.CharField(max_length=200, blank=True)
    permission_granted_on = models.DateField(null=True, blank=True)
    permission_recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "kind", "-created_at"]),
            models.Index(fields=["organisation", "licence_expires_on"]),
        ]

    def __str__(self) -> str:
        return self.title

    def licence_expired(self, on: dt.date) -> bool:
        return self.licence_expires_on is not None and self.licence_expires_on < on


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Post(TimeStamped):
    """One piece of content, written once, sent as one variant per selected account."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200, blank=True, help_text="For the team, not published")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    status = models.CharField(max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT)
    # When it should go out (None: not yet scheduled).
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # The first variant's publication time, for the calendar and reports.
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every content edit, so an approval is tied to the version it approved.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "scheduled_at"]),
            models.Index(fields=["status", "scheduled_at"]),
            models.Index(fields=["organisation", "published_at"]),
        ]

    def __str__(self) -> str:
        return self.title or f"Post {self.public_id}"

    def is_due(self, now: dt.datetime) -> bool:
        return (
            self.status == PostStatus.SCHEDULED
            and self.scheduled_at is not None
            and self.scheduled_at <= now
        )


class VariantStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class PostVariant(TimeStamped):
    """The post as it goes to one account: its own text, media, link and sending state."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="post_variants")
    text = models.TextField()
    link = models.URLField(max_length=1000, blank=True)
    # Posted as the first reply where the platform threads (Mastodon, Bluesky).
    first_comment = models.TextField(blank=True)
    assets = models.ManyToManyField(Asset, blank=True, related_name="variants")
    status = models.CharField(
        max_length=10, choices=VariantStatus.choices, default=VariantStatus.PENDING
    )
    # Sent with every attempt: the platform posts once per key, so a retry never doubles.
    idempotency_key = models.CharField(max_length=64, default="", blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when an attempt's outcome is unknown (timeout): reconcile before posting again.
    outcome_unknown = models.BooleanField(default=False)
    last_error = models.CharField(max_length=500, blank=True)
    external_id = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "channel"], name="publishing_variant_one_per_account"
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "published_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.post} on {self.channel_id}"


class PostTransition(models.Model):
    """One change of a post's status: who, when, why. Never edited."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=PostStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PostStatus.choices)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["post_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class PostMetricSample(models.Model):
    """Engagement of one published variant at one moment; a time series, appended by the worker."""

    variant = models.ForeignKey(PostVariant, on_delete=models.CASCADE, related_name="metrics")
    collected_at = models.DateTimeField()
    favourites = models.PositiveIntegerField(default=0)
    boosts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    # Only where the platform gives them.
    impressions = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["variant_id", "collected_at"]
        indexes = [models.Index(fields=["variant", "collected_at"])]

    def __str__(self) -> str:
        return f"{self.variant_id} at {self.collected_at:%Y-%m-%d %H:%M}"

    @property
    def engagement(self) -> int:
        return self.favourites + self.boosts + self.replies


class AccountMetricSample(models.Model):
    """An account's audience at one moment (followers over time)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="metric_samples")
    collected_at = models.DateTimeField()
    followers = models.PositiveIntegerField()
    following = models.PositiveIntegerField(null=True, blank=True)
    posts_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["channel_id", "collected_at"]
        indexes = [models.Index(fields=["channel", "collected_at"])]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.followers} at {self.collected_at:%Y-%m-%d}"


# --- Platform research, calendar entries and feed tokens (asset library, research, calendar) ---


class Aspect(models.TextChoices):
    AUDIENCE = "audience", "Audience"
    FEATURES = "features", "Key features and uses"
    REACH = "reach", "Reach"
    BUSINESS_FIT = "business_fit", "Fit with business activity"
    USABILITY = "usability", "Usability"
    PRIVACY = "privacy", "Privacy and security"
    COSTS = "costs", "Costs"


class PlatformProfile(TimeStamped):
    """One social platform as the team understands it; its facts carry sources and dates."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="platform_profiles"
    )
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    summary = models.TextField(blank=True)
    website = models.URLField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="publishing_platform_unique_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlatformFact(TimeStamped):
    """One dated, sourced statement about a platform on one aspect."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(PlatformProfile, on_delete=models.CASCADE, related_name="facts")
    aspect = models.CharField(max_length=20, choices=Aspect.choices)
    text = models.TextField()
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    # The date the statement was true (a fact about reach ages; this says how much).
    as_of = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["platform_id", "aspect", "id"]
        indexes = [models.Index(fields=["platform", "aspect"])]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.aspect}: {self.text[:40]}"


class PlatformResearch(TimeStamped):
    """A team's comparison of platforms against its brand and target customer."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="platform_research"
    )
    title = models.CharField(max_length=200)
    brand = models.TextField(help_text="The brand: voice, values, what it sells")
    target_customer = models.TextField(help_text="Who the customer is: age, place, habits")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class PlatformScore(TimeStamped):
    """How well one platform fits, scored 1 to 5 per criterion, within one research record."""

    research = models.ForeignKey(PlatformResearch, on_delete=models.CASCADE, related_name="scores")
    platform = models.ForeignKey(PlatformProfile, on_delete=models.CASCADE, related_name="+")
    audience_fit = models.PositiveSmallIntegerField()
    business_fit = models.PositiveSmallIntegerField()
    usability = models.PositiveSmallIntegerField()
    privacy = models.PositiveSmallIntegerField()
    cost = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True)
    scored_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["research_id", "platform__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["research", "platform"], name="publishing_score_one_per_platform"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}: {self.total}"

    @property
    def total(self) -> int:
        return self.audience_fit + self.business_fit + self.usability + self.privacy + self.cost


class PlatformDecision(models.Model):
    """A team's choice to use a platform or not, with its reason. Appended, never edited.

    The latest decision per platform is the current selection; earlier ones are its history.
    """

    research = models.ForeignKey(
        PlatformResearch, on_delete=models.CASCADE, related_name="decisions"
    )
    platform = models.ForeignKey(PlatformProfile, on_delete=models.CASCADE, related_name="+")
    selected = models.BooleanField()
    reason = models.TextField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["research_id", "-decided_at", "-id"]
        indexes = [models.Index(fields=["research", "platform", "-decided_at"])]

    def __str__(self) -> str:
        return f"{self.platform_id}: {'use' if self.selected else 'skip'}"


class EntryKind(models.TextChoices):
    EVENT = "event", "Key event"
    PROMOTION = "promotion", "Promotion"
    MILESTONE = "milestone", "Milestone"
    DATE = "date", "Relevant date"
    RELEASE = "release", "Content for release"


class CalendarEntry(TimeStamped):
    """Something on the content calendar that is not itself a post."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="calendar_entries"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    # None: a point in time (or a single day when all_day).
    ends_at = models.DateTimeField(null=True, blank=True)
    all_day = models.BooleanField(default=False)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Blank: the campaign's colour, or the kind's.
    colour = models.CharField(max_length=7, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["organisation", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="publishing_entry_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeedToken(models.Model):
    """A person's secret for the iCalendar feed URL. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"feed token of {self.user_id}"


# --- Posts backend: approvals, compliance policy, queue slots, UGC, profile versions ---------


class ApprovalRule(TimeStamped):
    """Who must approve posts to one account before they can be scheduled.

    An approver counts when their role is `approver_role` (blank: any role with
    the approve capability) or when they are named in `approvers`. With no
    rule, an account's posts need no approval.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="approval_rules"
    )
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="approval_rule")
    approvals_required = models.PositiveSmallIntegerField(default=1)
    approver_role = models.CharField(max_length=20, blank=True)
    approvers = models.ManyToManyField(User, blank=True, related_name="+")

    class Meta:
        ordering = ["channel_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approvals_required__gte=1),
                name="publishing_approvalrule_at_least_one",
            )
        ]

    def __str__(self) -> str:
        return f"{self.approvals_required} approval(s) for {self.channel_id}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approved"
    REQUEST_CHANGES = "request_changes", "Changes requested"
    COMMENT = "comment", "Commented"


class PostReview(models.Model):
    """One reviewer's word on one revision of a post."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    note = models.TextField(blank=True)
    # The post revision reviewed: an approval counts only for the revision it saw.
    revision = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["post_id", "created_at", "id"]
        indexes = [models.Index(fields=["post", "revision", "decision"])]

    def __str__(self) -> str:
        return f"{self.decision} on {self.post_id} r{self.revision}"


class ComplianceOverride(models.Model):
    """A manager's decision to schedule a post despite blocking findings, with the reason."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="overrides")
    revision = models.PositiveIntegerField()
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    findings = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["post_id", "created_at"]

    def __str__(self) -> str:
        return f"override on {self.post_id} r{self.revision}"


class BannedWord(TimeStamped):
    """A word or phrase the organisation's social media policy forbids in public text."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="banned_words"
    )
    word = models.CharField(max_length=100)
    reason = models.CharField(max_length=300, blank=True)
    # Blocking stops scheduling; a warning is shown and may be ignored.
    blocking = models.BooleanField(default=True)

    class Meta:
        ordering = ["word"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "word"], name="publishing_bannedword_unique"
            )
        ]

    def __str__(self) -> str:
        return self.word


class QueueSlot(TimeStamped):
    """A "best time" for one account: weekday and local time when queued posts go out."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday")
    time = models.TimeField(help_text="In the organisation's time zone")

    class Meta:
        ordering = ["channel_id", "weekday", "time"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "weekday", "time"], name="publishing_queueslot_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="publishing_queueslot_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: day {self.weekday} at {self.time:%H:%M}"


class UgcStatus(models.TextChoices):
    NEW = "new", "New"
    PERMISSION_GRANTED = "permitted", "Permission granted"
    REJECTED = "rejected", "Not used"


class UgcItem(TimeStamped):
    """A public post found under a UGC campaign's hashtag, for the gallery and possible reuse."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="ugc_items")
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    platform = models.CharField(max_length=20)
    external_id = models.CharField(max_length=500)
    author_handle = models.CharField(max_length=200)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    # [{"url": ..., "mime_type": ..., "description": ...}] as the platform gave them.
    media = models.JSONField(default=list, blank=True)
    posted_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=UgcStatus.choices, default=UgcStatus.NEW)
    # The library asset made once the creator's permission was recorded.
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="ugc_items"
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "platform", "external_id"], name="publishing_ugc_unique"
            )
        ]

    def __str__(self) -> str:
        return f"@{self.author_handle}: {self.text[:40]}"


class ProfileVersion(TimeStamped):
    """One recorded look of an account: display name, bio, avatar, header and links."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="profile_versions")
    number = models.PositiveIntegerField()
    display_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(blank=True)
    avatar = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    header = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [{"name": "Shop", "url": "https://..."}]
    links = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    apply_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["channel_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "number"], name="publishing_profileversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} v{self.number}"
