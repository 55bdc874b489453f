"""FedRAMP POA&M rules: remediation deadlines, lateness, vendor dependencies, deviation requests.

Sources (public domain, US Government):

- GUIDE: FedRAMP Plan of Action and Milestones (POA&M) Template Completion Guide,
  version 2.2, 2021-11-23. Page numbers are the printed ones ("|4" in the footer).
- TEMPLATE: FedRAMP POA&M Template v2.1 (2024-03-29), Open POA&M Items sheet,
  column L formula (scheduled completion = detection date + 30/90/180 days).
- DR FORM: FedRAMP Vulnerability Deviation Request Form v2.1 (2024-08-08),
  Instructions sheet and DR Sheet column notes.
- BOD 22-01: CISA Binding Operational Directive 22-01, "Reducing the Significant
  Risk of Known Exploited Vulnerabilities": remediate each catalogued
  vulnerability by the due date the catalog gives.

Every function is pure: today's date is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from openpoam.domain.poam import PoamItemData, Risk

GUIDE = "FedRAMP POA&M Template Completion Guide v2.2"
DR_FORM = "FedRAMP Vulnerability Deviation Request Form v2.1, Instructions"

CITE_DEADLINES = (f"{GUIDE}, section 3 General Requirements, p. 8: high and critical 30 days, "
                  "moderate 90 days, low 180 days; FedRAMP POA&M Template v2.1, column L formula")
CITE_KEV = (f"{GUIDE}, Table 2 column AB (BOD 22-01 tracking), p. 6; CISA BOD 22-01: "
            "the catalog due date applies when it is sooner")
CITE_VENDOR = (f"{GUIDE}, Table 2 column P (Vendor Dependency), p. 4: check in at least every "
               "30 days; not counted late while the fix is pending and the check-in is within "
               "30 days; once released, 30/90/180 days from the vendor's release date")
CITE_CHECKIN = f"{GUIDE}, Table 2 column Q (Last Vendor Check-in Date), p. 4"
CITE_PRODUCT = f"{GUIDE}, Table 2 column R (Vendor Dependent Product Name), p. 5"
CITE_VD_HIGH = (f"{DR_FORM}, note on vendor dependencies: a VD cannot be a high risk; it must be "
                "risk-adjusted to a lower rating with an RA deviation request")
CITE_VD_IN_HOUSE = (f"{DR_FORM}, note on vendor dependencies: a VD cannot be claimed for "
                    "software developed in-house by the CSP's parent organization")
CITE_VD_OR = (f"{DR_FORM}, note on vendor dependencies: a VD can be an OR only in limited "
              "circumstances, with the AO or JAB team")
CITE_RA = (f"{DR_FORM}, Risk Adjustment: a reduction in the scanner-cited risk level through "
           f"compensating controls; {GUIDE}, Table 2 columns T-U, p. 5")
CITE_RA_UP = (f"{GUIDE}, Table 2 column T (Adjusted Risk Rating), p. 5: when the scanner raises "
              "its rating, update the column; no deviation request is necessary")
CITE_FP = (f"{GUIDE}, Table 2 column V (False Positive), p. 5: submit including evidence of the "
           f"FP; {DR_FORM}, False Positive: justified through documented explanation and evidence")
CITE_OR = (f"{DR_FORM}, Operational Requirement: FedRAMP will not approve an OR for a high-risk "
           "vulnerability; reduce the risk and request an RA with the OR (\"OR RA\")")
CITE_OR_OPEN = (f"{GUIDE}, Table 2 column W (Operational Requirement), p. 5: approved ORs remain "
                "on the Open POA&M Items worksheet and must be periodically reassessed")
CITE_OR_IMPACT = ("FedRAMP Vulnerability Deviation Request Form v2.1, DR Sheet column U "
                  "(Operational Impact Statement) and column V (Justification: a Moderate OR not "
                  "mitigated to Low must explain why the AO should accept the risk)")
CITE_RATIONALE = (f"{GUIDE}, Table 2 column X (Deviation Rationale), p. 6: mitigating factors "
                  "and compensating controls for ORs and RAs; evidence for FPs")
CITE_PENDING = (f"{DR_FORM}, Form and Attachment Instructions: an item may be marked Pending "
                "after submitting a DR, but treated differently only after approval")
CITE_FP_CLOSE = f"{GUIDE}, section 2.2 Closed POA&M Items, p. 6"

# GUIDE section 3, p. 8; TEMPLATE column L. The template has no "Critical" rating;
# the guide puts "high and critical risk findings" under the same 30 days.
REMEDIATION_DAYS: dict[Risk, int] = {
    Risk.CRITICAL: 30,
    Risk.HIGH: 30,
    Risk.MODERATE: 90,
    Risk.LOW: 180,
}
VENDOR_CHECKIN_DAYS = 30  # GUIDE column P and Q, p. 4


class Level(StrEnum):
    ERROR = "error"  # breaks a stated rule
    WARNING = "warning"  # likely to be questioned; worth a look


@dataclass(frozen=True, slots=True)
class Issue:
    """One rule a POA&M item or request does not meet. Shared with ``checks``."""

    code: str
    severity: Level
    message: str
    citation: str
    poam_id: str = ""


def _is_high(risk: Risk) -> bool:
    return risk.rank >= Risk.HIGH.rank


# --- deadlines ------------------------------------------------------------------------------


def remediation_deadline(risk: Risk, detected_on: date, kev_due: date | None = None) -> date:
    """The FedRAMP date by which a weakness must be remediated.

    ``detected_on`` is the original detection date (GUIDE column K, which never
    changes). A CISA KEV due date caps the result when it is sooner (BOD 22-01;
    GUIDE column AB warns some are shorter than 30 days).
    """
    deadline = detected_on + timedelta(days=REMEDIATION_DAYS[risk])
    if kev_due is not None and kev_due < deadline:
        return kev_due
    return deadline


def vendor_release_deadline(risk: Risk, released_on: date, kev_due: date | None = None) -> date:
    """Deadline once a vendor releases the fix: 30/90/180 days from the release (GUIDE column P)."""
    return remediation_deadline(risk, released_on, kev_due)


def deadline_risk(original: Risk, adjusted: Risk | None, adjustment_approved: bool) -> Risk:
    """The rating that sets the deadline: the adjusted one only once the AO approved it.

    GUIDE column U, p. 5; TEMPLATE column L uses the adjusted rating only when
    Risk Adjustment is "Yes".
    """
    if adjusted is not None and adjustment_approved:
        return adjusted
    return original


def vendor_checkin_current(last_checkin: date | None, on: date) -> bool:
    """A check-in within the last 30 days before ``on`` (the POA&M submission date)."""
    if last_checkin is None or last_checkin > on:
        return False
    return (on - last_checkin).days <= VENDOR_CHECKIN_DAYS


class Basis(StrEnum):
    STANDARD = "standard"  # detection date + 30/90/180
    KEV = "kev"  # capped by the CISA KEV due date
    VENDOR_RELEASE = "vendor_release"  # vendor's release date + 30/90/180
    VENDOR_PENDING = "vendor_pending"  # fix not released, check-in current: not late
    OPERATIONAL_REQUIREMENT = "operational_requirement"  # approved OR: no remediation date
    FALSE_POSITIVE = "false_positive"  # approved FP: may be closed
    NO_DETECTION_DATE = "no_detection_date"


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    deadline: date | None
    late: bool
    days_left: int | None  # negative when overdue; None without a deadline
    basis: Basis
    message: str
    citation: str


def deadline_status(risk: Risk, detected_on: date | None, today: date, *,
                    kev_due: date | None = None, completed_on: date | None = None,
                    vendor_dependency: bool = False, vendor_last_checkin: date | None = None,
                    vendor_released_on: date | None = None,
                    operational_requirement_approved: bool = False,
                    false_positive_approved: bool = False) -> DeadlineStatus:
    """Whether a weakness is (or was) remediated late, by FedRAMP's rules.

    ``risk`` is the rating that sets the deadline (see ``deadline_risk``).
    ``completed_on``: for a closed item, lateness is judged on that date.
    ``today`` stands for the POA&M submission date in the vendor check-in rule.
    """
    if false_positive_approved:
        return DeadlineStatus(None, False, None, Basis.FALSE_POSITIVE,
                              "approved false positive: the item may be closed", CITE_FP_CLOSE)
    if operational_requirement_approved:
        return DeadlineStatus(None, False, None, Basis.OPERATIONAL_REQUIREMENT,
                              "approved operational requirement: stays open and is "
                              "reassessed periodically", CITE_OR_OPEN)
    if vendor_dependency and vendor_released_on is None and not _is_high(risk):
        if vendor_checkin_current(vendor_last_checkin, today):
            return DeadlineStatus(None, False, None, Basis.VENDOR_PENDING,
                                  "vendor fix pending and vendor check-in within 30 days: "
                                  "not counted late", CITE_VENDOR)
    if detected_on is None:
        return DeadlineStatus(None, False, None, Basis.NO_DETECTION_DATE,
                              "no original detection date: the deadline cannot be computed",
                              CITE_DEADLINES)
    deadline, basis, citation = _deadline_and_basis(risk, detected_on, kev_due,
                                                    vendor_dependency, vendor_released_on)
    judged_on = completed_on or today
    late = judged_on > deadline
    days_left = (deadline - today).days if completed_on is None else None
    return DeadlineStatus(deadline, late, days_left, basis,
                          _lateness_message(risk, deadline, late, completed_on), citation)


def _deadline_and_basis(risk: Risk, detected_on: date, kev_due: date | None,
                        vendor_dependency: bool,
                        released_on: date | None) -> tuple[date, Basis, str]:
    if vendor_dependency and released_on is not None:
        start, basis, citation = released_on, Basis.VENDOR_RELEASE, CITE_VENDOR
    else:
        start, basis, citation = detected_on, Basis.STANDARD, CITE_DEADLINES
    standard = remediation_deadline(risk, start)
    deadline = remediation_deadline(risk, start, kev_due)
    if deadline != standard:
        return deadline, Basis.KEV, CITE_KEV
    return deadline, basis, citation


def _lateness_message(risk: Risk, deadline: date, late: bool, completed_on: date | None) -> str:
    days = REMEDIATION_DAYS[risk]
    if completed_on is not None:
        verb = "remediated late" if late else "remediated in time"
        return f"{verb}: due {deadline.isoformat()}, completed {completed_on.isoformat()}"
    if late:
        return f"late: {risk.label} risk was due {deadline.isoformat()} ({days}-day limit)"
    return f"due {deadline.isoformat()} ({risk.label} risk, {days}-day limit)"


def item_deadline_status(item: PoamItemData, today: date, *,
                         vendor_released_on: date | None = None) -> DeadlineStatus:
    """``deadline_status`` for a POA&M item.

    Reads the tracker's recorded state as approved: ``adjusted_risk``,
    ``operational_requirement`` and ``false_positive`` are set on an item
    only once the AO approved the deviation (a pending request leaves them
    unset). The vendor's release date is not a POA&M field (the guide puts it
    in the comments, column P), so it is an argument.
    """
    completed_on = item.actual_completion if item.status.is_closed else None
    return deadline_status(item.effective_risk, item.detected_on, today,
                           kev_due=item.kev_due, completed_on=completed_on,
                           vendor_dependency=item.vendor_dependency,
                           vendor_last_checkin=item.vendor_last_checkin,
                           vendor_released_on=vendor_released_on,
                           operational_requirement_approved=item.operational_requirement,
                           false_positive_approved=item.false_positive)


def required_on_poam(*, from_scanner: bool, late: bool, deviation_requested: bool) -> bool:
    """Whether FedRAMP requires the weakness on the Open POA&M Items sheet.

    GUIDE section 3, p. 8 and its footnote 1: scanner findings need an entry
    once they are late or when a deviation request is submitted; findings from
    any other source (interviews, penetration tests) always do. An AO may ask
    for every open risk anyway, so callers offer this as a filter, not a rule.
    """
    return not from_scanner or late or deviation_requested


# --- vendor dependencies --------------------------------------------------------------------


def check_vendor_dependency(risk: Risk, today: date, *, product: str,
                            last_checkin: date | None, in_house: bool = False,
                            operational_requirement: bool = False,
                            poam_id: str = "") -> list[Issue]:
    """Rules a vendor-dependent item must meet; empty when it meets them all.

    ``risk`` is the current (approved) rating.
    """
    issues: list[Issue] = []
    if in_house:
        issues.append(Issue("vendor-in-house", Level.ERROR,
                            "a vendor dependency cannot be claimed for software developed "
                            "in-house by the parent organization", CITE_VD_IN_HOUSE, poam_id))
    if not product.strip():
        issues.append(Issue("vendor-no-product", Level.ERROR,
                            "name the product the vendor is responsible for", CITE_PRODUCT,
                            poam_id))
    issues.extend(_checkin_issues(last_checkin, today, poam_id))
    if _is_high(risk):
        issues.append(Issue("vendor-high-risk", Level.ERROR,
                            f"a vendor dependency cannot stay {risk.label}: risk-adjust it to a "
                            "lower rating with a Risk Adjustment deviation request",
                            CITE_VD_HIGH, poam_id))
    if operational_requirement:
        issues.append(Issue("vendor-operational-requirement", Level.WARNING,
                            "a vendor dependency is an operational requirement only in limited "
                            "circumstances agreed with the AO", CITE_VD_OR, poam_id))
    return issues


def _checkin_issues(last_checkin: date | None, today: date, poam_id: str) -> list[Issue]:
    if last_checkin is None:
        return [Issue("vendor-no-checkin", Level.ERROR,
                      "record the date of the last vendor check-in (at least every 30 days)",
                      CITE_CHECKIN, poam_id)]
    if last_checkin > today:
        return [Issue("vendor-checkin-future", Level.ERROR,
                      f"the last vendor check-in date {last_checkin.isoformat()} is in the "
                      "future", CITE_CHECKIN, poam_id)]
    age = (today - last_checkin).days
    if age > VENDOR_CHECKIN_DAYS:
        return [Issue("vendor-checkin-stale", Level.ERROR,
                      f"last vendor check-in {last_checkin.isoformat()}, more than 30 days "
                      "ago: the item counts as late again", CITE_VENDOR, poam_id)]
    return []


# --- deviation requests ---------------------------------------------------------------------


class DeviationType(StrEnum):
    """The DR form's "Type of DR" list (DR Sheet column N)."""

    FALSE_POSITIVE = "FP"
    OPERATIONAL_REQUIREMENT = "OR"
    RISK_ADJUSTMENT = "RA"
    OPERATIONAL_REQUIREMENT_RISK_ADJUSTED = "OR RA"

    @property
    def adjusts_risk(self) -> bool:
        return self in (DeviationType.RISK_ADJUSTMENT,
                        DeviationType.OPERATIONAL_REQUIREMENT_RISK_ADJUSTED)

    @property
    def is_operational(self) -> bool:
        return self in (DeviationType.OPERATIONAL_REQUIREMENT,
                        DeviationType.OPERATIONAL_REQUIREMENT_RISK_ADJUSTED)


class DeviationStatus(StrEnum):
    """The DR form's "Deviation Status" list (DR Sheet column AP)."""

    PENDING = "Pending"
    NOT_APPLICABLE = "N/A"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    WITHDRAWN = "Withdrawn"

    @property
    def poam_value(self) -> str:
        """What the POA&M's Yes/No/Pending columns (U, V, W) show for this status.

        GUIDE columns U-W, p. 5: "Pending" once submitted, "Yes" when the AO
        approves, "No" when denied or not requested.
        """
        return {DeviationStatus.PENDING: "Pending",
                DeviationStatus.APPROVED: "Yes"}.get(self, "No")


@dataclass(frozen=True, slots=True)
class DeviationRequest:
    kind: DeviationType
    original_risk: Risk  # the scanner-cited rating (DR Sheet column H)
    rationale: str = ""  # DR Sheet column R / POA&M column X
    requested_risk: Risk | None = None  # DR Sheet column O, for RA and OR RA
    evidence: tuple[str, ...] = ()  # attachments: FP evidence, risk reduction evidence
    operational_impact: str = ""  # DR Sheet column U, for OR and OR RA
    justification: str = ""  # DR Sheet column V: Moderate OR not mitigated to Low
    vendor_dependency: bool = False
    in_house_software: bool = False
    poam_id: str = ""

    @property
    def resulting_risk(self) -> Risk:
        if self.kind.adjusts_risk and self.requested_risk is not None:
            return self.requested_risk
        return self.original_risk


def check_deviation_request(request: DeviationRequest) -> list[Issue]:
    """Everything that would keep this deviation request from being complete or approvable."""
    issues: list[Issue] = []
    if not request.rationale.strip():
        issues.append(_issue(request, "dr-no-rationale", Level.ERROR,
                             "give the rationale for the deviation request", CITE_RATIONALE))
    if request.kind is DeviationType.FALSE_POSITIVE:
        issues.extend(_false_positive_issues(request))
    if request.kind.adjusts_risk:
        issues.extend(_risk_adjustment_issues(request))
    if request.kind.is_operational:
        issues.extend(_operational_issues(request))
    if request.vendor_dependency:
        issues.extend(_vendor_request_issues(request))
    return issues


def _issue(request: DeviationRequest, code: str, level: Level, message: str,
           citation: str) -> Issue:
    return Issue(code, level, message, citation, request.poam_id)


def _false_positive_issues(request: DeviationRequest) -> list[Issue]:
    if request.evidence:
        return []
    return [_issue(request, "dr-fp-no-evidence", Level.ERROR,
                   "a false positive needs evidence (for example a clean scan or "
                   "configuration screenshot)", CITE_FP)]


def _risk_adjustment_issues(request: DeviationRequest) -> list[Issue]:
    requested = request.requested_risk
    if requested is None:
        return [_issue(request, "dr-ra-no-risk", Level.ERROR,
                       "name the requested (adjusted) risk rating", CITE_RA)]
    if requested.rank > request.original_risk.rank:
        return [_issue(request, "dr-ra-raises-risk", Level.ERROR,
                       "raising a rating is not a deviation: record the higher rating as the "
                       "adjusted risk directly", CITE_RA_UP)]
    if requested == request.original_risk:
        return [_issue(request, "dr-ra-not-lower", Level.ERROR,
                       f"the requested rating must be lower than {request.original_risk.label}",
                       CITE_RA)]
    if not request.evidence:
        return [_issue(request, "dr-ra-no-evidence", Level.WARNING,
                       "list the evidence of the compensating controls that reduce the risk",
                       CITE_RA)]
    return []


def _operational_issues(request: DeviationRequest) -> list[Issue]:
    issues: list[Issue] = []
    risk = request.resulting_risk
    if _is_high(risk):
        hint = ("reduce the risk and request an OR RA" if request.kind is
                DeviationType.OPERATIONAL_REQUIREMENT else "request a rating below High")
        issues.append(_issue(request, "dr-or-high-risk", Level.ERROR,
                             f"FedRAMP does not approve an operational requirement for a "
                             f"{risk.label} risk: {hint}", CITE_OR))
    if not request.operational_impact.strip():
        issues.append(_issue(request, "dr-or-no-impact", Level.ERROR,
                             "explain what prevents the fix and the operational impact of "
                             "remediating", CITE_OR_IMPACT))
    if risk is Risk.MODERATE and not request.justification.strip():
        issues.append(_issue(request, "dr-or-no-justification", Level.ERROR,
                             "a Moderate operational requirement not mitigated to Low must "
                             "justify why the AO should accept the risk", CITE_OR_IMPACT))
    return issues


def _vendor_request_issues(request: DeviationRequest) -> list[Issue]:
    issues: list[Issue] = []
    if request.in_house_software:
        issues.append(_issue(request, "vendor-in-house", Level.ERROR,
                             "a vendor dependency cannot be claimed for in-house software",
                             CITE_VD_IN_HOUSE))
    if _is_high(request.original_risk) and not request.kind.adjusts_risk:
        issues.append(_issue(request, "vendor-high-risk", Level.ERROR,
                             "a High vendor dependency needs a Risk Adjustment (RA) request",
                             CITE_VD_HIGH))
    if request.kind.is_operational:
        issues.append(_issue(request, "vendor-operational-requirement", Level.WARNING,
                             "a vendor dependency is an operational requirement only in limited "
                             "circumstances agreed with the AO", CITE_VD_OR))
    return issues


def may_apply_deviation(status: DeviationStatus) -> bool:
    """Only an approved request changes how the weakness is treated (CITE_PENDING)."""
    return status is DeviationStatus.APPROVED
