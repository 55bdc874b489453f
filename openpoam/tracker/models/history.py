"""Append-only history and import records.

ChangeEvent rows are written by the services in the same transaction as the
change they record. Nothing in the application edits or deletes them: the
model, its querysets and the admin all refuse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("change history is append-only: rows cannot be updated")

    def delete(self):
        raise AppendOnlyError("change history is append-only: rows cannot be deleted")


class ChangeEvent(models.Model):
    CREATE, UPDATE, DELETE = "create", "update", "delete"
    organization = models.ForeignKey("tracker.Organization", on_delete=models.PROTECT,
                                     related_name="+")
    system = models.ForeignKey("tracker.System", on_delete=models.PROTECT, related_name="+")
    # Plain references, not foreign keys: the history outlives what it describes.
    item_uuid = models.UUIDField(db_index=True)
    poam_id = models.CharField(max_length=30)
    entity = models.CharField(max_length=10)  # item | milestone | evidence
    entity_uuid = models.UUIDField()
    action = models.CharField(max_length=6, choices=[(CREATE, "create"), (UPDATE, "update"),
                                                     (DELETE, "delete")])
    field = models.CharField(max_length=60, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField(db_index=True)
    import_record = models.ForeignKey("tracker.ImportRecord", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="events")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("change history is append-only: rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("change history is append-only: rows cannot be deleted")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.poam_id} {self.field}"


class ImportRecord(models.Model):
    """One scan or POA&M file merged into a system: what it was and what it changed."""

    system = models.ForeignKey("tracker.System", on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=40)
    scanner = models.CharField(max_length=100, blank=True)
    scanner_version = models.CharField(max_length=100, blank=True)
    scan_time = models.DateTimeField(null=True, blank=True)
    imported_by = models.CharField(max_length=200)
    imported_at = models.DateTimeField()
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    remediated = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    proposed = models.PositiveIntegerField(default=0)
    recurred = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    # The imported file itself, kept once, content-addressed under EVIDENCE_DIR (the
    # evidence of the closures the import made points at the same stored file).
    storage_name = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.format}) {self.imported_at:%Y-%m-%d}"
