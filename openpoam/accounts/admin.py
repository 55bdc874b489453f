"""Accounts in the admin: read-only (and no groups). Users are created, deactivated and unlocked with
`openpoam user ...` and the members page, which record each change; a second factor is
enrolled by its owner only."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpoam.accounts.models import (ApiToken, CardIdentity, GroupRole, ProviderIdentity,
                                      SignInLock)
from openpoam.accounts.services import sso
from openpoam.tracker.admin import ReadOnlyAdmin
from openpoam.tracker.services.actors import Actor


class ReadOnlyUserAdmin(ReadOnlyAdmin, UserAdmin):
    list_display = ["username", "email", "is_active", "is_staff", "is_superuser", "last_login"]


class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "last_used_at"]
    exclude = ["key"]  # the secret stays out of every page


# Roles are memberships of organizations; Django's groups and permissions are not used,
# and a change to them would be recorded nowhere: they are not offered.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

for model, model_admin in ((get_user_model(), ReadOnlyUserAdmin), (TOTPDevice, TOTPDeviceAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


@admin.register(SignInLock)
class SignInLockAdmin(ReadOnlyAdmin):
    list_display = ["key", "failures", "first_failure_at", "locked_until"]


# Tokens: to look at, never to edit (they change through accounts/services/tokens.py).
@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "user", "organization", "read_only", "created_at",
                    "last_used_at", "revoked_at"]
    list_filter = ["organization", "read_only"]
    exclude = ["digest"]


# ---- single sign-on: the two tables the administrator keeps, each change in the trail -------


def _admin_actor(request):
    return Actor.for_user(request.user)


@admin.register(GroupRole)
class GroupRoleAdmin(admin.ModelAdmin):
    """Provider groups to organization roles; memberships follow at each sign-in."""

    list_display = ["group", "organization", "role"]
    list_filter = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        return ["group", "organization"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = sso.add_group_role(_admin_actor(request), obj.group, obj.organization, obj.role)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        sso.remove_group_role(_admin_actor(request), obj.group, obj.organization)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(CardIdentity)
class CardIdentityAdmin(admin.ModelAdmin):
    """CAC/PIV cards (the proxy's header value) to accounts."""

    list_display = ["value", "user"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        sso.link_card(_admin_actor(request), obj.user, obj.value)
        obj.pk = CardIdentity.objects.get(value=obj.value.strip()).pk

    def delete_model(self, request, obj):
        sso.unlink_card(_admin_actor(request), obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(ReadOnlyAdmin):
    list_display = ["user", "issuer", "subject"]
