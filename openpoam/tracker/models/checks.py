"""Stored quality-check results: one row per issue an item has on some day.

``domain.checks.item_findings`` gives each issue with the days it holds; a row keeps them
(``starts`` inclusive, ``ends`` exclusive, NULL open-ended), so the checks page reads the
rows that hold today through one index instead of running the rules over every item. The
services write an item's rows in the same transaction as the item's change
(``tracker.services.item_checks``)."""

from __future__ import annotations

from django.db import models

from openpoam.tracker.models.items import PoamItem
from openpoam.tracker.models.org import System


class ItemCheck(models.Model):
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="checks")
    poam_id = models.CharField(max_length=30)  # the item's, for the page order (kept with it)
    position = models.PositiveSmallIntegerField()  # order among the item's rows
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=10)
    message = models.TextField()
    citation = models.TextField()
    wording = models.BigIntegerField()  # a hash of the message: "wording varies" from the index
    # How many of the item's rows of this code come before this one: only a kind with a
    # row where this is above 0 needs its items counted one by one (COUNT DISTINCT).
    repeat = models.PositiveSmallIntegerField(default=0)
    starts = models.DateField(null=True)
    ends = models.DateField(null=True)

    class Meta:
        indexes = [
            # Counts per kind of problem and each kind's first items, for one day, answered
            # from this index alone.
            models.Index(fields=["system", "code", "severity", "poam_id", "position", "starts",
                                 "ends", "wording", "repeat"], name="itemcheck_page"),
            models.Index(fields=["item"], name="itemcheck_item")]


class CheckBasis(models.Model):
    """What a system's stored results were worked out with (framework, thresholds, the CMMC
    assessment, the rules' revision): when it differs from now, they are worked out again."""

    system = models.OneToOneField(System, on_delete=models.CASCADE, related_name="+")
    basis = models.TextField()
