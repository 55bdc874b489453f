"""CMMC assessments of a system: the inputs are stored; every answer comes from domain.cmmc.

``score`` and ``status`` are snapshots written when the assessment is recorded, so
the score history survives later changes to the rules' data files.
"""

from django.db import models


class Assessment(models.Model):
    TYPES = [("Self", "Self"), ("C3PAO", "C3PAO"), ("DIBCAC", "DIBCAC")]
    system = models.ForeignKey("tracker.System", on_delete=models.CASCADE,
                               related_name="assessments")
    level = models.PositiveSmallIntegerField(choices=[(1, "Level 1"), (2, "Level 2"),
                                                      (3, "Level 3")])
    assessment_type = models.CharField(max_length=6, choices=TYPES)
    assessed_on = models.DateField()
    assessor = models.CharField(max_length=200, blank=True)
    status_date = models.DateField(null=True, blank=True)  # CMMC Status Date (32 CFR 170.4)
    final_level2_c3pao = models.BooleanField(default=False)  # Level 3 prerequisite
    score = models.IntegerField(null=True, blank=True)
    max_score = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=60)
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"Level {self.level} ({self.assessment_type}) {self.assessed_on}"

    def payload(self) -> dict:
        """The assessment in the rules engine's input form."""
        return {"level": self.level, "assessment_type": self.assessment_type,
                "results": {r.requirement: r.result for r in self.results.all()},
                "status_date": self.status_date.isoformat() if self.status_date else None,
                "final_level2_c3pao": self.final_level2_c3pao}


class AssessmentResult(models.Model):
    """Only results other than MET are stored: a requirement not listed is MET."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    requirement = models.CharField(max_length=30)  # CMMC ID, e.g. AC.L2-3.1.1
    result = models.CharField(max_length=16, choices=[("not_met", "NOT MET"),
                                                      ("partial", "Partial"),
                                                      ("not_applicable", "N/A")])

    class Meta:
        ordering = ["requirement"]
        constraints = [models.UniqueConstraint(fields=["assessment", "requirement"],
                                               name="one_result_per_requirement")]
