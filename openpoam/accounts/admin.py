"""Accounts in the admin: read-only (and no groups). Users are created, deactivated and unlocked with
`openpoam user ...` and the members page, which record each change; a second factor is
enrolled by its owner only."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpoam.accounts.models import SignInLock
from openpoam.tracker.admin import ReadOnlyAdmin


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
