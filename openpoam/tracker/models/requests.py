"""What people add to an item beside its fields: comments, and requests that another
person must approve (risk acceptance, false positive, FedRAMP deviation requests)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openpoam.tracker.models.items import PoamItem


class Comment(models.Model):
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="discussion")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:60]}"


class ApprovalRequest(models.Model):
    """One user asks, another decides. Kinds follow the FedRAMP POA&M completion guide's
    deviation requests (risk adjustment, false positive, operational requirement) plus
    risk acceptance, which every framework knows."""

    RISK_ACCEPTANCE = "risk_acceptance"
    FALSE_POSITIVE = "false_positive"
    RISK_ADJUSTMENT = "risk_adjustment"
    OPERATIONAL_REQUIREMENT = "operational_requirement"
    KINDS = [(RISK_ACCEPTANCE, "Risk acceptance"), (FALSE_POSITIVE, "False positive"),
             (RISK_ADJUSTMENT, "Risk adjustment"),
             (OPERATIONAL_REQUIREMENT, "Operational requirement")]
    PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
    STATES = [(PENDING, "Pending"), (APPROVED, "Approved"), (REJECTED, "Rejected"),
              (WITHDRAWN, "Withdrawn")]

    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=30, choices=KINDS)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    rationale = models.TextField()
    review_date = models.DateField(null=True, blank=True)
    proposed_risk = models.CharField(max_length=10, blank=True)  # risk adjustment only
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_by_name = models.CharField(max_length=200)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "item"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.item_id} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.PENDING
