"""Append-only history and import records.

ChangeEvent rows are written by the services in the same transaction as the
change they record. Nothing in the application edits or deletes them: the
model, its querysets and the admin all refuse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("change history is append-only: rows cannot be updated")

    def delete(self):
        raise AppendOnlyError("change history is append-only: rows cannot be deleted")


# History that cannot move a system's counts (items per status and per risk, overdue,
# delayed, the burn-down): comments, evidence, and edits of an item's text, people, assets
# or controls. The caches of those counts are keyed on the system's latest event *outside*
# these (``COUNTED``), so a comment does not throw away the list's and the dashboard's
# numbers; a status or date change does. Anything not named here (a field added later, a
# new kind of event) counts: a miss costs a recount, never a stale number.
QUIET_ENTITIES = ("comment", "evidence")
QUIET_ITEM_FIELDS = (
    "title", "weakness_description", "comments", "planned_remediation", "resources_required",
    "residual_risk", "risk_adjustment_rationale", "deviation_rationale", "threat_description",
    "impact_description", "recommendations", "mitigations", "predisposing_conditions",
    "acceptance_rationale", "vendor_product", "vendor_last_checkin", "cost_estimate",
    "owner", "approver", "assets", "controls", "cves", "depends_on", "source_detail")
COUNTED = (~Q(entity__in=QUIET_ENTITIES)
           & ~Q(entity="item", action="update", field__in=QUIET_ITEM_FIELDS))


class ChangeEvent(models.Model):
    """One audit record: a field of an entity changed, an entity was created or deleted, or
    an account event (sign-in, failure, lockout, MFA) happened.

    Records form one hash chain per organization (``organization`` NULL: the accounts chain,
    for sign-in events, users and tokens that belong to no organization). ``sequence`` is
    the position in that chain, ``prev_hash`` the hash of the record before, ``hash`` the
    SHA-256 of this record's content and ``prev_hash`` (tracker/services/chain.py), so an
    edited, deleted or reordered record breaks the chain at that point.
    """

    CREATE, UPDATE, DELETE = "create", "update", "delete"
    ACTIONS = [(CREATE, "create"), (UPDATE, "update"), (DELETE, "delete"),
               ("sign-in", "sign-in"), ("sign-in-failed", "sign-in failed"),
               ("locked-out", "locked out"), ("unlocked", "unlocked"),
               ("sign-out", "sign-out"), ("mfa-enrol", "MFA enrolled"),
               ("mfa-remove", "MFA removed"), ("mfa-recovery", "recovery codes issued")]
    organization = models.ForeignKey("tracker.Organization", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey("tracker.System", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    # Plain references, not foreign keys: the history outlives what it describes.
    item_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    poam_id = models.CharField(max_length=30, blank=True)
    # item | milestone | evidence | organization | system | membership | person |
    # assessment | import | token | user | account
    entity = models.CharField(max_length=20)
    entity_uuid = models.UUIDField(null=True, blank=True)
    entity_ref = models.CharField(max_length=200, blank=True)  # e.g. a slug or a user name
    action = models.CharField(max_length=20, choices=ACTIONS)
    field = models.CharField(max_length=60, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    # PROTECT: users with history are deactivated, never deleted (the row must not change).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=200)
    client_address = models.CharField(max_length=45, blank=True)
    at = models.DateTimeField(db_index=True)
    import_record = models.ForeignKey("tracker.ImportRecord", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveBigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["organization", "sequence"], name="history_chain_idx"),
                   models.Index(fields=["organization", "at"], name="history_org_at_idx"),
                   # A system's latest event (the version of its counts in the caches of
                   # the portfolio and the list page): one seek, not a backward scan.
                   models.Index(fields=["system", "id"], name="history_system_latest"),
                   # The same for the events that can move its counts (``COUNTED``): the
                   # key of the cached counts. Queries must filter on ``COUNTED`` itself,
                   # the very condition, for the database to use it.
                   models.Index(fields=["system", "id"], condition=COUNTED,
                                name="history_system_counted")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("change history is append-only: rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("change history is append-only: rows cannot be deleted")

    def __str__(self) -> str:
        what = self.poam_id or self.entity_ref or self.entity
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {what} {self.field}"


class ChainHead(models.Model):
    """The last record of one organization's chain (key "org:<id>", or "accounts").

    Writers lock this row (SELECT ... FOR UPDATE) once per save, so two transactions never
    append to the same chain at once and sequence numbers stay gap-free.
    """

    key = models.CharField(max_length=40, unique=True)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.key} #{self.sequence}"


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
