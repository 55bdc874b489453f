"""The POA&M as plain data: the vocabulary and the document exporters write.

The tracker builds a ``PoamDocument`` once from the database; every exporter
(OSCAL, FedRAMP workbook, eMASS workbook, CSV, PDF) writes from it, and every
POA&M importer returns one. Nothing here touches Django or the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    RISK_ACCEPTED = "risk_accepted"
    FALSE_POSITIVE = "false_positive"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES


STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In Progress",
    Status.COMPLETED: "Completed",
    Status.RISK_ACCEPTED: "Risk Accepted",
    Status.FALSE_POSITIVE: "False Positive",
    Status.REOPENED: "Reopened",
}
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.RISK_ACCEPTED, Status.FALSE_POSITIVE})


class Risk(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(Risk).index(self)


class Source(StrEnum):
    SELF_ASSESSMENT = "self_assessment"
    THIRD_PARTY_ASSESSMENT = "third_party_assessment"
    VULNERABILITY_SCAN = "vulnerability_scan"
    PENETRATION_TEST = "penetration_test"
    INCIDENT = "incident"
    AUDIT = "audit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    Source.SELF_ASSESSMENT: "Self-assessment",
    Source.THIRD_PARTY_ASSESSMENT: "Third-party assessment",
    Source.VULNERABILITY_SCAN: "Vulnerability scan",
    Source.PENETRATION_TEST: "Penetration test",
    Source.INCIDENT: "Incident",
    Source.AUDIT: "Audit",
    Source.OTHER: "Other",
}


class Catalog(StrEnum):
    NIST_800_171_R2 = "nist-800-171r2"
    CMMC = "cmmc"
    NIST_800_53_R5 = "nist-800-53r5"

    @property
    def label(self) -> str:
        return CATALOG_LABELS[self]


CATALOG_LABELS = {
    Catalog.NIST_800_171_R2: "NIST SP 800-171 Rev 2",
    Catalog.CMMC: "CMMC",
    Catalog.NIST_800_53_R5: "NIST SP 800-53 Rev 5",
}


class Framework(StrEnum):
    CMMC_L1 = "cmmc-l1"
    CMMC_L2 = "cmmc-l2"
    CMMC_L3 = "cmmc-l3"
    NIST_800_171 = "nist-800-171"
    FEDRAMP_LOW = "fedramp-low"
    FEDRAMP_MODERATE = "fedramp-moderate"
    FEDRAMP_HIGH = "fedramp-high"
    RMF = "rmf"

    @property
    def label(self) -> str:
        return FRAMEWORK_LABELS[self]

    @property
    def is_fedramp(self) -> bool:
        return self.value.startswith("fedramp")

    @property
    def is_cmmc(self) -> bool:
        return self.value.startswith("cmmc")


FRAMEWORK_LABELS = {
    Framework.CMMC_L1: "CMMC Level 1",
    Framework.CMMC_L2: "CMMC Level 2",
    Framework.CMMC_L3: "CMMC Level 3",
    Framework.NIST_800_171: "NIST SP 800-171 self-assessment",
    Framework.FEDRAMP_LOW: "FedRAMP Low",
    Framework.FEDRAMP_MODERATE: "FedRAMP Moderate",
    Framework.FEDRAMP_HIGH: "FedRAMP High",
    Framework.RMF: "RMF",
}


class Designation(StrEnum):
    """Guidance requires an internal POA&M to be marked as such on every page."""

    INTERNAL = "internal"
    OFFICIAL = "official"

    @property
    def label(self) -> str:
        return "Internal tracking" if self is Designation.INTERNAL else "Official submission"


@dataclass(slots=True)
class ControlRef:
    catalog: Catalog
    control_id: str  # normalised: "3.1.1", "AC.L2-3.1.1", "AC-2(1)"


@dataclass(slots=True)
class AffectedAsset:
    name: str
    kind: str = "host"
    ip: str = ""
    fqdn: str = ""
    port: str = ""
    protocol: str = ""
    remediated_on: date | None = None  # set when a later scan no longer finds it here

    @property
    def label(self) -> str:
        base = self.name or self.fqdn or self.ip
        if self.port:
            return f"{base}:{self.port}/{self.protocol}" if self.protocol else f"{base}:{self.port}"
        return base


@dataclass(slots=True)
class DueDateChange:
    changed_at: datetime
    old_due: date | None
    new_due: date | None
    justification: str
    actor: str = ""


@dataclass(slots=True)
class MilestoneData:
    sequence: int
    description: str
    original_due: date | None = None
    current_due: date | None = None
    completed_on: date | None = None
    owner: str = ""
    uuid: str = ""
    changes: list[DueDateChange] = field(default_factory=list)
    not_needed_reason: str = ""  # closed (on completed_on) as not needed, for this reason


@dataclass(slots=True)
class EvidenceData:
    name: str  # file name or link title
    uuid: str = ""
    url: str = ""  # for links
    sha256: str = ""
    size: int = 0
    media_type: str = ""
    uploaded_by: str = ""
    uploaded_at: datetime | None = None
    description: str = ""


@dataclass(slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str  # create | update | delete
    entity: str  # item | milestone | evidence
    field: str = ""
    old: str = ""
    new: str = ""
    justification: str = ""


@dataclass(slots=True)
class PoamItemData:
    poam_id: str  # "POAM-2026-0007"
    title: str
    uuid: str = ""
    weakness_description: str = ""
    source: Source = Source.OTHER
    source_identifier: str = ""  # plugin ID, STIG rule, assessment objective
    source_detail: str = ""  # scanner name and version, assessor
    controls: list[ControlRef] = field(default_factory=list)
    assets: list[AffectedAsset] = field(default_factory=list)
    original_risk: Risk = Risk.MODERATE
    raw_severity: str = ""  # the scanner's own word, kept
    adjusted_risk: Risk | None = None
    risk_adjustment_rationale: str = ""
    planned_remediation: str = ""
    owner: str = ""  # one named person
    owner_email: str = ""
    resources_required: str = ""
    cost_estimate: Decimal | None = None
    vendor_dependency: bool = False
    vendor_product: str = ""
    vendor_last_checkin: date | None = None
    detected_on: date | None = None  # original detection date: never changes
    scheduled_completion: date | None = None
    actual_completion: date | None = None
    status: Status = Status.OPEN
    status_date: date | None = None
    residual_risk: str = ""
    depends_on: list[str] = field(default_factory=list)  # poam_ids
    comments: str = ""
    cves: list[str] = field(default_factory=list)
    false_positive: bool = False
    operational_requirement: bool = False
    deviation_rationale: str = ""
    # Risk acceptance and false-positive determinations: the approving person, the review date.
    approver: str = ""
    review_date: date | None = None
    kev: bool = False
    kev_due: date | None = None
    delayed: bool = False  # derived by the domain; exporters only read it
    milestones: list[MilestoneData] = field(default_factory=list)
    evidence: list[EvidenceData] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    updated_on: date | None = None  # last change of any kind; for the "stale" check
    # The RMF risk analysis and Army resource columns (openpoam.domain.rmf.RMF_FIELDS),
    # only those set: a rating's stored value, text, Decimal or True.
    rmf: dict[str, object] = field(default_factory=dict)

    @property
    def effective_risk(self) -> Risk:
        return self.adjusted_risk or self.original_risk


@dataclass(slots=True)
class SystemData:
    name: str
    acronym: str = ""
    organization: str = ""
    framework: Framework = Framework.RMF
    impact_level: str = ""  # Low | Moderate | High
    designation: Designation = Designation.INTERNAL
    uuid: str = ""
    description: str = ""
    # eMASS: the service's template (navy | army | usmc | legacy) and the metadata cells:
    # component, registration, system_type, omb_project_id, security_costs, poc_name,
    # poc_phone, poc_email.
    emass_branch: str = "navy"
    emass: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PoamDocument:
    system: SystemData
    items: list[PoamItemData] = field(default_factory=list)
    generated_at: datetime | None = None
    generated_by: str = ""  # who asked for the export (the eMASS "Exported By" cell)
    version: str = "1.0"
    uuid: str = ""  # document uuid: stable per system so re-exports match
    # The signed checkpoint of the organization's audit trail (JSON text) an export carries.
    checkpoint: str = ""
