"""What a person is told in the app (and by e-mail unless they turned it off): written by the
jobs of tracker/services/notify.py, read on the notifications page; and each person's choice
per kind of notification."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """Something a person is told in the app (and, unless they turned it off, by e-mail):
    written by the jobs of tracker/services/notify.py, read on the notifications page."""

    REQUEST_WAITING = "request_waiting"
    REQUEST_DECIDED = "request_decided"
    ITEM_ASSIGNED = "item_assigned"
    DUE_DIGEST = "due_digest"
    CR26_OVERDUE = "cr26_overdue"
    KINDS = [(REQUEST_WAITING, "A request waits for my decision"),
             (REQUEST_DECIDED, "My request was decided"),
             (ITEM_ASSIGNED, "An item was assigned to me"),
             (DUE_DIGEST, "Daily digest of my dates coming due"),
             (CR26_OVERDUE, "A FedRAMP CR26 deadline of mine passed")]

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
