"""FedRAMP CR26 (VDR/VER) data: one vulnerability record per tracked item, its rating
history, and the reports sent (for VER-RPT-PER's "since the previous report").

No deadline is stored: ``openpoam.domain.fedramp.cr26`` computes them from these facts
whenever they are shown (``services.cr26.state``), so a changed KEV date on the item or a
changed class can never leave a stale copy behind.
"""

from __future__ import annotations

from django.db import models

from openpoam.domain.fedramp.cr26 import Disposition, EventKind
from openpoam.tracker.models.items import PoamItem
from openpoam.tracker.models.org import System

RATING_CHOICES = [(n, f"N{n}") for n in range(0, 6)]  # VER-EVA-EPA: N0 since 2026.10.05.01
DISPOSITION_CHOICES = [(d.value, d.value) for d in Disposition]
KIND_CHOICES = [(k.value, k.value) for k in EventKind]


class Cr26Vulnerability(models.Model):
    """A vulnerability, or a group of them (VER-EVA-GRV), under the CR26 rules."""

    item = models.OneToOneField(PoamItem, on_delete=models.CASCADE, related_name="cr26")
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="cr26_vulns")
    detected_at = models.DateTimeField()  # VER-RPT-VDT item 2
    detection_source = models.CharField(max_length=300, blank=True)
    # A first guess from the scanner; never counts as the evaluation.
    proposed_rating = models.PositiveSmallIntegerField(null=True, blank=True,
                                                       choices=RATING_CHOICES)
    proposed_lev = models.BooleanField(null=True)
    proposed_irv = models.BooleanField(null=True)
    proposal_basis = models.CharField(max_length=500, blank=True)
    # The completed evaluation (VER-EVA-*): who decided, when, why.
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluated_by = models.CharField(max_length=150, blank=True)
    evaluation_reason = models.TextField(blank=True)
    # Current rating, LEV, IRV; the full history is in Cr26RatingEvent.
    rating = models.PositiveSmallIntegerField(null=True, blank=True, choices=RATING_CHOICES)
    lev = models.BooleanField(null=True)
    irv = models.BooleanField(null=True)
    # Planned next reduction (VER-RPT-VDT item 8).
    next_reduction_at = models.DateTimeField(null=True, blank=True)
    next_reduction_rating = models.PositiveSmallIntegerField(null=True, blank=True,
                                                             choices=RATING_CHOICES)
    overdue_explanation = models.TextField(blank=True)  # item 9
    supplementary = models.TextField(blank=True)  # item 10
    disposition = models.CharField(max_length=30, blank=True, choices=DISPOSITION_CHOICES)
    disposition_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)  # declared early (FRD-ACV)
    acceptance_rationale = models.TextField(blank=True)  # VER-RPT-AVI item 7
    group_lead = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="group_members")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["detected_at", "pk"]

    def __str__(self) -> str:
        return f"CR26 {self.item.poam_id}"


class Cr26RatingEvent(models.Model):
    """One evaluation, re-evaluation or reduction: append-only rating history (items 6, 7)."""

    vulnerability = models.ForeignKey(Cr26Vulnerability, on_delete=models.CASCADE,
                                      related_name="rating_events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    rating = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    lev = models.BooleanField()
    irv = models.BooleanField()
    actor_name = models.CharField(max_length=150)
    note = models.TextField(blank=True)  # why (evaluation) or what was done (reduction)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class Cr26Report(models.Model):
    """A report that was generated, so the next one covers everything since (VER-RPT-PER)."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="cr26_reports")
    kind = models.CharField(max_length=10)  # vdt | avi | mrh | mhr
    period_from = models.DateTimeField()
    period_to = models.DateTimeField()
    generated_by = models.CharField(max_length=150)
    vulnerabilities = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-period_to", "-pk"]


class Cr26ClassChange(models.Model):
    """A change of the system's certification class (FRC-CCL), effective at ``at``: deadlines
    whose clock starts from then on follow the new class (domain ``Vulnerability.class_at``)."""

    system = models.ForeignKey(System, on_delete=models.CASCADE,
                               related_name="cr26_class_changes")
    at = models.DateTimeField()
    old_class = models.CharField(max_length=1)
    new_class = models.CharField(max_length=1)
    actor_name = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class Cr26OverdueNotice(models.Model):
    """The responsible people were told that this deadline passed (scheduled job
    ``cr26-overdue``): one row per vulnerability, kind of deadline and deadline, so a second
    run tells nobody again, and a new deadline that passes (a new rating, a KEV date) is a
    new event."""

    EVALUATION, REDUCTION, KEV = "evaluation", "reduction", "kev"
    EVENTS = [(EVALUATION, "Evaluation late"), (REDUCTION, "Reduction overdue"),
              (KEV, "KEV deadline passed")]

    vulnerability = models.ForeignKey(Cr26Vulnerability, on_delete=models.CASCADE,
                                      related_name="overdue_notices")
    event = models.CharField(max_length=12, choices=EVENTS)
    due_at = models.DateTimeField()
    notified_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vulnerability", "event", "due_at"],
                                               name="one_cr26_notice_per_deadline")]
