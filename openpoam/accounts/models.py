"""Sign-in lockouts and hashed recovery codes.

TOTP devices are django-otp's (``otp_totp.TOTPDevice``). Recovery codes are a django-otp
device of our own because django-otp's static tokens are stored in clear text: here only a
SHA-256 of each code is kept. The codes are 80 random bits, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin


def code_digest(code: str) -> str:
    """Codes are typed with or without dashes, in either case."""
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(plain.encode()).hexdigest()


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """Ten one-time codes for when the authenticator is lost."""

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code = self.codes.filter(digest=code_digest(str(token))).first()
        if code is None:
            self.throttle_increment(commit=True)
            return False
        code.delete()
        self.throttle_reset(commit=True)
        return True

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE,
                               related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)


class SignInLock(models.Model):
    """Failed sign-ins counted per account name (``user:NAME``, whether or not such an
    account exists) and per client address (``ip:ADDRESS``)."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures"


# ---- single sign-on --------------------------------------------------------------------------

class ProviderIdentity(models.Model):
    """An account's subject at the OpenID provider (``iss`` + ``sub``): set by `openpoam
    user add --oidc-subject`, or bound at the first sign-in of a pre-provisioned e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"],
                                               name="one_account_per_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class GroupRole(models.Model):
    """A provider group that makes its members this role in one organization. In an
    organization named by any row, members signing in with the provider follow their groups."""

    group = models.CharField(max_length=255)
    organization = models.ForeignKey("tracker.Organization", on_delete=models.CASCADE,
                                     related_name="group_roles")
    role = models.CharField(max_length=10, choices=[("owner", "Owner"), ("editor", "Editor"),
                                                    ("assessor", "Assessor"),
                                                    ("viewer", "Viewer")])

    class Meta:
        ordering = ["group", "organization__slug"]
        constraints = [models.UniqueConstraint(fields=["group", "organization"],
                                               name="one_role_per_group_and_org")]

    def __str__(self) -> str:
        return f"{self.group} → {self.role} of {self.organization.slug}"


class CardIdentity(models.Model):
    """A CAC/PIV certificate, as the proxy's header gives it (subject DN or EDIPI), mapped to
    one account by the administrator."""

    value = models.CharField(max_length=500, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards")

    def __str__(self) -> str:
        return self.value


class ProviderMfaDevice(Device):
    """Stands for a second factor the provider (or the smart card) already checked, so the
    session counts as verified (django-otp) without asking for a code. Accepts no token."""

    def verify_token(self, token) -> bool:
        return False
class Invitation(models.Model):
    """An owner asked an existing account to join an organization; it joins only when its
    holder accepts, after signing in. ``invited_as`` is what the owner typed (an e-mail
    address or a user name): the owner is never told which account, if any, it named."""

    organization = models.ForeignKey("tracker.Organization", on_delete=models.CASCADE,
                                     related_name="invitations")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20)
    invited_as = models.CharField(max_length=254)
    invited_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True)  # None while pending

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["organization", "user"], condition=models.Q(answered_at__isnull=True),
            name="one_pending_invitation")]


class Notification(models.Model):
    """Something a person is told in the app (and, unless they turned it off, by e-mail):
    written by the jobs of tracker/services/notify.py, read on the notifications page."""

    REQUEST_WAITING = "request_waiting"
    REQUEST_DECIDED = "request_decided"
    ITEM_ASSIGNED = "item_assigned"
    DUE_DIGEST = "due_digest"
    KINDS = [(REQUEST_WAITING, "A request waits for my decision"),
             (REQUEST_DECIDED, "My request was decided"),
             (ITEM_ASSIGNED, "An item was assigned to me"),
             (DUE_DIGEST, "Daily digest of my dates coming due")]

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="notifications")
    organization = models.ForeignKey("tracker.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=KINDS)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)  # a path of this site
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"


class NotificationSetting(models.Model):
    """A person's choice for one kind of notification; without a row both are on."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE,
                             related_name="notification_settings")
    kind = models.CharField(max_length=30, choices=Notification.KINDS)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="one_notification_setting_per_kind")]
