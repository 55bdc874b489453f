"""Named transforms a layout column can use ("value": "transform:<name>").

Each takes (item, milestone or None, document) and returns the cell value.
Vocabularies follow eMASS: POA&M status Ongoing / Risk Accepted / Completed /
Not Applicable; ratings Very Low, Low, Moderate, High, Very High.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from openpoam.domain.poam import MilestoneData, PoamDocument, PoamItemData, Risk, Status

Transform = Callable[[PoamItemData, MilestoneData | None, PoamDocument], object]

EMASS_STATUS = {
    Status.OPEN: "Ongoing", Status.IN_PROGRESS: "Ongoing", Status.REOPENED: "Ongoing",
    Status.COMPLETED: "Completed", Status.RISK_ACCEPTED: "Risk Accepted",
    Status.FALSE_POSITIVE: "Not Applicable",
}
EMASS_RATING = {Risk.LOW: "Low", Risk.MODERATE: "Moderate", Risk.HIGH: "High",
                Risk.CRITICAL: "Very High"}


def designation(item, milestone, document: PoamDocument) -> str:
    return document.system.designation.label


def vulnerability_description(item: PoamItemData, milestone, document) -> str:
    return "\n\n".join(part for part in (item.title, item.weakness_description) if part)


def primary_control(item: PoamItemData, milestone, document) -> str:
    # eMASS takes one control or AP per POA&M item; the others go to Comments.
    return item.controls[0].control_id if item.controls else ""


def security_checks(item: PoamItemData, milestone, document) -> str:
    return ", ".join(part for part in (item.source_identifier, *item.cves) if part)


def poam_status(item: PoamItemData, milestone, document) -> str:
    return EMASS_STATUS[item.status]


def milestone_status(item, milestone: MilestoneData | None, document) -> str:
    if milestone is None:
        return ""
    return "Completed" if milestone.completed_on else "Pending"


def milestone_changes(item, milestone: MilestoneData | None, document) -> str:
    if milestone is None:
        return ""
    return "\n".join(f"{_day(change.old_due)} -> {_day(change.new_due)}: {change.justification}"
                     for change in milestone.changes)


def identification_source(item: PoamItemData, milestone, document) -> str:
    return item.source.label


def office_org(item: PoamItemData, milestone, document: PoamDocument) -> str:
    contact = f"{item.owner} <{item.owner_email}>" if item.owner_email else item.owner
    return ", ".join(part for part in (document.system.organization, contact) if part)


def comments(item: PoamItemData, milestone, document) -> str:
    lines = [item.comments] if item.comments else []
    if len(item.controls) > 1:
        lines.append("Other controls: " + ", ".join(ref.control_id for ref in item.controls[1:]))
    return "\n".join(lines)


def raw_severity(item: PoamItemData, milestone, document) -> str:
    return EMASS_RATING[item.original_risk]


def severity(item: PoamItemData, milestone, document) -> str:
    return EMASS_RATING[item.effective_risk]


def devices_affected(item: PoamItemData, milestone, document) -> str:
    return "\n".join(asset.label for asset in item.assets)


def mitigations(item: PoamItemData, milestone, document) -> str:
    return "\n\n".join(part for part in (item.risk_adjustment_rationale, item.deviation_rationale)
                       if part)


def _day(value: date | None) -> str:
    return value.strftime("%m/%d/%Y") if value else "none"


TRANSFORMS: dict[str, Transform] = {
    name: function for name, function in globals().items()
    if callable(function) and not name.startswith("_") and getattr(function, "__module__", "")
    == __name__
}
