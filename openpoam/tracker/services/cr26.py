"""FedRAMP CR26 (VDR/VER): the write path for regimes, detections, evaluations, reductions,
dispositions, acceptance and grouping. Every rule comes from ``openpoam.domain.fedramp.cr26``;
every change checks the actor's role and writes its history in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from openpoam.domain.fedramp import cr26 as rules
from openpoam.domain.fedramp.cr26 import CertClass, Disposition, EventKind
from openpoam.domain.findings import Severity
from openpoam.domain.poam import Status
from openpoam.domain.reconcile import Changes, as_utc
from openpoam.tracker.models import (Cr26ClassChange, Cr26RatingEvent, Cr26Vulnerability,
                                     PoamItem, System)
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder

ENTITY = "cr26"  # ChangeEvent.entity for CR26 history lines
BATCH = 900


# ---- the domain view of a stored vulnerability ------------------------------------------

def class_changes(system: System) -> tuple[rules.ClassChange, ...]:
    """The system's changes of class, oldest first (one query; pass it on for many items)."""
    return tuple(rules.ClassChange(c.at, CertClass(c.old_class), CertClass(c.new_class))
                 for c in Cr26ClassChange.objects.filter(system_id=system.pk))


def to_domain(vuln: Cr26Vulnerability, events: list[Cr26RatingEvent] | None = None,
              changes: tuple[rules.ClassChange, ...] | None = None) -> rules.Vulnerability:
    if events is None:
        events = list(vuln.rating_events.all())
    if changes is None:
        changes = class_changes(vuln.system)
    return rules.Vulnerability(
        CertClass(vuln.system.cr26_class), vuln.detected_at,
        tuple(rules.RatingEvent(e.at, e.rating, e.lev, e.irv, EventKind(e.kind)) for e in events),
        kev_due=vuln.item.kev_due,  # the item's KEV date: catalog or set by a person
        disposition=Disposition(vuln.disposition) if vuln.disposition else None,
        disposition_at=vuln.disposition_at, accepted_at=vuln.accepted_at,
        class_changes=changes)


def state(vuln: Cr26Vulnerability, now: datetime | None = None) -> rules.Status:
    """Every CR26 deadline and flag of one vulnerability, from the domain."""
    return rules.status(to_domain(vuln), now or timezone.now())


# ---- regime ------------------------------------------------------------------------------

@transaction.atomic
def set_regime(actor: Actor, system: System, regime: str, cert_class: str = "",
               package_uri: str | None = None, class_from: datetime | None = None) -> int:
    """Move a FedRAMP system to CR26 (with its class) or back to the classic POA&M.

    Open items get a CR26 record when the system moves; returns how many were created. A new
    class on a CR26 system is a change of class (FRC-CCL) effective at ``class_from`` (default
    now): clocks started from then on follow the new class, earlier ones keep theirs.
    """
    require(actor, system.organization, "system.manage")
    if not system.framework_enum.is_fedramp:
        raise ServiceError(f"{system.name} is not a FedRAMP system; the regime applies to "
                           "FedRAMP systems only")
    if regime not in ("classic", "cr26"):
        raise ServiceError(f"regime must be 'classic' or 'cr26', not {regime!r}")
    cert_class = (cert_class or system.cr26_class or "").upper()
    if regime == "cr26":
        _check_class(system, cert_class)
    if system.is_cr26 and regime == "cr26" and cert_class != system.cr26_class:
        _change_class(actor, system, cert_class, class_from)
    elif class_from is not None:
        raise ServiceError("a class change date needs a new class for a CR26 system")
    system.fedramp_regime, system.cr26_class = regime, cert_class
    if package_uri is not None:
        system.cr26_package_uri = package_uri.strip()
    system.full_clean(exclude=["organization"])
    system.save(update_fields=["fedramp_regime", "cr26_class", "cr26_package_uri"])
    if regime != "cr26":
        return 0
    return _adopt_open_items(actor, system)


def _change_class(actor: Actor, system: System, cert_class: str, at: datetime | None) -> None:
    moment = rules.utc(at, "the class change time") if at is not None else timezone.now()
    last = Cr26ClassChange.objects.filter(system=system).order_by("at", "pk").last()
    if last is not None and moment < last.at:
        raise ServiceError(f"the class change cannot come before the last one "
                           f"({rules.iso(last.at)})")
    Cr26ClassChange.objects.create(system=system, at=moment, old_class=system.cr26_class,
                                   new_class=cert_class, actor_name=actor.name)


def _check_class(system: System, cert_class: str) -> None:
    """Rev5 systems (the FedRAMP Low/Moderate/High baselines) are Class B, C or D (FRC-CLA)."""
    level = system.framework.removeprefix("fedramp-")
    usual = rules.LEGACY_CLASS.get(level)
    hint = f" (a former FedRAMP {level.title()} system is usually Class {usual})" if usual else ""
    if cert_class not in CertClass.__members__:
        raise ServiceError(f"a CR26 system needs its certification class, B, C or D{hint}")
    if CertClass(cert_class) not in rules.REV5_CLASSES:
        raise ServiceError("Class A is 20x Program Certification only (FRC-CLA); a Rev5 "
                           f"system is Class B, C or D{hint}")


def _adopt_open_items(actor: Actor, system: System) -> int:
    """Open items without a CR26 record get one. Their detection time is the start of the
    detection date in UTC [interpretation: the classic POA&M kept dates, not instants]."""
    recorder = Recorder(actor)
    created = []
    items = (PoamItem.objects.filter(system=system, cr26__isnull=True)
             .select_related("system").prefetch_related("assets"))
    for item in items.iterator(2000):
        if Status(item.status).is_closed:
            continue
        detected = datetime.combine(item.detected_on, time(0, 0), UTC)
        created.append(_tracked(item, detected, recorder,
                                "system moved to the CR26 vulnerability rules"))
    Cr26Vulnerability.objects.bulk_create(created, batch_size=500)
    recorder.save()
    return len(created)


def _tracked(item: PoamItem, detected: datetime, recorder: Recorder,
             why: str) -> Cr26Vulnerability:
    """A CR26 record for an item that did not come from a CR26 scan import, with a proposal
    from its risk, KEV flag and asset addresses."""
    vuln = _new_vuln(item, detected, item.source_detail or item.get_source_display())
    _propose(vuln, Severity(item.adjusted_risk or item.original_risk), extra={},
             kev=item.kev, addresses=[a.ip for a in item.assets.all()])
    recorder.add(item, "create", entity=ENTITY, field_name="tracked",
                 new=f"tracked under CR26 Class {item.system.cr26_class}, detected "
                     f"{rules.iso(detected)}; proposed N{vuln.proposed_rating}",
                 justification=f"{why}: {vuln.proposal_basis}")
    return vuln


@transaction.atomic
def track(actor: Actor, item: PoamItem, *, detected_at: datetime | None = None,
          why: str = "") -> Cr26Vulnerability:
    """Put an item made by hand or by a POA&M import (a penetration test finding, a control
    gap: FRD-VUL) under the CR26 rules. Detection defaults to the start of its detection date
    in UTC."""
    require(actor, item.organization, "poam.edit")
    if not item.system.is_cr26:
        raise ServiceError(f"{item.system.name} is not under the CR26 rules")
    if Cr26Vulnerability.objects.filter(item=item).exists():
        raise ServiceError(f"{item.poam_id} is already tracked under CR26")
    detected = (rules.utc(detected_at, "the detection time") if detected_at else
                datetime.combine(item.detected_on, time(0, 0), UTC))
    recorder = Recorder(actor)
    vuln = _tracked(item, detected, recorder, _text(why, "where it was detected"))
    vuln.save()
    recorder.save()
    return vuln


def _new_vuln(item: PoamItem, detected: datetime, source: str) -> Cr26Vulnerability:
    return Cr26Vulnerability(item=item, system=item.system, detected_at=detected,
                             detection_source=source[:300])


def _propose(vuln: Cr26Vulnerability, severity: Severity, *, extra: dict, kev: bool,
             addresses: list[str]) -> rules.Proposal:
    proposal = rules.propose(severity, cvss=rules.cvss_score(extra), kev=kev,
                             addresses=addresses, vector_network=rules.network_vector(extra))
    vuln.proposed_rating, vuln.proposed_lev, vuln.proposed_irv = (proposal.rating, proposal.lev,
                                                                  proposal.irv)
    vuln.proposal_basis = proposal.basis[:500]
    return proposal


# ---- scan imports ------------------------------------------------------------------------

def record_detections(actor: Actor, system: System, import_record, changes: Changes) -> None:
    """Called by the scan import, in its transaction, after the changes are applied.

    New items get their detection time (earliest sighting) and a proposed rating, LEV and
    IRV from the scanner's data, marked proposed until a person evaluates. Items the scan
    closed (no longer detected anywhere) become Remediated (FRD-RMV).
    """
    if not system.is_cr26:
        return
    recorder = Recorder(actor, import_record=import_record)
    source = f"scan import {import_record.file_name}"
    _detect_new(system, changes, recorder, source)
    _remediate_closed(changes, recorder, source)
    recorder.save()


def _detect_new(system: System, changes: Changes, recorder: Recorder, source: str) -> None:
    if not changes.new_items:
        return
    by_key = {n.weakness_key: n for n in changes.new_items}
    weakness_ids = sorted({key[1] for key in by_key})
    created = []
    for start in range(0, len(weakness_ids), BATCH):
        rows = (PoamItem.objects.filter(system=system, cr26__isnull=True,
                                        scan_weakness_id__in=weakness_ids[start:start + BATCH])
                .select_related("system"))
        for item in rows:
            new = by_key.get((item.scan_scope, item.scan_weakness_id))
            if new is not None:
                created.append(_detected(item, new, recorder, source))
    Cr26Vulnerability.objects.bulk_create(created, batch_size=500)


def _detected(item: PoamItem, new, recorder: Recorder, source: str) -> Cr26Vulnerability:
    weakness = new.weakness
    detected = min((as_utc(s.first_seen) for s in new.assets), default=timezone.now())
    scanner = f"{weakness.scanner} {weakness.scanner_version}".strip() or "scanner"
    vuln = _new_vuln(item, detected, f"{scanner}, {source}")
    proposal = _propose(vuln, weakness.severity, extra=weakness.extra, kev=item.kev,
                        addresses=[s.asset.ip for s in new.assets])
    recorder.add(item, "create", entity=ENTITY, field_name="proposal",
                 new=f"proposed N{proposal.rating} {'LEV' if proposal.lev else 'NLEV'} "
                     f"{'IRV' if proposal.irv else 'NIRV'}; evaluation due "
                     f"{rules.iso(_evaluation_due(vuln))}",
                 justification=f"{source}: {proposal.basis}")
    return vuln


def _evaluation_due(vuln: Cr26Vulnerability) -> datetime:
    return rules.evaluation_due(CertClass(vuln.system.cr26_class), vuln.detected_at).at


def _remediate_closed(changes: Changes, recorder: Recorder, source: str) -> None:
    refs = [c.ref for c in changes.closed]
    if not refs:
        return
    vulns = (Cr26Vulnerability.objects.filter(item_id__in=refs, disposition="")
             .select_related("item", "system"))
    when = {c.ref: as_utc(c.on) for c in changes.closed}
    for vuln in vulns:
        vuln.disposition = Disposition.REMEDIATED.value
        vuln.disposition_at = when[vuln.item_id]
        recorder.add(vuln.item, "update", entity=ENTITY, field_name="disposition",
                     new=vuln.disposition,
                     justification=f"{source}: no longer detected on any covered asset")
        vuln.save(update_fields=["disposition", "disposition_at", "updated_at"])


# ---- evaluations and reductions ----------------------------------------------------------

def _moment(at: datetime | None, vuln: Cr26Vulnerability, what: str) -> datetime:
    now = timezone.now()
    moment = now.replace(microsecond=0) if at is None else rules.utc(at, what)
    if moment > now + timedelta(minutes=5):
        raise ServiceError(f"{what} {rules.iso(moment)} is in the future")
    if moment < vuln.detected_at:
        raise ServiceError(f"{what} {rules.iso(moment)} is before the detection "
                           f"{rules.iso(vuln.detected_at)}")
    return moment


def _lock(vuln: Cr26Vulnerability) -> Cr26Vulnerability:
    """The row, re-read and locked until the transaction ends: two people evaluating at once
    cannot both record "the" evaluation."""
    return (Cr26Vulnerability.objects.select_for_update(no_key=True, of=("self",))
            .select_related("item", "system__organization", "group_lead__item").get(pk=vuln.pk))


def _editable(actor: Actor, vuln: Cr26Vulnerability) -> None:
    require(actor, vuln.system.organization, "poam.edit")
    if not vuln.system.is_cr26:
        raise ServiceError(f"{vuln.system.name} is not under the CR26 rules")
    if vuln.group_lead_id is not None:
        raise ServiceError(f"{vuln.item.poam_id} is grouped under "
                           f"{vuln.group_lead.item.poam_id}; change the group's lead instead")


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"say {what}: it is kept in the history and the reports")
    return value


@transaction.atomic
def evaluate(actor: Actor, vuln: Cr26Vulnerability, *, rating: int, lev: bool, irv: bool,
             reason: str, at: datetime | None = None) -> Cr26RatingEvent:
    """Record a completed evaluation (VER-EVA-ELX, -EIR, -EPA): who, when, why.

    The first one starts the PVR and VER-TFR-MAV clocks. A later one that lowers the rating
    is recorded as a reduction; otherwise as a re-evaluation.
    """
    vuln = _lock(vuln)
    _editable(actor, vuln)
    try:
        rules.check_rating(rating)
    except rules.Cr26Error as exc:
        raise ServiceError(str(exc)) from None
    reason = _text(reason, "why (the evaluation's reasoning)")
    moment = _moment(at, vuln, "the evaluation time")
    events = list(vuln.rating_events.all())
    if not events:
        kind = EventKind.EVALUATION
    else:
        kind = EventKind.REDUCTION if rating < events[-1].rating else EventKind.REEVALUATION
        if moment < events[-1].at:
            raise ServiceError("an evaluation cannot come before the last rating change "
                               f"({rules.iso(events[-1].at)})")
    return _rate(actor, vuln, events, kind, rating, lev, irv, reason, moment)


@transaction.atomic
def record_reduction(actor: Actor, vuln: Cr26Vulnerability, *, rating: int, what: str,
                     at: datetime | None = None, lev: bool | None = None,
                     irv: bool | None = None, disposition: str = "") -> Cr26RatingEvent:
    """A completed reduction to a lower N-rating (VDR-TFR-PVR; VER-RPT-VDT item 7)."""
    vuln = _lock(vuln)
    _editable(actor, vuln)
    events = list(vuln.rating_events.all())
    if not events:
        raise ServiceError(f"{vuln.item.poam_id} is not evaluated yet; evaluate it first")
    current = events[-1]
    if not isinstance(rating, int) or not 0 <= rating < current.rating:
        raise ServiceError(f"a reduction lowers the N-rating: below N{current.rating}, at "
                           "least N0")
    what = _text(what, "what was done")
    moment = _moment(at, vuln, "the reduction time")
    if moment < current.at:
        raise ServiceError(f"the reduction cannot come before {rules.iso(current.at)}")
    event = _rate(actor, vuln, events, EventKind.REDUCTION, rating,
                  current.lev if lev is None else lev, current.irv if irv is None else irv,
                  what, moment)
    if disposition:
        _dispose(actor, vuln, disposition, what, moment)
    return event


def _rate(actor: Actor, vuln: Cr26Vulnerability, events: list, kind: EventKind, rating: int,
          lev: bool, irv: bool, note: str, moment: datetime) -> Cr26RatingEvent:
    event = Cr26RatingEvent.objects.create(vulnerability=vuln, at=moment, kind=kind.value,
                                           rating=rating, lev=lev, irv=irv,
                                           actor_name=actor.name, note=note)
    recorder = Recorder(actor)
    old = (f"N{vuln.rating} {_flags(vuln.lev, vuln.irv)}" if vuln.rating is not None
           else "not evaluated")
    recorder.add(vuln.item, "update", entity=ENTITY, field_name=kind.value, old=old,
                 new=f"N{rating} {_flags(lev, irv)} at {rules.iso(moment)}", justification=note)
    if kind is EventKind.EVALUATION:
        vuln.evaluated_at, vuln.evaluated_by, vuln.evaluation_reason = moment, actor.name, note
    vuln.rating, vuln.lev, vuln.irv = rating, lev, irv
    if vuln.next_reduction_rating is not None and vuln.next_reduction_rating >= rating:
        vuln.next_reduction_at = vuln.next_reduction_rating = None  # that plan is done
    vuln.save()
    recorder.save()
    return event


def _flags(lev: bool | None, irv: bool | None) -> str:
    return f"{'LEV' if lev else 'NLEV'} {'IRV' if irv else 'NIRV'}"


@transaction.atomic
def plan_reduction(actor: Actor, vuln: Cr26Vulnerability, *, at: datetime, rating: int,
                   note: str = "") -> None:
    """The projected next reduction (VER-RPT-VDT item 8): when, and to which rating."""
    vuln = _lock(vuln)
    _editable(actor, vuln)
    if vuln.rating is None:
        raise ServiceError(f"{vuln.item.poam_id} is not evaluated yet")
    if not isinstance(rating, int) or not 0 <= rating < vuln.rating:
        raise ServiceError(f"the target rating must be below the current N{vuln.rating}")
    moment = rules.utc(at, "the planned time")
    recorder = Recorder(actor)
    recorder.add(vuln.item, "update", entity=ENTITY, field_name="next reduction",
                 new=f"N{rating} by {rules.iso(moment)}", justification=note)
    vuln.next_reduction_at, vuln.next_reduction_rating = moment, rating
    vuln.save(update_fields=["next_reduction_at", "next_reduction_rating", "updated_at"])
    recorder.save()


# ---- dispositions, acceptance, notes -----------------------------------------------------

@transaction.atomic
def dispose(actor: Actor, vuln: Cr26Vulnerability, disposition: str, reason: str,
            at: datetime | None = None) -> None:
    """The final disposition (VER-RPT-VDT item 11): fully or partially mitigated, remediated,
    or a false positive (VER-EVA-EFP)."""
    vuln = _lock(vuln)
    _editable(actor, vuln)
    _dispose(actor, vuln, disposition, _text(reason, "why"),
             _moment(at, vuln, "the disposition time"))


def _dispose(actor: Actor, vuln: Cr26Vulnerability, disposition: str, reason: str,
             moment: datetime) -> None:
    try:
        value = Disposition(disposition)
    except ValueError:
        raise ServiceError(f"disposition must be one of {', '.join(d.value for d in Disposition)}"
                           f", not {disposition!r}") from None
    recorder = Recorder(actor)
    recorder.add(vuln.item, "update", entity=ENTITY, field_name="disposition",
                 old=vuln.disposition, new=value.value, justification=reason)
    vuln.disposition, vuln.disposition_at = value.value, moment
    vuln.save(update_fields=["disposition", "disposition_at", "updated_at"])
    recorder.save()


@transaction.atomic
def accept(actor: Actor, vuln: Cr26Vulnerability, rationale: str,
           at: datetime | None = None) -> None:
    """Categorize as accepted (FRD-ACV: no intent to fully mitigate or remediate in time),
    with the explanation VER-RPT-AVI item 7 asks for. Past day 192 it is accepted anyway
    (VER-TFR-MAV); this records why."""
    vuln = _lock(vuln)
    _editable(actor, vuln)
    rationale = _text(rationale, "why it is accepted")
    moment = _moment(at, vuln, "the acceptance time")
    recorder = Recorder(actor)
    recorder.add(vuln.item, "update", entity=ENTITY, field_name="accepted",
                 old=rules.iso(vuln.accepted_at) or "", new=rules.iso(moment),
                 justification=rationale)
    vuln.accepted_at = vuln.accepted_at or moment
    vuln.acceptance_rationale = rationale
    vuln.save(update_fields=["accepted_at", "acceptance_rationale", "updated_at"])
    recorder.save()


@transaction.atomic
def explain(actor: Actor, vuln: Cr26Vulnerability, *, overdue: str | None = None,
            supplementary: str | None = None) -> None:
    """The overdue explanation (VER-RPT-VDT item 9) and supplementary information (item 10)."""
    vuln = _lock(vuln)
    require(actor, vuln.system.organization, "poam.edit")
    recorder = Recorder(actor)
    for name, value in (("overdue_explanation", overdue), ("supplementary", supplementary)):
        if value is not None and value.strip() != getattr(vuln, name):
            recorder.add(vuln.item, "update", entity=ENTITY, field_name=name,
                         old=getattr(vuln, name), new=value.strip())
            setattr(vuln, name, value.strip())
    vuln.save(update_fields=["overdue_explanation", "supplementary", "updated_at"])
    recorder.save()


# ---- grouping (VER-EVA-GRV) --------------------------------------------------------------

@transaction.atomic
def group(actor: Actor, lead: Cr26Vulnerability, members: list[Cr26Vulnerability],
          reason: str) -> None:
    """Group vulnerabilities that share a cause under one lead: the rules then apply to the
    group (VER-EVA-GRV). The group's detection time is the earliest member's
    [interpretation: the conservative choice; the rules do not define it]."""
    lead = _lock(lead)
    _editable(actor, lead)
    reason = _text(reason, "what the grouped vulnerabilities share")
    members = [m for m in members if m.pk != lead.pk]
    if not members:
        raise ServiceError("name at least one other vulnerability to group")
    recorder = Recorder(actor)
    for member in members:
        _check_member(lead, member)
        member.group_lead = lead
        member.save(update_fields=["group_lead", "updated_at"])
        recorder.add(member.item, "update", entity=ENTITY, field_name="group",
                     new=f"grouped under {lead.item.poam_id}", justification=reason)
    earliest = rules.group_detected_at([lead.detected_at, *(m.detected_at for m in members)])
    recorder.add(lead.item, "update", entity=ENTITY, field_name="group",
                 new="lead of " + ", ".join(m.item.poam_id for m in members),
                 justification=reason)
    if earliest != lead.detected_at:
        recorder.add(lead.item, "update", entity=ENTITY, field_name="detected_at",
                     old=rules.iso(lead.detected_at), new=rules.iso(earliest),
                     justification="a group is detected when its first member was")
        lead.detected_at = earliest
    lead.save()
    recorder.save()


def _check_member(lead: Cr26Vulnerability, member: Cr26Vulnerability) -> None:
    if member.system_id != lead.system_id:
        raise ServiceError(f"{member.item.poam_id} belongs to another system")
    if member.group_members.exists():
        raise ServiceError(f"{member.item.poam_id} leads a group of its own")
    if member.group_lead_id not in (None, lead.pk):
        raise ServiceError(f"{member.item.poam_id} is already in another group")


@transaction.atomic
def ungroup(actor: Actor, member: Cr26Vulnerability, reason: str) -> None:
    require(actor, member.system.organization, "poam.edit")
    if member.group_lead_id is None:
        raise ServiceError(f"{member.item.poam_id} is not in a group")
    recorder = Recorder(actor)
    recorder.add(member.item, "update", entity=ENTITY, field_name="group",
                 old=f"grouped under {member.group_lead.item.poam_id}", new="",
                 justification=_text(reason, "why"))
    member.group_lead = None
    member.save(update_fields=["group_lead", "updated_at"])
    recorder.save()
