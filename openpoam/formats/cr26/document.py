"""The plain data a CR26 report is written from: built once by the tracker, no ORM here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RatingEntry:
    """One entry of a vulnerability's rating history (VER-RPT-VDT items 6 and 7)."""

    at: datetime
    kind: str  # evaluation | reduction | re-evaluation
    rating: int
    lev: bool
    irv: bool
    actor: str = ""
    note: str = ""  # why (evaluation) or what was done (reduction)


@dataclass(slots=True)
class VulnerabilityRecord:
    tracking_id: str  # VER-RPT-VDT item 1
    description: str
    detected_at: datetime  # item 2
    detection_source: str
    evaluated_at: datetime | None = None  # item 3
    irv: bool | None = None  # item 4
    lev: bool | None = None  # item 5
    rating: int | None = None  # item 6, current: N0 to N5 (VER-EVA-EPA)
    history: list[RatingEntry] = field(default_factory=list)  # items 6 and 7
    next_reduction_at: datetime | None = None  # item 8
    next_reduction_rating: int | None = None
    overdue: bool = False  # item 9
    overdue_explanation: str = ""
    supplementary: str = ""  # item 10
    disposition: str = ""  # item 11: "" while active
    disposition_at: datetime | None = None
    acceptance_rationale: str = ""  # VER-RPT-AVI item 7
    accepted_at: datetime | None = None
    impact: str = ""  # potentialAgencyImpact: free text
    evaluation_due: datetime | None = None
    evaluation_late: bool = False
    reduction_due: datetime | None = None
    reduction_rule: str = ""
    kev_due: datetime | None = None
    incident: str = ""  # "VER-TFR-IRI SHOULD" ...
    group_members: list[str] = field(default_factory=list)  # VER-EVA-GRV

    @property
    def reductions(self) -> list[RatingEntry]:
        return [entry for entry in self.history if entry.kind == "reduction"]


@dataclass(slots=True)
class Cr26Report:
    """One report's content: the system, the period (VER-RPT-PER) and the vulnerabilities."""

    kind: str  # vdt | avi | mrh | mhr
    system_name: str
    cert_class: str
    package_uri: str  # certificationPackageOverviewUri
    period_from: datetime
    period_to: datetime
    generated_at: datetime
    active: list[VulnerabilityRecord] = field(default_factory=list)
    accepted: list[VulnerabilityRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # period activity, for the summary
    schema_version: str = "0.1.1"  # FedRAMP schema release (validation.SCHEMA_VERSIONS)
    checkpoint: str = ""  # the signed checkpoint of the organization's audit trail (JSON)
