"""Sign-in lockouts and hashed recovery codes.

TOTP devices are django-otp's (``otp_totp.TOTPDevice``). Recovery codes are a django-otp
device of our own because django-otp's static tokens are stored in clear text: here only a
SHA-256 of each code is kept. The codes are 80 random bits, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib

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
