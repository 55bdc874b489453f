"""What eMASS refuses on import, checked before a workbook is written (and in ``check``).

Rules, as each eMASS POA&M template's Instructions sheet states them ("Situational
Awareness" numbers; data/SOURCES.md of openpoam/formats/emass_xlsx):

- 10: an Ongoing item needs Status, Scheduled Completion Date, Office/Org, Vulnerability
  Description, Resources Required and Identification Source, and at least one milestone.
- 11: a Risk Accepted item needs Office/Org, Vulnerability Description, Resources Required,
  Comments and Identification Source; milestones are not allowed.
- 12: a Completed item needs what 10 needs plus Comments; at least one milestone, every
  milestone completed.
- 15: each milestone needs a description, a status and a scheduled completion date; a
  completed one its completion date.
- 16: for an unapproved item a milestone's date cannot exceed the item's scheduled date.
- 5 (field list) / 8-9: Security Checks should not be blank; several are separated by ";".
- 7 / 17: Office/Org is "Organization, First Last, Phone, Email", at least the organization.
Field limits: the eMASS REST API POA&M fields (mitre/emasser
lib/emasser/help/poam_post_mapper.md): 2,000 characters for descriptions, comments,
mitigations and milestones, 100 for the point of contact, 250 for resources.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpoam.domain.fedramp import Issue, Level
from openpoam.domain.poam import PoamItemData, Status
from openpoam.domain.rmf import POC_LIMIT, RESOURCES_LIMIT, RMF_FIELDS, TEXT, TEXT_LIMIT

CITE = "eMASS POA&M template, Instructions sheet"
EMASS_STATUS = {
    Status.OPEN: "Ongoing", Status.IN_PROGRESS: "Ongoing", Status.REOPENED: "Ongoing",
    Status.COMPLETED: "Completed", Status.RISK_ACCEPTED: "Risk Accepted",
    Status.FALSE_POSITIVE: "Not Applicable",
}
STATUSES = ("Ongoing", "Risk Accepted", "Completed", "Not Applicable")


def description(item: PoamItemData) -> str:
    """The Control Vulnerability Description cell: title, a blank line, the description."""
    return "\n\n".join(part for part in (item.title, item.weakness_description) if part)


def office_org(organization: str, item: PoamItemData) -> str:
    """"Organization, First Last, Phone, Email" (rule 17): no phone is kept per person, so
    the owner's part is name and e-mail; commas inside a part would split it, so go."""
    parts = [organization, item.owner, item.owner_email]
    return ", ".join(part.replace(",", " ").strip() for part in parts if part)


def check_item(item: PoamItemData, organization: str = "") -> list[Issue]:
    status = EMASS_STATUS[item.status]
    issues = _required(item, status, organization)
    issues += _milestones(item, status)
    issues += _limits(item, organization)
    if "," in item.source_identifier:
        issues.append(_issue(item, "emass-check-separator", Level.WARNING,
                             "Security Checks: separate several checks with \";\", not \",\"",
                             "rule 9"))
    return issues


def check_document(items: Iterable[PoamItemData], organization: str = "") -> list[Issue]:
    return [issue for item in items for issue in check_item(item, organization)]


def _issue(item: PoamItemData, code: str, level: Level, message: str, rule: str) -> Issue:
    return Issue(code, level, f"{message} (eMASS {rule})",
                 f"{CITE}, {rule}", item.poam_id)


def _required(item: PoamItemData, status: str, organization: str) -> list[Issue]:
    if status == "Not Applicable":
        return []
    rule = {"Ongoing": "rule 10", "Risk Accepted": "rule 11", "Completed": "rule 12"}[status]
    needed = {"Office/Org": office_org(organization, item) if organization else item.owner,
              "Control Vulnerability Description": description(item),
              "Resources Required": item.resources_required,
              "Identification Source": item.source.label}
    if status != "Risk Accepted":
        needed["POA&M Scheduled Completion Date"] = item.scheduled_completion
    if status != "Ongoing":
        needed["Comments"] = item.comments
    issues = [_issue(item, "emass-required", Level.ERROR,
                     f"{_article(status)} {status} item needs {name}", rule)
              for name, value in needed.items() if not value]
    if not (item.source_identifier or item.cves):
        issues.append(_issue(item, "emass-security-checks", Level.WARNING,
                             "Security Checks is blank (a STIG rule, IAVM or plugin ID)",
                             "rule 5"))
    return issues


def _milestones(item: PoamItemData, status: str) -> list[Issue]:
    issues = []
    if status in ("Ongoing", "Completed") and not item.milestones:
        issues.append(_issue(item, "emass-milestone-needed", Level.ERROR,
                             f"{_article(status)} {status} item needs at least one milestone",
                             "rule 10" if status == "Ongoing" else "rule 12"))
    if status == "Risk Accepted" and item.milestones:
        issues.append(_issue(item, "emass-milestone-not-allowed", Level.ERROR,
                             "milestones are not allowed on a Risk Accepted item", "rule 11"))
    for milestone in item.milestones:
        name = f"milestone {milestone.sequence}"
        if not milestone.description.strip():
            issues.append(_issue(item, "emass-milestone-field", Level.ERROR,
                                 f"{name} needs a description", "rule 15"))
        if not milestone.current_due:
            issues.append(_issue(item, "emass-milestone-field", Level.ERROR,
                                 f"{name} needs a scheduled completion date", "rule 15"))
        if status == "Completed" and not milestone.completed_on:
            issues.append(_issue(item, "emass-milestone-open", Level.ERROR,
                                 f"{name} is not completed on a Completed item", "rule 12"))
        if (milestone.current_due and item.scheduled_completion and not milestone.completed_on
                and milestone.current_due > item.scheduled_completion):
            issues.append(_issue(item, "emass-milestone-after-item", Level.WARNING,
                                 f"{name} is due after the item's scheduled completion date "
                                 "(allowed only for items approved in eMASS)", "rule 16"))
        if len(milestone.description) > TEXT_LIMIT:
            issues.append(_too_long(item, f"{name} description", len(milestone.description),
                                    TEXT_LIMIT))
    return issues


def _limits(item: PoamItemData, organization: str) -> list[Issue]:
    texts = [("Control Vulnerability Description", description(item), TEXT_LIMIT),
             ("Comments", item.comments, TEXT_LIMIT),
             ("Resources Required", item.resources_required, RESOURCES_LIMIT),
             ("Office/Org", office_org(organization, item), POC_LIMIT)]
    texts += [(field.label, str(item.rmf.get(field.name, "")), field.limit)
              for field in RMF_FIELDS if field.kind == TEXT and field.limit]
    return [_too_long(item, name, len(text), limit) for name, text, limit in texts
            if len(text) > limit]


def _too_long(item: PoamItemData, name: str, length: int, limit: int) -> Issue:
    return _issue(item, "emass-too-long", Level.ERROR,
                  f"{name} has {length:,} characters; eMASS takes {limit:,}",
                  "field limits (eMASS REST API)")


def _article(word: str) -> str:
    return "an" if word[0] in "AEIOU" else "a"
