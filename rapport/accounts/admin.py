from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rapport.accounts.models import ApiToken, AuditEntry, Organisation, Team, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "slug", "time_zone")


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ("email", "full_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "organisation")
    search_fields = ("email", "full_name")
    exclude = ("password", "user_permissions", "groups")
    readonly_fields = ("last_login",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "organisation")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "user", "prefix", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "last_used_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: audit entries are never changed or deleted."""

    list_display = ("created_at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
