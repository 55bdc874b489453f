"""FedRAMP CR26 reading side: the evaluation queue, the accepted list (the CR26 system's
replacement for the POA&M), overdue work, and the reports with their periods (VER-RPT-PER).

Every flag comes from ``openpoam.domain.fedramp.cr26.status``; nothing here decides a rule.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from openpoam.domain.fedramp import cr26 as rules
from openpoam.formats import registry
from openpoam.formats.cr26.document import Cr26Report as ReportData
from openpoam.formats.cr26.document import RatingEntry, VulnerabilityRecord
from openpoam.domain.poam import Status
from openpoam.tracker.models import (Cr26RatingEvent, Cr26Report, Cr26Vulnerability, PoamItem,
                                     System)
from openpoam.tracker.services import checkpoints
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.cr26 import class_changes, to_domain

LONG_ITEM_TEXT = ("item__weakness_description", "item__planned_remediation", "item__comments",
                  "item__residual_risk", "item__resources_required")
REPORT_KINDS = {"vdt": "cr26-vdt", "avi": "cr26-avi", "mrh": "cr26-mrh", "mhr": "cr26-mhr"}


@dataclass
class Row:
    """One vulnerability (or group lead) with its rule status at ``now``."""

    vuln: Cr26Vulnerability
    events: list[Cr26RatingEvent]
    state: rules.Status
    members: list[str]

    @property
    def poam_id(self) -> str:
        return self.vuln.item.poam_id


def snapshot(system: System, now: datetime | None = None) -> list[Row]:
    """Every CR26 vulnerability of the system that is not a group member, with its status."""
    require_cr26(system)
    now = now or timezone.now()
    vulns = (Cr26Vulnerability.objects.filter(system=system).select_related("item", "system")
             .defer(*LONG_ITEM_TEXT)  # the lists and reports use the title only
             .prefetch_related(Prefetch("rating_events",
                                        queryset=Cr26RatingEvent.objects.order_by("at", "pk"))))
    members: dict[int, list[str]] = {}
    leads = []
    for vuln in vulns:
        if vuln.group_lead_id is not None:
            members.setdefault(vuln.group_lead_id, []).append(vuln.item.poam_id)
        else:
            leads.append(vuln)
    rows = []
    changes = class_changes(system)
    for vuln in leads:
        events = list(vuln.rating_events.all())
        rows.append(Row(vuln, events, rules.status(to_domain(vuln, events, changes), now),
                        sorted(members.get(vuln.pk, []))))
    return rows


def _incident_reports(found: rules.Incident | None) -> list[dict]:
    """IEC-CSO-IIR / OIR / FIR of the current treatment as an incident, or of the last one
    that ended (its final report then has a date)."""
    if found is None:
        return []
    return [{"rule": r.rule, "force": r.force.value, "what": r.what, "due": rules.iso(r.at),
             "basis": r.basis, "incident": found.rule, "since": rules.iso(found.since),
             "ended": rules.iso(found.ended)} for r in found.reports]


def require_cr26(system: System) -> None:
    """A refusal naming the system when it is not under the CR26 rules."""
    if not system.is_cr26:
        raise ServiceError(f"{system.name} is not under the FedRAMP CR26 rules "
                           "(see `openpoam fedramp regime`)")


def vulnerability_dict(vuln: Cr26Vulnerability, now: datetime | None = None) -> dict:
    """One vulnerability as `openpoam fedramp show --json` and the API give it: deadlines with
    their rules, flags and the rating history (N0 to N5, VER-EVA-EPA)."""
    state = rules.status(to_domain(vuln), now or timezone.now())
    iso = rules.iso
    return {
        "id": vuln.item.poam_id, "title": vuln.item.title,
        "detected_at": iso(vuln.detected_at), "detection_source": vuln.detection_source,
        "proposed": {"rating": vuln.proposed_rating, "lev": vuln.proposed_lev,
                     "irv": vuln.proposed_irv, "basis": vuln.proposal_basis},
        "evaluated_at": iso(vuln.evaluated_at), "evaluated_by": vuln.evaluated_by,
        "evaluation_reason": vuln.evaluation_reason, "rating": vuln.rating, "lev": vuln.lev,
        "irv": vuln.irv, "kev_due": vuln.item.kev_due, "disposition": vuln.disposition,
        "group_lead": vuln.group_lead.item.poam_id if vuln.group_lead_id else None,
        "deadlines": {name: {"due": iso(d.at), "rule": d.rule, "basis": d.basis}
                      for name, d in (("evaluation_due", state.evaluation_due),
                                      ("reduction_due", state.reduction_due),
                                      ("accepted_from", state.accepted_from))},
        "evaluation_late": state.evaluation_late, "overdue": state.overdue,
        "accepted": state.accepted,
        "incident": f"{state.incident.rule} {state.incident.force.value}"
                    if state.incident else None,
        "incident_reports": _incident_reports(state.incident or state.past_incident),
        "notes": state.notes,
        "history": [{"at": iso(e.at), "kind": e.kind, "rating": e.rating, "lev": e.lev,
                     "irv": e.irv, "by": e.actor_name, "note": e.note}
                    for e in vuln.rating_events.all()],
    }


def _open(row: Row) -> bool:
    return not row.state.closed and not row.state.accepted


def queue(rows: list[Row]) -> list[Row]:
    """Awaiting evaluation, soonest due first (VER-TFR-EVU)."""
    waiting = [r for r in rows if r.vuln.evaluated_at is None and _open(r)]
    return sorted(waiting, key=lambda r: r.state.evaluation_due.at)


def overdue(rows: list[Row]) -> list[Row]:
    """Late evaluations and overdue reductions (FRD-ODV), the most overdue first."""
    late = [r for r in rows if _open(r) and (r.state.overdue or (
        r.state.evaluation_late and r.vuln.evaluated_at is None))]
    return sorted(late, key=lambda r: r.state.reduction_due.at or r.state.evaluation_due.at)


def accepted(rows: list[Row]) -> list[Row]:
    """The accepted vulnerabilities (FRD-ACV, VER-TFR-MAV): this list replaces the POA&M."""
    return sorted((r for r in rows if r.state.accepted),
                  key=lambda r: r.state.accepted_from.at or r.vuln.detected_at)


def dashboard(rows: list[Row]) -> dict[str, int]:
    return {"awaiting": len(queue(rows)),
            "late_evaluations": sum(1 for r in rows if _open(r) and r.state.evaluation_late
                                    and r.vuln.evaluated_at is None),
            "overdue_reductions": sum(1 for r in rows if _open(r) and r.state.overdue),
            "accepted": len(accepted(rows)),
            "incidents": sum(1 for r in rows if r.state.incident and _open(r)),
            "active": sum(1 for r in rows if _open(r))}


def untracked(system: System) -> list[str]:
    """Open items of a CR26 system with no CR26 record (made by hand or by a POA&M import):
    the rules cannot see them until someone tracks them (`openpoam fedramp track`)."""
    closed = [status.value for status in Status if status.is_closed]
    return list(PoamItem.objects.filter(system=system, cr26__isnull=True)
                .exclude(status__in=closed).order_by("poam_id")
                .values_list("poam_id", flat=True))


# ---- reports -----------------------------------------------------------------------------

def period_start(system: System, kind: str) -> datetime:
    """VER-RPT-PER: from the end of the previous report of this kind; the first report
    starts at the system's first detection (or its creation)."""
    previous = Cr26Report.objects.filter(system=system, kind=kind).first()
    if previous is not None:
        return previous.period_to
    first = (Cr26Vulnerability.objects.filter(system=system).order_by("detected_at")
             .values_list("detected_at", flat=True).first())
    return min(first, system.created_at) if first else system.created_at


def build_report(system: System, kind: str, now: datetime | None = None) -> ReportData:
    now = now or timezone.now().replace(microsecond=0)
    start = period_start(system, kind)
    rows = snapshot(system, now)
    in_period = [r for r in rows if _touched(r, start, now) or _open(r)]
    return ReportData(
        kind=kind, system_name=system.name, cert_class=system.cr26_class,
        package_uri=system.cr26_package_uri, period_from=start, period_to=now,
        generated_at=now,
        active=[_record(r) for r in in_period if not r.state.accepted],
        accepted=[_record(r) for r in rows if r.state.accepted
                  and not (r.state.closed and r.vuln.disposition_at
                           and r.vuln.disposition_at < start)],
        counts=_counts(rows, start, now), schema_version=settings.CR26_SCHEMA_VERSION)


def _touched(row: Row, start: datetime, end: datetime) -> bool:
    moments = [row.vuln.detected_at, row.vuln.disposition_at, row.vuln.accepted_at,
               *(e.at for e in row.events)]
    return any(m is not None and start <= m <= end for m in moments)


def _counts(rows: list[Row], start: datetime, end: datetime) -> dict[str, int]:
    def within(moment) -> bool:
        return moment is not None and start <= moment <= end

    return {
        "detected": sum(1 for r in rows if within(r.vuln.detected_at)),
        "evaluated": sum(1 for r in rows if within(r.vuln.evaluated_at)),
        "evaluated_late": sum(1 for r in rows if within(r.vuln.evaluated_at)
                              and r.state.evaluation_late),
        "reductions": sum(1 for r in rows for e in r.events
                          if e.kind == "reduction" and within(e.at)),
        "closed": sum(1 for r in rows if r.state.closed and within(r.vuln.disposition_at)),
        "newly_accepted": sum(1 for r in rows if r.state.accepted and (
            within(r.vuln.accepted_at) or within(r.state.accepted_from.at))),
        "awaiting": len(queue(rows)), "overdue": len(overdue(rows)),
        "accepted": len(accepted(rows)),
    }


def _record(row: Row) -> VulnerabilityRecord:
    vuln, state = row.vuln, row.state
    item = vuln.item
    explanation = vuln.overdue_explanation or _overdue_reason(state)
    disposition, disposed_at = vuln.disposition, vuln.disposition_at
    if not disposition and state.closed and row.events:
        # Reduced to N0 with no disposition recorded: fully mitigated (FRD-FMV), as the
        # domain reads it (Vulnerability.mitigated_to_n0), from that reduction.
        disposition, disposed_at = rules.Disposition.FULLY_MITIGATED.value, row.events[-1].at
    return VulnerabilityRecord(
        tracking_id=item.poam_id, description=item.title, detected_at=vuln.detected_at,
        detection_source=vuln.detection_source, evaluated_at=vuln.evaluated_at,
        irv=vuln.irv, lev=vuln.lev, rating=vuln.rating,
        history=[RatingEntry(e.at, e.kind, e.rating, e.lev, e.irv, e.actor_name, e.note)
                 for e in row.events],
        next_reduction_at=vuln.next_reduction_at,
        next_reduction_rating=vuln.next_reduction_rating,
        overdue=state.overdue, overdue_explanation=explanation if state.overdue else "",
        supplementary=vuln.supplementary, disposition=disposition, disposition_at=disposed_at,
        acceptance_rationale=vuln.acceptance_rationale or _acceptance_reason(state),
        accepted_at=vuln.accepted_at or (state.accepted_from.at if state.accepted else None),
        evaluation_due=state.evaluation_due.at, evaluation_late=state.evaluation_late,
        reduction_due=state.reduction_due.at, reduction_rule=state.reduction_due.rule,
        kev_due=state.kev_due.at if state.kev_due else None,
        incident=f"{state.incident.rule} {state.incident.force.value}" if state.incident else "",
        group_members=row.members)


def _overdue_reason(state: rules.Status) -> str:
    if state.kev_overdue:
        return f"past the KEV due date {rules.iso(state.kev_due.at)} (VDR-TFR-KEV)"
    return (f"past the {state.reduction_due.rule} deadline {rules.iso(state.reduction_due.at)}"
            " for the next reduction")


def _acceptance_reason(state: rules.Status) -> str:
    if state.accepted_rule == "VER-TFR-MAV":
        return (f"Not fully mitigated or remediated within 192 days of evaluation "
                f"({rules.iso(state.accepted_from.at)}, VER-TFR-MAV).")
    return ""


@dataclass
class ExportedReport:
    content: bytes
    exporter: object
    period_from: datetime
    period_to: datetime
    vulnerabilities: int


@transaction.atomic
def export_report(actor: Actor, system: System, kind: str, now: datetime | None = None,
                  *, record: bool = True) -> ExportedReport:
    """Build, validate and write one report; record it so the next starts where it ended.

    ``record=False`` is a preview: anyone who may see the system may make one, and the
    period of the next report is unchanged.
    """
    require(actor, system.organization, "poam.edit" if record else "poam.export")
    if kind not in REPORT_KINDS:
        raise ServiceError(f"report must be one of {', '.join(REPORT_KINDS)}, not {kind!r}")
    require_cr26(system)
    if kind != "mhr" and not system.cr26_package_uri:
        raise ServiceError(f"{system.name} has no Certification Package Overview URI; set it "
                           "with `openpoam fedramp regime --package-uri`")
    data = build_report(system, kind, now)
    data.checkpoint = checkpoints.for_export(
        system.organization, f"CR26 {kind} report of {system.organization.slug}/{system.slug}")
    exporter = registry.default().report_exporter(REPORT_KINDS[kind])
    buffer = io.BytesIO()
    exporter.write_report(data, buffer)  # raises FormatError if the schema refuses it
    content = buffer.getvalue()
    count = len(data.active) + len(data.accepted)
    if record:
        Cr26Report.objects.create(system=system, kind=kind, period_from=data.period_from,
                                  period_to=data.period_to, generated_by=actor.name,
                                  vulnerabilities=count,
                                  sha256=hashlib.sha256(content).hexdigest())
    return ExportedReport(content, exporter, data.period_from, data.period_to, count)


def report_name(system: System, kind: str, result: ExportedReport) -> str:
    """The report's file name, the same from every interface."""
    stamp = result.period_to.strftime("%Y%m%dT%H%MZ")
    return f"{system.slug}-cr26-{kind}-{stamp}{result.exporter.extension}"
