"""Tokens in the admin: to look at, never to edit (they change through openpoam.api.tokens)."""

from django.contrib import admin

from openpoam.api.models import ApiToken


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly):
    list_display = ("name", "prefix", "user", "organization", "read_only", "created_at",
                    "last_used_at", "revoked_at")
    list_filter = ("organization", "read_only")
    exclude = ("digest",)
