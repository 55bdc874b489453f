"""The POA&M item and what hangs off it: controls, assets, milestones, evidence, dependencies.

Rows here are written only through ``openpoam.tracker.services``, which validates
with the domain and appends the history in the same transaction.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from openpoam.domain.poam import Catalog, Risk, Source, Status
from openpoam.domain.rmf import Rating
from openpoam.tracker.models.org import Organization, Person, System, _choices


# An item's effective risk as a number (adjusted, else original): the stored ``risk_rank``
# column's definition, which the list's risk sorts and their keyset pages read.
RISK_RANK = models.Case(
    *[models.When(models.Q(adjusted_risk=r.value)
                  | models.Q(adjusted_risk="", original_risk=r.value), then=models.Value(r.rank)) for r in Risk],
    default=models.Value(0), output_field=models.IntegerField())


def _amount() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)


class PoamItem(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="items")
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="items")
    poam_id = models.CharField("POA&M ID", max_length=30)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=500)
    weakness_description = models.TextField(blank=True)
    source = models.CharField(max_length=30, choices=_choices(Source), default=Source.OTHER)
    source_identifier = models.CharField(max_length=300, blank=True)
    source_detail = models.CharField(max_length=300, blank=True)
    original_risk = models.CharField(max_length=10, choices=_choices(Risk), default=Risk.MODERATE)
    raw_severity = models.CharField(max_length=50, blank=True)
    adjusted_risk = models.CharField(max_length=10, choices=_choices(Risk), blank=True)
    risk_adjustment_rationale = models.TextField(blank=True)
    planned_remediation = models.TextField(blank=True)
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="items")
    resources_required = models.TextField(blank=True)
    cost_estimate = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    vendor_dependency = models.BooleanField(default=False)
    vendor_product = models.CharField(max_length=300, blank=True)
    vendor_last_checkin = models.DateField(null=True, blank=True)
    detected_on = models.DateField("original detection date")
    scheduled_completion = models.DateField(null=True, blank=True)
    actual_completion = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.OPEN)
    status_date = models.DateField(null=True, blank=True)
    residual_risk = models.TextField(blank=True)
    comments = models.TextField(blank=True)
    cves = models.JSONField(default=list, blank=True)
    # FedRAMP deviation requests (completion guide): flags plus their rationale.
    operational_requirement = models.BooleanField(default=False)
    deviation_rationale = models.TextField(blank=True)
    kev = models.BooleanField(default=False)
    kev_due = models.DateField(null=True, blank=True)
    # The RMF risk analysis (NIST SP 800-30 ratings) and the Army's resource columns,
    # as eMASS names them: openpoam/domain/rmf.py lists them (RMF_FIELDS).
    rmf_raw_severity = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    rmf_severity = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    relevance_of_threat = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    threat_description = models.TextField(blank=True)
    likelihood = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    impact = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    impact_description = models.TextField(blank=True)
    residual_risk_level = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    recommendations = models.TextField(blank=True)
    mitigations = models.TextField(blank=True)
    predisposing_conditions = models.TextField(blank=True)
    mitigated_risk = models.CharField(max_length=10, choices=_choices(Rating), blank=True)
    cfo_audit = models.BooleanField(default=False)
    personnel_cost_code = models.TextField(blank=True)
    personnel_funded_hours = _amount()
    personnel_unfunded_hours = _amount()
    personnel_obstacle = models.TextField(blank=True)
    personnel_obstacle_other = models.TextField(blank=True)
    nonpersonnel_cost_code = models.TextField(blank=True)
    nonpersonnel_funded_amount = _amount()
    nonpersonnel_unfunded_amount = _amount()
    nonpersonnel_obstacle = models.TextField(blank=True)
    nonpersonnel_obstacle_other = models.TextField(blank=True)
    # Risk acceptance and false-positive determinations: who approved, why, when to review.
    approver = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="approvals")  # a known person, never free text
    acceptance_rationale = models.TextField(blank=True)
    review_date = models.DateField(null=True, blank=True)
    # Set by a scan import on a system that does not close items automatically.
    closure_proposed = models.BooleanField(default=False)
    # Scan identity: one item per weakness per system (see domain.findings).
    scan_scope = models.CharField(max_length=200, blank=True)
    scan_weakness_id = models.CharField(max_length=300, blank=True)
    recurrence_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="recurrences")
    last_seen = models.DateTimeField(null=True, blank=True)
    depends_on = models.ManyToManyField("self", through="ItemDependency", symmetrical=False,
                                        related_name="required_by", blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The effective risk (adjusted, else original) as a number, kept by the database on
    # every write: the risk sorts page through an index at any depth.
    risk_rank = models.GeneratedField(expression=RISK_RANK, output_field=models.IntegerField(),
                                      db_persist=True)

    class Meta:
        ordering = ["poam_id"]
        constraints = [models.UniqueConstraint(fields=["organization", "poam_id"],
                                               name="poam_id_unique_per_org")]
        indexes = [models.Index(fields=["system", "scan_scope", "scan_weakness_id"]),
                   # The list page's sorts, without sorting every row of a large system.
                   models.Index(fields=["system", "poam_id"], name="item_system_poam_id"),
                   models.Index(fields=["system", "scheduled_completion", "poam_id", "status"],
                                name="item_system_due"),
                   # Counts of the common filters and the dashboard read this index,
                   # never the wide rows.
                   models.Index(fields=["system", "status", "scheduled_completion",
                                        "original_risk", "adjusted_risk", "detected_on",
                                        "status_date", "updated_at"],
                                name="item_list_filters"),
                   # The portfolio's items per system, status and risk, with the overdue:
                   # one pass over this index in group order, never the rows nor a sort;
                   # it also serves every lookup by system and status.
                   # (Not a partial index of the open items: SQLite cannot match one to a
                   # condition given as query parameters, as Django gives them.)
                   models.Index(fields=["system", "status", "adjusted_risk", "original_risk",
                                        "scheduled_completion"], name="item_status_risk"),
                   models.Index(fields=["system", "-risk_rank", "poam_id"],
                                name="item_system_risk"),
                   models.Index(fields=["system", "risk_rank", "poam_id"],
                                name="item_system_risk_asc"),
                   # The list search joins its matches (item ids) to the system: an
                   # index-only lookup per match on PostgreSQL, not a scan of every item.
                   models.Index(fields=["id", "system"], name="item_id_system")]

    def __str__(self) -> str:
        return f"{self.poam_id} {self.title}"

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def effective_risk(self) -> str:
        return self.adjusted_risk or self.original_risk


class ControlReference(models.Model):
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="controls")
    catalog = models.CharField(max_length=20, choices=_choices(Catalog))
    control_id = models.CharField(max_length=40)

    class Meta:
        ordering = ["catalog", "control_id"]
        constraints = [models.UniqueConstraint(fields=["item", "catalog", "control_id"],
                                               name="control_once_per_item")]

    def __str__(self) -> str:
        return self.control_id


class AffectedAsset(models.Model):
    # No index of its own: asset_once_per_item's index leads with the item, and a second
    # one cost every scan's asset rows a second index write (migration 0018).
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="assets",
                             db_index=False)
    asset_key = models.CharField(max_length=300)  # stable identity (lower case)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, default="host")
    ip = models.CharField(max_length=64, blank=True)
    fqdn = models.CharField(max_length=300, blank=True)
    port = models.CharField(max_length=10, blank=True)
    protocol = models.CharField(max_length=10, blank=True)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    remediated_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["asset_key", "port"]
        constraints = [models.UniqueConstraint(fields=["item", "asset_key", "port", "protocol"],
                                               name="asset_once_per_item")]

    def __str__(self) -> str:
        return f"{self.name}:{self.port}/{self.protocol}" if self.port else self.name


class ItemDependency(models.Model):
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="+")
    depends_on = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "depends_on"],
                                               name="dependency_once")]


class Milestone(models.Model):
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="milestones")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField()
    description = models.TextField()
    original_due = models.DateField(null=True, blank=True)  # never changes once set
    current_due = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    # Set when the milestone was closed as not needed (completed_on is the closing date).
    not_needed_reason = models.TextField(blank=True)
    owner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="milestones")

    class Meta:
        ordering = ["item", "sequence"]
        constraints = [models.UniqueConstraint(fields=["item", "sequence"],
                                               name="milestone_sequence_unique")]
        # Open milestones past due, found without reading every milestone.
        indexes = [models.Index(fields=["completed_on", "current_due"],
                                name="milestone_open_due"),
                   # A person's open milestones by due date (My work), in their own rows.
                   models.Index(fields=["owner", "completed_on", "current_due"],
                                name="milestone_owner_open_due")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.description[:60]}"

    @property
    def is_moved(self) -> bool:
        return self.original_due != self.current_due

    @property
    def is_open(self) -> bool:
        return self.completed_on is None


class Evidence(models.Model):
    """A file (kept outside the database, by SHA-256) or a link, on an item or milestone."""

    FILE, LINK = "file", "link"
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="evidence")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="evidence")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=4, choices=[(FILE, "File"), (LINK, "Link")])
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)
    storage_name = models.CharField(max_length=300, blank=True)  # path under EVIDENCE_DIR
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    media_type = models.CharField(max_length=200, blank=True)
    uploaded_by = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.name
