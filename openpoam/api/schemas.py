"""Request and response shapes. Output is built from the same plain data the exports
and the command line's ``--json`` use (tracker.documents), so a field reads the same
everywhere."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from openpoam.domain.poam import Risk, Source, Status
from openpoam.tracker.services import bulk_edit
from openpoam.tracker.services.fields import TEXT_LIMITS
from openpoam.domain.rmf import Rating

StatusName = Literal[tuple(s.value for s in Status)]  # type: ignore[valid-type]
RiskName = Literal[tuple(r.value for r in Risk)]  # type: ignore[valid-type]
SourceName = Literal[tuple(s.value for s in Source)]  # type: ignore[valid-type]
RatingName = Literal[tuple(r.value for r in Rating)]  # type: ignore[valid-type]
Text = str
# A time in a result shared with the command line's --json: ISO 8601 to the second, with its
# offset, written once by the service (tracker.services.history.moment).
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def has_nul(value) -> bool:
    """NUL cannot be stored in a PostgreSQL text column, nor typed by a person."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


class Input(Schema):
    """Every request body and query: text with a NUL character is refused (422), and so is
    a field the operation does not have (a misspelt field would otherwise change nothing
    and say nothing)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if has_nul(value):
            raise ValueError("contains a NUL character")
        return value


class ErrorOut(Schema):
    detail: str
    field: str = ""


# Every operation may answer with these, always as ErrorOut.
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 429)}


class OrganizationOut(Schema):
    slug: str
    name: str
    role: str


class SystemOut(Schema):
    slug: str
    name: str
    acronym: str
    uuid: str
    framework: str
    impact_level: str
    designation: str
    description: str
    auto_close: bool


class SystemIn(Input):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")
    name: str = Field(min_length=1, max_length=200)
    framework: str
    acronym: str = Field(default="", max_length=30)
    impact_level: Literal["", "Low", "Moderate", "High"] = ""
    designation: str = "internal"
    description: str = Field(default="", max_length=20000)
    auto_close: bool = True


class SystemChange(Input):
    """Only the fields sent are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    framework: str | None = None
    acronym: str | None = Field(default=None, max_length=30)
    impact_level: Literal["", "Low", "Moderate", "High"] | None = None
    designation: str | None = None
    description: str | None = Field(default=None, max_length=20000)
    auto_close: bool | None = None


class PersonOut(Schema):
    id: int
    name: str
    email: str
    title: str


class OrganizationPage(Schema):
    organizations: list[OrganizationOut]
    next_cursor: str | None = None


class SystemPage(Schema):
    systems: list[SystemOut]
    next_cursor: str | None = None


class PersonPage(Schema):
    persons: list[PersonOut]
    next_cursor: str | None = None


class QueryInput(Input):
    """Query parameters: an address may carry others (a cache buster, a tracking tag)."""

    model_config = ConfigDict(extra="ignore")


class PageParams(QueryInput):
    cursor: str = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=500)


class PersonIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    title: str = Field(default="", max_length=200)


class ControlOut(Schema):
    catalog: str
    control_id: str


class AssetOut(Schema):
    name: str
    kind: str
    ip: str
    fqdn: str
    port: str
    protocol: str
    remediated_on: date | None = None


class AssetIn(Input):
    name: str = Field(default="", max_length=300)
    kind: str = Field(default="host", max_length=20)
    ip: str = Field(default="", max_length=64)
    fqdn: str = Field(default="", max_length=300)
    port: str = Field(default="", max_length=10)
    protocol: str = Field(default="", max_length=10)


class DueChangeOut(Schema):
    changed_at: datetime
    old_due: date | None = None
    new_due: date | None = None
    justification: str
    actor: str


class MilestoneOut(Schema):
    sequence: int
    description: str
    original_due: date | None = None
    current_due: date | None = None
    completed_on: date | None = None
    owner: str
    uuid: str
    changes: list[DueChangeOut] = []


class EvidenceOut(Schema):
    name: str
    uuid: str
    url: str
    sha256: str
    size: int
    media_type: str
    uploaded_by: str
    uploaded_at: datetime | None = None
    description: str


class ItemSummary(Schema):
    """An item in a list: everything but its affected assets, which it counts."""

    poam_id: str
    uuid: str
    system: str
    version: int
    title: str
    weakness_description: str
    source: str
    source_identifier: str
    source_detail: str
    controls: list[ControlOut]
    asset_count: int
    open_asset_count: int = Field(description="Assets not yet remediated")
    original_risk: str
    raw_severity: str
    adjusted_risk: str | None = None
    risk_adjustment_rationale: str
    planned_remediation: str
    owner: str
    owner_email: str
    resources_required: str
    cost_estimate: Decimal | None = None
    vendor_dependency: bool
    vendor_product: str
    vendor_last_checkin: date | None = None
    detected_on: date | None = None
    scheduled_completion: date | None = None
    actual_completion: date | None = None
    status: str
    status_date: date | None = None
    delayed: bool
    residual_risk: str
    depends_on: list[str]
    comments: str
    cves: list[str]
    operational_requirement: bool
    deviation_rationale: str
    kev: bool
    kev_due: date | None = None
    approver: str
    acceptance_rationale: str
    review_date: date | None = None
    closure_proposed: bool
    rmf: dict[str, str | Decimal | bool] = Field(
        description="The RMF risk analysis and Army resource fields that are set (the names "
                    "of ItemFields; ratings very_low ... very_high)")
    milestones: list[MilestoneOut]
    evidence: list[EvidenceOut]


class ItemOut(ItemSummary):
    assets: list[AssetOut]


class ItemPage(Schema):
    items: list[ItemSummary]
    next_cursor: str | None = None


def _text(name: str):
    """An optional text field with the service's limit (services/fields.TEXT_LIMITS)."""
    return Field(default=None, max_length=TEXT_LIMITS[name])
def _amount():
    return Field(default=None, ge=0, max_digits=14, decimal_places=2)


class ItemFields(Input):
    """Editable fields; on update, only the fields sent are changed."""

    title: str | None = _text("title")
    weakness_description: str | None = _text("weakness_description")
    source: SourceName | None = None
    source_identifier: str | None = _text("source_identifier")
    source_detail: str | None = _text("source_detail")
    original_risk: RiskName | None = None
    raw_severity: str | None = _text("raw_severity")
    adjusted_risk: RiskName | Literal[""] | None = None
    risk_adjustment_rationale: str | None = _text("risk_adjustment_rationale")
    planned_remediation: str | None = _text("planned_remediation")
    owner: str | None = Field(default=None, max_length=200,
                              description="A person's name in the organization; '' for none")
    resources_required: str | None = _text("resources_required")
    cost_estimate: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    vendor_dependency: bool | None = None
    vendor_product: str | None = _text("vendor_product")
    vendor_last_checkin: date | None = None
    scheduled_completion: date | None = None
    residual_risk: str | None = _text("residual_risk")
    comments: str | None = _text("comments")
    cves: list[str] | None = Field(default=None, max_length=1000)
    operational_requirement: bool | None = None
    deviation_rationale: str | None = _text("deviation_rationale")
    kev: bool | None = None
    kev_due: date | None = None
    # The RMF risk analysis and the Army's resource columns (openpoam/domain/rmf.py).
    rmf_raw_severity: RatingName | Literal[""] | None = None
    rmf_severity: RatingName | Literal[""] | None = None
    relevance_of_threat: RatingName | Literal[""] | None = None
    threat_description: str | None = _text("threat_description")
    likelihood: RatingName | Literal[""] | None = None
    impact: RatingName | Literal[""] | None = None
    impact_description: str | None = _text("impact_description")
    residual_risk_level: RatingName | Literal[""] | None = None
    recommendations: str | None = _text("recommendations")
    mitigations: str | None = _text("mitigations")
    predisposing_conditions: str | None = _text("predisposing_conditions")
    mitigated_risk: RatingName | Literal[""] | None = None
    cfo_audit: bool | None = None
    personnel_cost_code: str | None = _text("personnel_cost_code")
    personnel_funded_hours: Decimal | None = _amount()
    personnel_unfunded_hours: Decimal | None = _amount()
    personnel_obstacle: str | None = _text("personnel_obstacle")
    personnel_obstacle_other: str | None = _text("personnel_obstacle_other")
    nonpersonnel_cost_code: str | None = _text("nonpersonnel_cost_code")
    nonpersonnel_funded_amount: Decimal | None = _amount()
    nonpersonnel_unfunded_amount: Decimal | None = _amount()
    nonpersonnel_obstacle: str | None = _text("nonpersonnel_obstacle")
    nonpersonnel_obstacle_other: str | None = _text("nonpersonnel_obstacle_other")


class ItemCreate(ItemFields):
    title: str = Field(min_length=1, max_length=TEXT_LIMITS["title"])
    detected_on: date
    controls: list[str] = Field(default=[], max_length=200)
    assets: list[AssetIn] = Field(default=[], max_length=1000)
    depends_on: list[str] = Field(default=[], max_length=500,
                                  description="POA&M IDs this item waits for")


class ItemUpdate(ItemFields):
    version: int = Field(ge=1, description="The version you read; a stale one gets 409")
    justification: str = Field(default="", max_length=10000,
                               description="Why; required to move scheduled_completion")
    controls: list[str] | None = Field(default=None, max_length=200)
    depends_on: list[str] | None = Field(default=None, max_length=500)


class StatusChange(Input):
    status: StatusName
    version: int | None = Field(default=None, ge=1)
    actual_completion: date | None = None
    approver: str = Field(default="", max_length=200)
    rationale: str = Field(default="", max_length=10000)
    review_date: date | None = None
    reason: str = Field(default="", max_length=10000)


class BulkMilestone(Input):
    description: str = Field(min_length=1, max_length=10000)
    due: date | None = None
    owner: str = Field(default="", max_length=200, description="A person's name, or empty")


class BulkChange(ItemUpdate):
    poam_id: str = Field(max_length=30)
    status: StatusChange | None = None
    milestone: BulkMilestone | None = Field(default=None,
                                            description="A milestone to add to the item")


class BulkIn(Input):
    changes: list[BulkChange] = Field(min_length=1, max_length=bulk_edit.MAX_ITEMS)
    justification: str = Field(default="", max_length=10000,
                               description="Why; each item's history keeps it. Required "
                               "unless every change carries its own justification")


class BulkOut(Schema):
    items: list[ItemOut]


class MilestoneIn(Input):
    description: str = Field(min_length=1, max_length=10000)
    due: date | None = None
    owner: str = Field(default="", max_length=200)


class RescheduleIn(Input):
    due: date
    justification: str = Field(max_length=10000)


class CompleteIn(Input):
    completed_on: date


class LinkIn(Input):
    url: str = Field(max_length=2000)
    name: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=10000)
    milestone: int | None = Field(default=None, ge=1)


class HistoryOut(Schema):
    id: int
    at: datetime
    actor: str
    poam_id: str
    item_uuid: str
    entity: str
    entity_uuid: str
    action: str
    field: str
    old: str
    new: str
    justification: str
    import_id: int | None = None


class HistoryPage(Schema):
    events: list[HistoryOut]
    next_cursor: str | None = None


class CountsOut(Schema):
    new: int
    updated: int
    remediated: int
    closed: int
    proposed: int
    recurred: int
    unchanged: int


class ImportOut(Schema):
    """tracker.services.import_result.ImportResult.to_dict (README: "Import results as JSON")."""

    id: int | None = None
    dry_run: bool
    file_name: str
    format: str
    format_label: str = ""
    sha256: str
    scanner: str
    scanner_version: str
    scan_time: datetime | None = None
    findings: int
    dropped: int = 0
    counts: CountsOut
    created: int = 0
    updated: int = 0
    imported_by: str = ""
    imported_at: datetime | None = None
    already_imported_at: datetime | None = None
    # eMASS workbooks: each field changed (item, row, field, old, new); empty otherwise.
    changes: list[dict[str, Any]] = []
    warnings: list[str] = []


class ImportPage(Schema):
    imports: list[ImportOut]
    next_cursor: str | None = None


class IssueOut(Schema):
    code: str
    severity: str
    message: str
    hint: str
    citation: str
    poam_id: str


class ChecksParams(QueryInput):
    today: date | None = Field(default=None, description="Check as of this date")
    emass: bool = Field(default=False, description="Also what eMASS refuses on import "
                        "(always for RMF systems)")
    fail_on: Literal["error", "warning"] = Field(
        default="error", description="Fail on an error-level finding, or on any finding")


class ChecksOut(Schema):
    """reviews.services.quality.gate: also `openpoam check --json`."""

    system: str
    items: int
    errors: int
    warnings: int
    fail_on: str
    passed: bool
    issues: list[IssueOut]


class MetricsOut(Schema):
    total: int
    active: int
    delayed: int
    by_status: dict[str, int]
    progress: dict[str, Any] = Field(description="Open items by risk and age, days to "
                                     "remediate, milestones met on time, slipped dates, "
                                     "burn-down, score trend, forecast")


class AssessmentIn(Input):
    assessment: dict[str, Any] = Field(description="The `openpoam cmmc evaluate` input")
    assessed_on: date | None = None
    assessor: str = Field(default="", max_length=200)
    to_poam: bool = False


class AssessmentOut(Schema):
    id: int
    level: int
    assessment_type: str
    assessed_on: date
    assessor: str
    score: int | None = None
    max_score: int | None = None
    status: str
    recorded_by: str
    created_items: list[str] = []


class AssessmentPage(Schema):
    assessments: list[AssessmentOut]
    next_cursor: str | None = None


class EvaluateIn(Input):
    assessment: dict[str, Any]
    today: date | None = None


class PlanIn(EvaluateIn):
    target: Literal["conditional", "final"] = "conditional"
    costs: dict[str, float] | None = None
