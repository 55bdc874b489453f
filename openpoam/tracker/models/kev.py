"""CISA's Known Exploited Vulnerabilities catalog, as last imported (public data, not per tenant)."""

from django.db import models


class KnownExploited(models.Model):
    cve = models.CharField(max_length=30, unique=True)
    date_added = models.DateField()
    due_date = models.DateField()  # BOD 22-01 remediation due date
    name = models.CharField(max_length=500, blank=True)
    ransomware = models.BooleanField(null=True)
    catalog_version = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["cve"]

    def __str__(self) -> str:
        return self.cve
