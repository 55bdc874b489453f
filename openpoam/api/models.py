"""API tokens: one per user, organization and purpose; only a SHA-256 digest is stored.

A token reads ``opoam_<prefix>_<secret>``: the prefix is shown in lists so people can
tell their tokens apart; the secret (256 bits) is shown once, when the token is made.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    organization = models.ForeignKey("tracker.Organization", on_delete=models.CASCADE,
                                     related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the whole token
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiTokenEvent(models.Model):
    """Creation, use from a new address and revocation of a token: append-only."""

    CREATE, USE, REVOKE = "create", "use", "revoke"
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="events")
    organization = models.ForeignKey("tracker.Organization", on_delete=models.PROTECT,
                                     related_name="+")
    action = models.CharField(max_length=10, choices=[(CREATE, "create"), (USE, "use"),
                                                      (REVOKE, "revoke")])
    address = models.GenericIPAddressField(null=True, blank=True)
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["token", "action", "address"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("token events are append-only")
        super().save(*args, **kwargs)
