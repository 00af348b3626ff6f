"""Django admin for publishing: for operators looking into data, not for daily work.

Posts change status only through the services (every transition is recorded),
so their status and sending fields are read-only here.
"""

from django.contrib import admin

from rapport.publishing.models import (
    ApprovalRule,
    Asset,
    BannedWord,
    Campaign,
    ComplianceOverride,
    Post,
    PostTransition,
    PostVariant,
    ProfileVersion,
    QueueSlot,
    UgcItem,
)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ("name", "organisation", "kind", "starts_on", "ends_on", "archived")
    list_filter = ("kind", "archived")
    search_fields = ("name", "hashtag")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin[Asset]):
    list_display = ("title", "organisation", "kind", "source", "licence_expires_on", "archived")
    list_filter = ("kind", "source", "archived")
    search_fields = ("title", "description")
    raw_id_fields = ("owner", "permission_recorded_by")


class PostVariantInline(admin.TabularInline[PostVariant, Post]):
    model = PostVariant
    extra = 0
    fields = ("channel", "text", "status", "attempts", "external_id", "published_at", "last_error")
    readonly_fields = ("status", "attempts", "external_id", "published_at", "last_error")


class PostTransitionInline(admin.TabularInline[PostTransition, Post]):
    model = PostTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "reason", "created_at")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    list_display = ("__str__", "organisation", "status", "scheduled_at", "published_at")
    list_filter = ("status",)
    search_fields = ("title", "variants__text")
    readonly_fields = ("status", "published_at", "revision")
    raw_id_fields = ("author", "campaign")
    inlines = (PostVariantInline, PostTransitionInline)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin[ApprovalRule]):
    list_display = ("channel", "organisation", "approvals_required", "approver_role")
    filter_horizontal = ("approvers",)


@admin.register(ComplianceOverride)
class ComplianceOverrideAdmin(admin.ModelAdmin[ComplianceOverride]):
    list_display = ("post", "revision", "actor", "created_at")
    readonly_fields = ("post", "revision", "actor", "reason", "findings", "created_at")


@admin.register(BannedWord)
class BannedWordAdmin(admin.ModelAdmin[BannedWord]):
    list_display = ("word", "organisation", "blocking", "reason")
    list_filter = ("blocking",)


@admin.register(QueueSlot)
class QueueSlotAdmin(admin.ModelAdmin[QueueSlot]):
    list_display = ("channel", "weekday", "time")


@admin.register(UgcItem)
class UgcItemAdmin(admin.ModelAdmin[UgcItem]):
    list_display = ("author_handle", "campaign", "platform", "status", "posted_at")
    list_filter = ("status", "platform")
    raw_id_fields = ("asset",)


@admin.register(ProfileVersion)
class ProfileVersionAdmin(admin.ModelAdmin[ProfileVersion]):
    list_display = ("channel", "number", "display_name", "applied_at")
    raw_id_fields = ("avatar", "header", "created_by")
