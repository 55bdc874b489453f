"""What each eMASS column holds, both ways: the value an item (and milestone) writes, and
the item field a read cell goes back to.

Columns are known by their header text (compared loosely, ``normal``), so the four
service layouts share one table: the Navy, Marine Corps and Army headers, and the legacy
layout's older names ("Status", "Scheduled Completion Date", "Source Identifying
Vulnerability"). Vocabularies follow the templates' Instructions sheets: POA&M status
Ongoing / Risk Accepted / Completed / Not Applicable; ratings Very Low ... Very High; ";"
between several controls or security checks; Office/Org as "Org, First Last, Phone, Email".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from openpoam.domain.emass_checks import EMASS_STATUS, description, office_org
from openpoam.domain.poam import MilestoneData, PoamDocument, PoamItemData, Risk, Status
from openpoam.domain.rmf import BOOL, RATING, RMF_FIELDS, rating_label

Value = Callable[[PoamItemData, MilestoneData | None, PoamDocument], object]

STATUS_FROM_EMASS = {"ongoing": Status.OPEN, "completed": Status.COMPLETED,
                     "riskaccepted": Status.RISK_ACCEPTED, "notapplicable": Status.FALSE_POSITIVE,
                     "na": Status.FALSE_POSITIVE}
# Our four-step risk on eMASS's five-step scale (when no RMF rating was entered).
RISK_RATING = {Risk.LOW: "Low", Risk.MODERATE: "Moderate", Risk.HIGH: "High",
               Risk.CRITICAL: "Very High"}
MILESTONE_ID = "milestoneid"
_CVE = re.compile(r"^CVE-\d{4}-\d+$", re.IGNORECASE)


def normal(text: object) -> str:
    """Header text compared loosely: case, spaces, punctuation and line breaks ignored."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


@dataclass(frozen=True)
class Column:
    value: Value
    field: str = ""  # the item field an import updates ("" when not imported)
    item_level: bool = True  # False: differs per milestone row


def split_list(text: str) -> list[str]:
    """Several controls or checks: ";" per the Instructions, "," and line breaks accepted."""
    return [part.strip() for part in re.split(r"[;,\n]", text or "") if part.strip()]


def _description(item: PoamItemData, milestone, document) -> str:
    return description(item)


def controls(item: PoamItemData, milestone, document) -> str:
    return "; ".join(ref.control_id for ref in item.controls)


def security_checks(item: PoamItemData, milestone, document) -> str:
    return "; ".join(part for part in (item.source_identifier, *item.cves) if part)


def _office_org(item: PoamItemData, milestone, document: PoamDocument) -> str:
    return office_org(document.system.organization, item)


def raw_severity(item: PoamItemData, milestone, document) -> str:
    return rating_label(item.rmf.get("rmf_raw_severity", "")) or RISK_RATING[item.original_risk]


def severity(item: PoamItemData, milestone, document) -> str:
    return rating_label(item.rmf.get("rmf_severity", "")) or RISK_RATING[item.effective_risk]


def milestone_status(item, milestone: MilestoneData | None, document) -> str:
    if milestone is None:
        return ""
    return "Completed" if milestone.completed_on else "Pending"


def milestone_comments(item, milestone: MilestoneData | None, document) -> str:
    if milestone is None:
        return ""
    lines = [f"Closed as not needed: {milestone.not_needed_reason}"] \
        if milestone.not_needed_reason else []
    lines += [f"{_day(c.old_due)} -> {_day(c.new_due)}: {c.justification}"
              for c in milestone.changes]
    return "\n".join(lines)


def milestone_with_dates(item, milestone: MilestoneData | None, document) -> str:
    """The legacy layout's one milestone column: "description (MM/DD/YYYY)", the scheduled
    date, with "; completed MM/DD/YYYY" once done (the reader takes both back)."""
    if milestone is None:
        return ""
    dates = _day(milestone.current_due) if milestone.current_due else ""
    if milestone.completed_on:
        dates = f"{dates}; completed {_day(milestone.completed_on)}".lstrip("; ")
    return f"{milestone.description} ({dates})" if dates else milestone.description


def _day(value: date | None) -> str:
    return value.strftime("%m/%d/%Y") if value else "none"


def _item(name: str) -> Value:
    return lambda item, milestone, document: getattr(item, name)


def _milestone(name: str) -> Value:
    return lambda item, milestone, document: getattr(milestone, name) if milestone else None


def _rmf(name: str, kind: str) -> Value:
    if kind == RATING:
        return lambda item, milestone, document: rating_label(item.rmf.get(name, ""))
    if kind == BOOL:
        return lambda item, milestone, document: "Yes" if item.rmf.get(name) else ""
    return lambda item, milestone, document: item.rmf.get(name)


def _status(item: PoamItemData, milestone, document) -> str:
    return EMASS_STATUS[item.status]


def _source(item: PoamItemData, milestone, document) -> str:
    return item.source.label


def _devices(item: PoamItemData, milestone, document) -> str:
    return "\n".join(asset.label for asset in item.assets)


COLUMNS: dict[str, Column] = {
    "poamitemid": Column(_item("poam_id")),
    "controlvulnerabilitydescription": Column(_description, "description"),
    "controlsaps": Column(controls, "controls"),
    "securitychecks": Column(security_checks, "security_checks"),
    "poamstatus": Column(_status, "status"),
    "status": Column(_status, "status"),  # legacy
    "poamscheduledcompletiondate": Column(_item("scheduled_completion"), "scheduled_completion"),
    "scheduledcompletiondate": Column(_item("scheduled_completion"), "scheduled_completion"),
    "poamrequestedriskacceptedexpirationdate": Column(lambda i, m, d: None),
    "poamcompletiondate": Column(_item("actual_completion"), "actual_completion"),
    MILESTONE_ID: Column(_milestone("sequence"), "milestones", item_level=False),
    "milestonedescription": Column(_milestone("description"), "milestones", item_level=False),
    "milestonestatus": Column(milestone_status, "milestones", item_level=False),
    "milestonestatuscomments": Column(milestone_comments, item_level=False),
    "milestonescheduledcompletiondate": Column(_milestone("current_due"), "milestones",
                                               item_level=False),
    "milestonecompletiondate": Column(_milestone("completed_on"), "milestones", item_level=False),
    "milestonewithcompletiondates": Column(milestone_with_dates, "milestones",
                                           item_level=False),  # legacy
    "milestonechanges": Column(milestone_comments, item_level=False),  # legacy
    "identificationsource": Column(_source, "source"),
    "sourceidentifyingvulnerability": Column(_source, "source"),  # legacy
    "identificationsourcedetails": Column(_item("source_detail"), "source_detail"),
    "officeorg": Column(_office_org, "owner"),
    "resourcesrequired": Column(_item("resources_required"), "resources_required"),
    "comments": Column(_item("comments"), "comments"),
    "devicesaffected": Column(_devices),
    "rawseverity": Column(raw_severity, "rmf_raw_severity"),
    "severity": Column(severity, "rmf_severity"),
}
for _field in RMF_FIELDS:
    COLUMNS.setdefault(normal(_field.label), Column(_rmf(_field.name, _field.kind), _field.name))
# "Mitigations (in-house and in conjunction with the Navy CSSP)" in the Navy layouts.
MITIGATIONS = COLUMNS[normal("Mitigations")]


def column_for(header: str) -> Column | None:
    key = normal(header)
    if key.startswith("mitigations"):
        return MITIGATIONS
    return COLUMNS.get(key)


# Metadata labels of rows 2-6 -> the value (the legacy layout says "DoD IT Registration No").
def metadata_value(label: str, document: PoamDocument) -> object:
    emass = document.system.emass
    values = {
        "dateexported": document.generated_at.date() if document.generated_at else None,
        "exportedby": document.generated_by,
        "ccsafa": emass.get("component", ""),
        "systemprojectname": document.system.name,
        "dowitregistrationno": emass.get("registration", ""),
        "doditregistrationno": emass.get("registration", ""),
        "systemtype": emass.get("system_type", ""),
        "ombprojectid": emass.get("omb_project_id", ""),
        "pocname": emass.get("poc_name", ""),
        "pocphone": emass.get("poc_phone", ""),
        "pocemail": emass.get("poc_email", ""),
        "securitycosts": emass.get("security_costs", ""),
    }
    return values.get(normal(label), KeyError)
