"""Admin: organizations, systems, people and members are edited here; POA&M items,
milestones, evidence and history are read-only, because their changes must go
through the services that record history."""

from django.contrib import admin

from openpoam.tracker import models


@admin.register(models.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(models.System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "framework", "designation", "auto_close"]
    list_filter = ["framework", "designation"]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "email", "user"]
    list_filter = ["organization"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["organization", "role"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.PoamItem)
class PoamItemAdmin(ReadOnlyAdmin):
    list_display = ["poam_id", "title", "system", "status", "original_risk", "scheduled_completion"]
    list_filter = ["status", "original_risk", "system"]
    search_fields = ["poam_id", "title"]


@admin.register(models.ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "poam_id", "action", "field", "old_value", "new_value"]
    list_filter = ["action", "entity"]
    search_fields = ["poam_id", "actor_name", "justification"]


@admin.register(models.ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "system", "file_name", "format", "new", "updated", "closed"]
