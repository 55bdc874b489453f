"""An eMASS POA&M workbook back into a system: the columns the user chooses, like C-PAT's
overwrite.

Each item row is matched to one of the system's items by POA&M Item ID, else by Security
Checks (the whole cell, else its first check as the item's source identifier); a row that
matches nothing, or several items, is named in a warning and left alone; no item is
created. For each chosen field the difference is listed (a dry run stops there), then
applied through the item services, so the history records it and the workflow rules
apply: a status the file asks for that the workflow refuses (Completed without evidence,
Risk Accepted without an approver) leaves the item's status as it was, with a warning
naming the row and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from openpoam.domain import rmf
from openpoam.domain.emass_checks import EMASS_STATUS
from openpoam.domain.poam import Source, Status
from openpoam.formats.base import FormatError
from openpoam.formats.emass_xlsx import columns as C
from openpoam.formats.emass_xlsx.reader import EmassRow, EmassWorkbook, cell_date
from openpoam.tracker.models import PoamItem, System
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.fields import person_named

# --fields names -> what they update. "all" and "rmf" name groups.
FIELDS = {
    "description": "title and weakness description (Control Vulnerability Description)",
    "controls": "Controls / APs",
    "security_checks": "source identifier and CVEs (Security Checks)",
    "status": "POA&M Status, with the completion date (workflow rules apply)",
    "scheduled_completion": "POA&M Scheduled Completion Date",
    "milestones": "new milestones, moved dates, completions",
    "source": "Identification Source",
    "source_detail": "Identification Source Details",
    "owner": "the person named in Office/Org",
    "resources_required": "Resources Required",
    "comments": "Comments",
    **{f.name: f.label for f in rmf.RMF_FIELDS},
}
GROUPS = {"all": tuple(FIELDS), "rmf": rmf.RMF_NAMES}
_CLOSED_OR_OPEN = {"Ongoing": Status.REOPENED, "Completed": Status.COMPLETED,
                   "Risk Accepted": Status.RISK_ACCEPTED, "Not Applicable": Status.FALSE_POSITIVE}
_RMF_KEYS = {f.name: C.normal(f.label) for f in rmf.RMF_FIELDS}  # the column of each
_SOURCES = {C.normal(s.label): s for s in Source} | {C.normal(s.value): s for s in Source}


def parse_fields(text: str) -> tuple[str, ...]:
    """``--fields`` text ("rmf,status" or "all") -> field names; ServiceError names a wrong one."""
    chosen: list[str] = []
    for name in (part.strip().lower().replace("-", "_") for part in (text or "").split(",")):
        if not name:
            continue
        if name not in FIELDS and name not in GROUPS:
            raise ServiceError(f"--fields: {name!r} is not a column this import updates "
                               f"(all, rmf, {', '.join(FIELDS)})")
        chosen += [n for n in GROUPS.get(name, (name,)) if n not in chosen]
    if not chosen:
        raise ServiceError("--fields: name the columns to update, e.g. --fields rmf,status "
                           "or --fields all")
    return tuple(chosen)


@dataclass
class Change:
    line: int
    poam_id: str
    field: str
    old: str
    new: str

    def as_dict(self) -> dict:
        return {"line": self.line, "poam_id": self.poam_id, "field": self.field,
                "old": self.old, "new": self.new}

    def __str__(self) -> str:
        return f"{self.poam_id} (row {self.line}) {self.field}: {self.old!r} -> {self.new!r}"


@dataclass
class _Plan:
    """What one row changes on one item."""

    item: PoamItem
    row: EmassRow
    values: dict  # item fields for update_item
    controls: list[str] | None = None
    status: str = ""  # eMASS status word to move to
    completed_on: date | None = None
    new_milestones: list = None  # type: ignore[assignment]
    moved: list = None  # type: ignore[assignment]  # (milestone, new due)
    completed: list = None  # type: ignore[assignment]  # (milestone, on)


def plan(system: System, workbook: EmassWorkbook, fields: tuple[str, ...], source: str,
         warnings: list[str]) -> tuple[list[_Plan], list[Change]]:
    """Match rows and work out every change, without writing anything."""
    related = [name for name in ("controls", "milestones") if name in fields]
    items = list(PoamItem.objects.filter(system=system).select_related("owner", "organization")
                 .prefetch_related(*related))
    matcher = _Matcher(items)
    plans, changes = [], []
    for row in workbook.rows:
        item = matcher.find(row, source, warnings)
        if item is None:
            continue
        planner = _RowPlanner(item, row, fields, source, warnings)
        plans.append(planner.plan)
        changes += planner.changes
    return plans, changes


class _Matcher:
    def __init__(self, items: list[PoamItem]):
        self.by_id = {item.poam_id.upper(): item for item in items}
        self.by_checks: dict[str, list[PoamItem]] = {}
        for item in items:
            checks = "; ".join(p for p in (item.source_identifier, *item.cves) if p)
            for key in {checks, item.source_identifier}:
                if key:
                    self.by_checks.setdefault(key.lower(), []).append(item)

    def find(self, row: EmassRow, source: str, warnings: list[str]) -> PoamItem | None:
        poam_id = row.text("poamitemid")
        if poam_id and poam_id.upper() in self.by_id:
            return self.by_id[poam_id.upper()]
        checks = row.text("securitychecks")
        parts = C.split_list(checks)
        found = self.by_checks.get(checks.lower()) or (
            self.by_checks.get(parts[0].lower()) if parts else None) or []
        if len(found) == 1:
            return found[0]
        named = f"POA&M Item ID {poam_id!r}" if poam_id else "no POA&M Item ID"
        if found:
            warnings.append(f"{source}, row {row.line}: {named} and Security Checks {checks!r} "
                            f"match {len(found)} items ({', '.join(i.poam_id for i in found[:5])})"
                            "; left alone")
        else:
            warnings.append(f"{source}, row {row.line}: {named}, Security Checks {checks!r}: "
                            "no such item in this system; left alone")
        return None


class _RowPlanner:
    def __init__(self, item: PoamItem, row: EmassRow, fields: tuple[str, ...], source: str,
                 warnings: list[str]):
        self.item, self.row, self.source, self.warnings = item, row, source, warnings
        self.changes: list[Change] = []
        self.plan = _Plan(item, row, {}, new_milestones=[], moved=[], completed=[])
        for name in fields:
            if name in rmf.BY_NAME:
                self._rmf(rmf.BY_NAME[name])
            else:
                getattr(self, f"_{name}")()

    def _change(self, name: str, old, new, show=None) -> None:
        show = show or _show
        self.changes.append(Change(self.row.line, self.item.poam_id, name, show(old), show(new)))

    def _set(self, name: str, new, show=None) -> None:
        old = getattr(self.item, name)
        if (old or "") != (new or "") and old != new:
            self.plan.values[name] = new
            self._change(name, old, new, show)

    def _warn(self, message: str) -> None:
        self.warnings.append(f"{self.source}, row {self.row.line} ({self.item.poam_id}): "
                             f"{message}")

    def _description(self) -> None:
        text = self.row.text("controlvulnerabilitydescription")
        if not text:
            return
        title, _, description = text.partition("\n\n")
        self._set("title", title.strip()[:500])
        self._set("weakness_description", description.strip())

    def _controls(self) -> None:
        wanted = C.split_list(self.row.text("controlsaps"))
        current = [c.control_id for c in self.item.controls.all()]
        if sorted(wanted) != sorted(current):
            self.plan.controls = wanted
            self._change("controls", "; ".join(current), "; ".join(wanted))

    def _security_checks(self) -> None:
        parts = C.split_list(self.row.text("securitychecks"))
        if not parts:
            return
        cves = sorted({p.upper() for p in parts if C._CVE.match(p)})
        others = "; ".join(p for p in parts if not C._CVE.match(p))
        self._set("source_identifier", others[:300])
        if cves != sorted(self.item.cves or []):
            self.plan.values["cves"] = cves
            self._change("cves", "; ".join(self.item.cves or []), "; ".join(cves))

    def _status(self) -> None:
        word = self.row.text("poamstatus") or self.row.text("status")
        wanted = C.STATUS_FROM_EMASS.get(C.normal(word))
        if word and wanted is None:
            self._warn(f"POA&M Status {word!r} is not one of Ongoing, Risk Accepted, "
                       "Completed, Not Applicable; status left alone")
            return
        if not word:
            return
        current = EMASS_STATUS[Status(self.item.status)]
        emass_word = EMASS_STATUS[wanted]
        completed_on = self._date("poamcompletiondate")
        if emass_word != current:
            self.plan.status, self.plan.completed_on = emass_word, completed_on
            self._change("status", current, emass_word)

    def _scheduled_completion(self) -> None:
        key = "poamscheduledcompletiondate" if "poamscheduledcompletiondate" in self.row.cells \
            else "scheduledcompletiondate"
        due = self._date(key)
        if due is not None:
            self._set("scheduled_completion", due)

    def _source(self) -> None:
        word = self.row.text("identificationsource") or self.row.text(
            "sourceidentifyingvulnerability")
        if not word:
            return
        found = _SOURCES.get(C.normal(word))
        if found is None:
            self._warn(f"Identification Source {word!r} is not one of "
                       f"{', '.join(s.label for s in Source)}; left alone")
            return
        self._set("source", found.value)

    def _source_detail(self) -> None:
        if "identificationsourcedetails" in self.row.cells:
            self._set("source_detail", self.row.text("identificationsourcedetails")[:300])

    def _resources_required(self) -> None:
        if "resourcesrequired" in self.row.cells:
            self._set("resources_required", self.row.text("resourcesrequired"))

    def _comments(self) -> None:
        if "comments" in self.row.cells:
            self._set("comments", self.row.text("comments"))

    def _owner(self) -> None:
        parts = [p.strip() for p in self.row.text("officeorg").split(",")]
        if len(parts) < 2 or not parts[1] or "@" in parts[1]:
            return  # the organization alone names nobody
        current = self.item.owner.name if self.item.owner else ""
        if parts[1].lower() == current.lower():
            return
        try:
            person = person_named(self.item.organization, parts[1])
        except ServiceError as exc:
            self._warn(f"Office/Org: {exc}")
            return
        self.plan.values["owner"] = person
        self._change("owner", current, person.name)

    def _rmf(self, field: rmf.RmfField) -> None:
        key = _RMF_KEYS[field.name]
        if field.name == "mitigations":
            key = next((k for k in self.row.cells if k.startswith("mitigations")), key)
        if key not in self.row.cells:
            return
        text = self.row.text(key)
        if field.kind == rmf.RATING:
            value = rmf.parse_rating(text)
            if value is None:
                self._warn(f"{field.label} {text!r} is not Very Low, Low, Moderate, High or "
                           "Very High; left alone")
                return
            if not getattr(self.item, field.name) and text == _fallback(self.item, field.name):
                return  # the exporter's stand-in from the item's risk, not an entry
        elif field.kind == rmf.BOOL:
            value = C.normal(text) in ("yes", "y", "true", "1", "x")
        elif field.kind == rmf.DECIMAL:
            value = _amount(text)
            if value is None and text:
                self._warn(f"{field.label} {text!r} is not an amount; left alone")
                return
        else:
            value = text
        self._set(field.name, value, rmf.rating_label if field.kind == rmf.RATING else None)

    def _milestones(self) -> None:
        existing = {m.sequence: m for m in self.item.milestones.all()}
        for entry in self.row.milestones:
            milestone = existing.get(entry.sequence) if entry.sequence is not None else None
            if milestone is None:
                if entry.description:
                    self.plan.new_milestones.append(entry)
                    self._change("milestones", "", f"new: {entry.description} "
                                 f"(due {_show(entry.due)})")
                continue
            if entry.description and entry.description != milestone.description:
                self._warn(f"milestone {milestone.sequence}: the description differs from "
                           "OpenPOAM's; descriptions are changed in OpenPOAM only")
            if entry.due and entry.due != milestone.current_due and not milestone.completed_on:
                self.plan.moved.append((milestone, entry.due))
                self._change(f"milestone {milestone.sequence} due", milestone.current_due,
                             entry.due)
            if entry.completed_on and not milestone.completed_on:
                self.plan.completed.append((milestone, entry.completed_on))
                self._change(f"milestone {milestone.sequence} completed", "", entry.completed_on)

    def _date(self, key: str) -> date | None:
        try:
            return cell_date(self.row.cells.get(key), self.source, self.row.line)
        except FormatError as exc:
            self._warn(f"{exc.detail}; left alone")
            return None


def _fallback(item: PoamItem, name: str) -> str:
    risk = item.original_risk if name == "rmf_raw_severity" else item.effective_risk
    return C.RISK_RATING.get(risk, "") if name in ("rmf_raw_severity", "rmf_severity") else ""


def _amount(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value >= 0 else None


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "name", None) or str(value)


def apply(actor: Actor, plans: list[_Plan], source: str, warnings: list[str]) -> int:
    """Write the planned changes (inside the caller's transaction); the items changed."""
    why = f"imported from the eMASS workbook {source}"
    changed = 0
    for entry in plans:
        with transaction.atomic():
            changed += _apply_one(actor, entry, why, source, warnings)
    return changed


def _touched(entry: _Plan) -> bool:
    return bool(entry.values or entry.controls is not None or entry.new_milestones
                or entry.moved or entry.completed or entry.status)


def _apply_one(actor: Actor, entry: _Plan, why: str, source: str, warnings: list[str]) -> bool:
    """Apply one row's changes: all of them but the status, or none (one savepoint)."""
    item = entry.item
    where = f"{source}, row {entry.row.line} ({item.poam_id})"
    try:
        if entry.values:
            item = item_services.update_item(actor, item, entry.values, justification=why)
        if entry.controls is not None:
            item_services.set_controls(actor, item, entry.controls)
        for milestone, due in entry.moved:
            milestone_services.reschedule_milestone(actor, milestone, due, why)
        for new in entry.new_milestones:
            added = milestone_services.add_milestone(actor, item, new.description, new.due)
            if new.completed_on:
                milestone_services.complete_milestone(actor, added, new.completed_on)
        for milestone, on in entry.completed:
            milestone_services.complete_milestone(actor, milestone, on)
    except ServiceError as exc:
        warnings.append(f"{where}: {exc}; the row's other changes were not made")
        transaction.set_rollback(True)
        return False
    if entry.status:
        _status(actor, item, entry, why, where, warnings)
    return True


def _status(actor: Actor, item: PoamItem, entry: _Plan, why: str, where: str,
            warnings: list[str]) -> None:
    wanted = _CLOSED_OR_OPEN[entry.status]
    try:
        with transaction.atomic():
            item_services.set_status(actor, PoamItem.objects.get(pk=item.pk), wanted.value,
                                     actual_completion=entry.completed_on, reason=why,
                                     rationale=why)
    except ServiceError as exc:
        warnings.append(f"{where}: status stays {EMASS_STATUS[Status(item.status)]}: {exc}")


def import_workbook(actor: Actor, system: System, workbook: EmassWorkbook,
                    fields: tuple[str, ...], *, source: str, dry_run: bool):
    """Plan (and unless ``dry_run`` apply) the chosen columns; (changes, items, warnings)."""
    require(actor, system.organization, "poam.import")
    warnings: list[str] = []
    plans, changes = plan(system, workbook, fields, source, warnings)
    plans = [p for p in plans if _touched(p)]
    updated = len(plans) if dry_run else apply(actor, plans, source, warnings)
    return changes, updated, warnings
