"""Admin: read-only for every audited model. Changes go through the services (the app's
pages and the command line), which check the role and write the audit record in the same
transaction; an admin form would do neither."""

from django.contrib import admin

from openpoam.tracker import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "require_mfa", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(models.System)
class SystemAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "framework", "designation", "auto_close"]
    list_filter = ["framework", "designation"]


@admin.register(models.Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "email", "user"]
    list_filter = ["organization"]


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["organization", "role"]


@admin.register(models.PoamItem)
class PoamItemAdmin(ReadOnlyAdmin):
    list_display = ["poam_id", "title", "system", "status", "original_risk", "scheduled_completion"]
    list_filter = ["status", "original_risk", "system"]
    search_fields = ["poam_id", "title"]


@admin.register(models.ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "organization", "entity", "entity_ref", "poam_id",
                    "action", "field", "old_value", "new_value", "sequence"]
    list_filter = ["action", "entity"]
    search_fields = ["poam_id", "entity_ref", "actor_name", "justification"]


@admin.register(models.ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "system", "file_name", "format", "new", "updated", "closed"]
