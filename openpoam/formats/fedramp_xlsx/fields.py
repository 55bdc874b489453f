"""POA&M item <-> FedRAMP workbook cells, in the formats of the completion guide.

Text formats (template row 7 and Table 2 of the CSP POA&M Template Completion
Guide v2.2):
- Planned Milestones: "(1) 2026-01-20: Description", milestones separated by a
  blank line; the date is the milestone's original due date ("Planned
  Milestone entries shall not change once they are recorded").
- Milestone Changes: "(2) Update 2026-03-15: Why the date moved",
  "(1) Complete 2026-01-18: Milestone completed", "(3) New 2026-04-01: ...",
  separated by a blank line.
- Asset Identifier: one asset per line, "identifier (port/protocol)".
- Deviation Rationale: "Deviation Type : Rationale" blocks.
- Supporting Documents: one "Document Type : Document Name" per line.

Fields the workbook has no column for (uuid, the Source enum when a detector
name is given, raw severity, cost, actual completion of open items, residual
risk, dependencies, history, evidence hashes, milestone owners, and the time
and author of a due-date change) are not written and so not read back.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, time, timezone

from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, DueDateChange, EvidenceData,
                                  MilestoneData, PoamItemData, Risk, Source, SystemData)
from openpoam.formats.fedramp_xlsx import layout as L

Cell = str | date | None

# --- export -----------------------------------------------------------------------------


def item_cells(item: PoamItemData, system: SystemData) -> dict[str, Cell]:
    """The value of each template column (by header text) for one item."""
    return {
        L.POAM_ID: item.poam_id,
        L.CONTROLS: ", ".join(ref.control_id for ref in item.controls),
        L.WEAKNESS_NAME: item.title,
        L.WEAKNESS_DESCRIPTION: item.weakness_description,
        L.DETECTOR_SOURCE: item.source_detail or item.source.label,
        L.SOURCE_IDENTIFIER: item.source_identifier,
        L.ASSET_IDENTIFIER: "\n".join(asset_text(asset) for asset in item.assets),
        L.POINT_OF_CONTACT: contact_text(item.owner, item.owner_email),
        L.RESOURCES_REQUIRED: item.resources_required,
        L.REMEDIATION_PLAN: item.planned_remediation,
        L.DETECTION_DATE: item.detected_on,
        L.SCHEDULED_COMPLETION: item.scheduled_completion,
        L.PLANNED_MILESTONES: planned_milestones_text(item.milestones),
        L.MILESTONE_CHANGES: milestone_changes_text(item.milestones),
        L.STATUS_DATE: item.status_date or item.actual_completion,
        L.VENDOR_DEPENDENCY: yes_no(item.vendor_dependency),
        L.VENDOR_CHECKIN: item.vendor_last_checkin,
        L.VENDOR_PRODUCT: item.vendor_product,
        L.ORIGINAL_RISK: rating(item.original_risk),
        L.ADJUSTED_RISK: rating(item.adjusted_risk) if item.adjusted_risk else "N/A",
        L.RISK_ADJUSTMENT: yes_no(item.adjusted_risk is not None),
        L.FALSE_POSITIVE: yes_no(item.false_positive),
        L.OPERATIONAL_REQUIREMENT: yes_no(item.operational_requirement),
        L.DEVIATION_RATIONALE: deviation_text(item),
        L.SUPPORTING_DOCUMENTS: "\n".join(document_line(doc) for doc in item.evidence),
        L.COMMENTS: item.comments,
        L.AUTO_APPROVE: "",  # JAB-approved automatic downgrades: OpenPOAM has no such field
        L.BOD_TRACKING: yes_no(item.kev),
        L.BOD_DUE_DATE: item.kev_due,
        L.CVE: "\n".join(item.cves),
        L.SERVICE_NAME: system.name,
    }


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def rating(risk: Risk) -> str:
    # The template's list holds Low, Moderate, High; the guide groups "high and critical".
    return "High" if risk is Risk.CRITICAL else risk.label


def asset_text(asset: AffectedAsset) -> str:
    base = asset.name or asset.fqdn or asset.ip
    if not asset.port:
        return base
    return f"{base} ({asset.port}/{asset.protocol})" if asset.protocol else f"{base} ({asset.port})"


def contact_text(owner: str, email: str) -> str:
    return f"{owner} <{email}>" if email else owner


def _one_paragraph(text: str) -> str:
    # A blank line separates milestones, so one milestone's text keeps none.
    return re.sub(r"\n\s*\n", "\n", text.strip())


def _dated(prefix: str, day: date | None, text: str) -> str:
    return f"{prefix} {day.isoformat()}: {text}" if day else f"{prefix}: {text}"


def planned_milestones_text(milestones: list[MilestoneData]) -> str:
    return "\n\n".join(
        _dated(f"({m.sequence})", m.original_due or m.current_due, _one_paragraph(m.description))
        for m in sorted(milestones, key=lambda m: m.sequence))


def milestone_changes_text(milestones: list[MilestoneData]) -> str:
    entries = []
    for m in sorted(milestones, key=lambda m: m.sequence):
        for change in m.changes:
            entries.append(_dated(f"({m.sequence}) Update", change.new_due,
                                  _one_paragraph(change.justification)))
        if m.completed_on:
            done = (f"Closed as not needed: {_one_paragraph(m.not_needed_reason)}"
                    if m.not_needed_reason else "Milestone completed")
            entries.append(_dated(f"({m.sequence}) Complete", m.completed_on, done))
    return "\n\n".join(entries)


DEVIATION_TYPES = ("Risk Adjustment", "False Positive", "Operational Requirement")


def deviation_text(item: PoamItemData) -> str:
    blocks = []
    if item.risk_adjustment_rationale:
        blocks.append(f"Risk Adjustment : {item.risk_adjustment_rationale}")
    if item.deviation_rationale:
        kind = ("False Positive" if item.false_positive
                else "Operational Requirement" if item.operational_requirement else "")
        blocks.append(f"{kind} : {item.deviation_rationale}" if kind else item.deviation_rationale)
    return "\n\n".join(blocks)


def document_line(doc: EvidenceData) -> str:
    line = f"{doc.description or 'Evidence'} : {doc.name}"
    return f"{line} <{doc.url}>" if doc.url else line


# --- import -----------------------------------------------------------------------------

_DATE_TEXT = r"\d{1,4}[\\/\-]\d{1,2}[\\/\-]\d{1,4}"
_PLANNED = re.compile(rf"^\((\d+)\)\s*(?:({_DATE_TEXT})\s*)?:?\s*(.*)$", re.DOTALL)
_CHANGE = re.compile(rf"^\((\d+)\)\s*(new|update|complete)\s*(?:({_DATE_TEXT})\s*)?:?\s*(.*)$",
                     re.DOTALL | re.IGNORECASE)
_ASSET = re.compile(r"^(.*?)\s*\((\d+)(?:/([A-Za-z0-9]+))?\)$")
_CONTACT = re.compile(r"^(.*?)\s*<([^<>\s]+@[^<>\s]+)>$")
_DOCUMENT_URL = re.compile(r"^(.*?)\s*<(\S+)>$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class CellProblem(ValueError):
    """A value the importer cannot take; reported as a row warning."""


def parse_date_text(text: str) -> date:
    """A milestone or cell date: ISO, Y/M/D or the US M/D/Y the template shows."""
    parts = re.split(r"[\\/\-]", text.strip())
    try:
        numbers = [int(part) for part in parts]
        if len(numbers) != 3:
            raise ValueError
        if len(parts[0]) == 4:
            return date(numbers[0], numbers[1], numbers[2])
        year = numbers[2] + 2000 if numbers[2] < 100 else numbers[2]
        return date(year, numbers[0], numbers[1])
    except ValueError:
        raise CellProblem(f"{text!r} is not a date") from None


def parse_milestones(planned: str, changes: str, when: datetime) -> tuple[list[MilestoneData],
                                                                           list[str]]:
    """Milestones from the two text columns; problems come back as messages."""
    problems: list[str] = []
    by_sequence: dict[int, MilestoneData] = {}
    for block in _blocks(planned):
        match = _PLANNED.match(block)
        if not match:
            problems.append(f"{L.PLANNED_MILESTONES}: {block[:60]!r} is not '(n) date: text'")
            continue
        sequence, day = int(match.group(1)), _block_date(match.group(2), problems)
        by_sequence[sequence] = MilestoneData(sequence=sequence, description=match.group(3),
                                              original_due=day, current_due=day)
    for block in _blocks(changes):
        match = _CHANGE.match(block)
        if not match:
            problems.append(f"{L.MILESTONE_CHANGES}: {block[:60]!r} is not "
                            "'(n) New/Update/Complete date: text'")
            continue
        _apply_change(by_sequence, match, when, problems)
    return [by_sequence[key] for key in sorted(by_sequence)], problems


def _blocks(text: str) -> list[str]:
    blocks = _BLANK_LINE.split(text.replace("\r\n", "\n"))
    return [block.strip() for block in blocks if block.strip()]


def _block_date(text: str | None, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return parse_date_text(text)
    except CellProblem as exc:
        problems.append(str(exc))
        return None


def _apply_change(by_sequence: dict[int, MilestoneData], match: re.Match, when: datetime,
                  problems: list[str]) -> None:
    sequence, kind = int(match.group(1)), match.group(2).lower()
    day, text = _block_date(match.group(3), problems), match.group(4)
    milestone = by_sequence.get(sequence)
    if milestone is None:
        if kind != "new":
            problems.append(f"{L.MILESTONE_CHANGES}: milestone ({sequence}) is not planned; "
                            "added as a new milestone")
        milestone = MilestoneData(sequence=sequence, description=text, original_due=day,
                                  current_due=day)
        by_sequence[sequence] = milestone
        if kind != "complete":
            return
    if kind == "complete":
        milestone.completed_on = day
    elif kind == "update":
        milestone.changes.append(DueDateChange(changed_at=when, old_due=milestone.current_due,
                                               new_due=day, justification=text))
        milestone.current_due = day


def parse_assets(text: str) -> list[AffectedAsset]:
    assets = []
    for line in _lines(text):
        match = _ASSET.match(line)
        base, port, protocol = (match.groups() if match else (line, "", ""))
        ip = base if _is_ip(base) else ""
        assets.append(AffectedAsset(name=base, ip=ip, port=port or "", protocol=protocol or ""))
    return assets


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_contact(text: str) -> tuple[str, str]:
    match = _CONTACT.match(text.strip())
    return (match.group(1), match.group(2)) if match else (text.strip(), "")


def parse_controls(text: str) -> list[ControlRef]:
    return [ControlRef(_catalog_of(part), part) for part in parse_list(text)]


def _catalog_of(control_id: str) -> Catalog:
    if re.match(r"^[A-Z]{2}\.L\d-", control_id):
        return Catalog.CMMC
    if re.match(r"^\d+\.\d+\.\d+", control_id):
        return Catalog.NIST_800_171_R2
    return Catalog.NIST_800_53_R5


def parse_source(text: str) -> tuple[Source, str]:
    """The Source and the detector name (kept verbatim unless it is a Source label)."""
    for source in Source:
        if text.strip().lower() == source.label.lower():
            return source, ""
    lowered = text.lower()
    for words, source in _SOURCE_WORDS:
        if any(word in lowered for word in words):
            return source, text
    return Source.OTHER, text


_SOURCE_WORDS = (
    (("pen test", "penetration", "pentest"), Source.PENETRATION_TEST),
    (("scan", "nessus", "qualys", "tenable", "acas", "webinspect", "burp", "zap", "openvas",
      "trivy", "grype", "nmap", "rapid7", "nexpose", "inspector"), Source.VULNERABILITY_SCAN),
    (("3pao", "assessment report", "sar", "assessor"), Source.THIRD_PARTY_ASSESSMENT),
    (("self",), Source.SELF_ASSESSMENT),
    (("audit",), Source.AUDIT),
    (("incident",), Source.INCIDENT),
)


def parse_rating(text: str) -> Risk:
    for risk in Risk:
        if text.strip().lower() == risk.value:
            return risk
    raise CellProblem(f"{text!r} is not Low, Moderate or High")


def parse_yes_no(text: str) -> str:
    """'yes', 'no' or 'pending' (the template's three answers)."""
    word = text.strip().lower()
    if word in ("yes", "y", "true", "1"):
        return "yes"
    if word in ("no", "n", "false", "0", "", "n/a"):
        return "no"
    if word == "pending":
        return "pending"
    raise CellProblem(f"{text!r} is not Yes, No or Pending")


def parse_deviation(text: str) -> tuple[str, str]:
    """(risk adjustment rationale, deviation rationale) from "Type : Rationale" blocks."""
    risk, others = [], []
    pattern = re.compile(r"\n\s*\n(?=\s*(?:" + "|".join(DEVIATION_TYPES) + r")\s*:)", re.IGNORECASE)
    for block in pattern.split(text.strip()):
        kind, sep, rest = block.partition(":")
        if sep and kind.strip().lower() == "risk adjustment":
            risk.append(rest.strip())
        elif sep and kind.strip().lower() in ("false positive", "operational requirement"):
            others.append(rest.strip())
        elif block.strip():
            others.append(block.strip())
    return "\n\n".join(risk), "\n\n".join(others)


def parse_documents(text: str) -> list[EvidenceData]:
    documents = []
    for line in _lines(text):
        kind, sep, rest = line.partition(" : ") if " : " in line else line.partition(":")
        if not sep:
            kind, rest = "", line
        url_match = _DOCUMENT_URL.match(rest.strip())
        name, url = url_match.groups() if url_match else (rest.strip(), "")
        documents.append(EvidenceData(name=name, url=url, description=kind.strip()))
    return documents


def parse_list(text: str) -> list[str]:
    return [part for part in (piece.strip() for piece in re.split(r"[\n,;]+", text)) if part]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=timezone.utc) if day else None
