"""CR26 deadlines for one vulnerability (or one group of them): pure functions of instants.

Every instant is timezone-aware UTC; "now" is always an argument. Every answer names its rule.
The counting conventions are the rulebook's section 10 [interpretation], chosen because the
rules give durations but no counting rules:

- "N days" is N x 24 hours of elapsed time; no business days (the rules schema lists
  ``bizdays`` separately, and Class D's 12-hour cell forces arithmetic on instants).
- An action at the due instant is on time.
- A KEV due date (a calendar date) is due at 23:59:59 UTC that day.
- The PVR clock runs from the actual completed evaluation, even a late one; the lateness is
  reported on its own (``evaluation_late``), it does not move the PVR deadline.
- After a reduction, the next timeframe runs from the evaluation that established the current
  rating (the completed reduction); a change of LEV/IRV alone changes the column, not the start.
- A change of class (FRC-CCL) applies from its instant: each clock uses the class in force when
  it started (detection for VER-TFR-EVU, the event that set the current rating for VDR-TFR-PVR,
  the start of the incident for IEC); a clock started before the change keeps its deadline
  [interpretation, rulebook 10.8: "new deadlines follow the new class from the date of the
  change"].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from openpoam.domain.fedramp.cr26 import sources
from openpoam.domain.fedramp.cr26.iec import IecDeadline, iec_deadlines
from openpoam.domain.fedramp.cr26.tables import (EVU, IRI, IRI_FROM_RATING, MAV, NRI,
                                                 NRI_FROM_RATING, PVR, RATINGS, CertClass,
                                                 Column, Force, Timeframe)


class Disposition(StrEnum):
    """Final disposition (VER-RPT-VDT item 11; FRD-PMV, FRD-FMV, FRD-RMV, FRD-FPV)."""

    PARTIALLY_MITIGATED = "Partially Mitigated"
    FULLY_MITIGATED = "Fully Mitigated"
    REMEDIATED = "Remediated"
    FALSE_POSITIVE = "False Positive"

    @property
    def ends_clock(self) -> bool:
        """Full mitigation, remediation or a false positive stops VER-TFR-MAV; partial does not."""
        return self is not Disposition.PARTIALLY_MITIGATED


class EventKind(StrEnum):
    EVALUATION = "evaluation"  # the completed evaluation (VER-RPT-VDT item 3)
    REDUCTION = "reduction"  # a completed and evaluated reduction (item 7)
    REEVALUATION = "re-evaluation"  # LEV/IRV or rating revisited without a reduction


@dataclass(frozen=True, slots=True)
class RatingEvent:
    """One entry of the rating history: the rating, LEV and IRV from this instant on."""

    at: datetime
    rating: int
    lev: bool
    irv: bool
    kind: EventKind = EventKind.EVALUATION


@dataclass(frozen=True, slots=True)
class Deadline:
    at: datetime | None  # None: no timeframe applies
    rule: str  # "VER-TFR-EVU", ...
    citation: str
    basis: str  # how it was computed, for people


@dataclass(frozen=True, slots=True)
class Incident:
    rule: str  # VER-TFR-IRI or VER-TFR-NRI
    force: Force
    citation: str
    until: str
    since: datetime | None = None  # the rating event from which the condition holds
    reports: tuple[IecDeadline, ...] = ()  # IEC-CSO-IIR / OIR / FIR (iec.py)
    ended: datetime | None = None  # the reduction or disposition that ended the treatment


@dataclass(frozen=True, slots=True)
class ClassChange:
    """A change of certification class (FRC-CCL), effective at ``at``."""

    at: datetime
    old: CertClass
    new: CertClass


class Cr26Error(ValueError):
    """Inputs the rules cannot be applied to; the message names the field."""


def utc(moment: datetime, name: str = "time") -> datetime:
    """The instant in UTC; a time without a zone is refused (it names no instant)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Cr26Error(f"{name} has no time zone; give it in UTC with a trailing Z")
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z, or None."""
    if moment is None:
        return None
    return utc(moment).isoformat().replace("+00:00", "Z")


def column(lev: bool, irv: bool) -> Column:
    """PVR column: NLEV ignores reachability; with LEV, IRV picks the column."""
    if not lev:
        return Column.NLEV
    return Column.IRV_LEV if irv else Column.NIRV_LEV


def check_rating(rating: int) -> int:
    if isinstance(rating, bool) or rating not in RATINGS:
        raise Cr26Error(f"rating must be an N-rating from 0 to 5 (VER-EVA-EPA), not {rating!r}")
    return rating


# ---- the single rules -----------------------------------------------------------------------

def evaluation_due(cert_class: CertClass, detected_at: datetime) -> Deadline:
    """VER-TFR-EVU: evaluate within 14/7/5/2 days (A/B/C/D) of detection."""
    frame = EVU[cert_class]
    return Deadline(utc(detected_at, "detected_at") + frame.delta, "VER-TFR-EVU", sources.EVU,
                    f"detection + {frame} (Class {cert_class})")


def reduction_timeframe(cert_class: CertClass, rating: int, lev: bool,
                        irv: bool) -> Timeframe | None:
    """VDR-TFR-PVR cell; None for N1 (VDR-TFR-RMN) and N0 (no row), in every class."""
    return PVR[cert_class].get(check_rating(rating), {}).get(column(lev, irv))


def kev_due_at(kev_due: date) -> datetime:
    """VDR-TFR-KEV: the catalog's calendar date, due at the end of that day in UTC
    [interpretation: the catalog gives no time or zone]."""
    return datetime.combine(kev_due, time(23, 59, 59), UTC)


def kev_deadline(kev_due: date | None) -> Deadline | None:
    if kev_due is None:
        return None
    return Deadline(kev_due_at(kev_due), "VDR-TFR-KEV", sources.KEV,
                    f"CISA KEV due date {kev_due.isoformat()}, end of day UTC; full remediation "
                    "even if fully mitigated")


def pvr_deadline(cert_class: CertClass, current: RatingEvent,
                 since: RatingEvent | None = None) -> Deadline:
    """The next reduction of the current rating, from ``since``: the event that established
    that rating (default: ``current``). LEV and IRV pick the column from ``current``."""
    frame = reduction_timeframe(cert_class, current.rating, current.lev, current.irv)
    if frame is None and current.rating == 0:
        return Deadline(None, "VDR-TFR-PVR", sources.NOROW,
                        "N0: no timeframe (VDR-TFR-PVR has no N0 row)")
    if frame is None:
        return Deadline(None, "VDR-TFR-RMN", sources.RMN,
                        "N1: no timeframe; mitigate or remediate in routine operations")
    start = since or current
    col = column(current.lev, current.irv)
    return Deadline(utc(start.at) + frame.delta, "VDR-TFR-PVR", sources.PVR,
                    f"{start.kind.value} + {frame} (Class {cert_class}, "
                    f"N{current.rating}, {col.value})")


def rating_established(ratings: tuple[RatingEvent, ...]) -> RatingEvent | None:
    """The event that set the current rating: re-evaluations that keep the rating (a change
    of LEV or IRV only) do not restart the clock [interpretation, rulebook section 4]."""
    if not ratings:
        return None
    start = len(ratings) - 1
    while start > 0 and ratings[start - 1].rating == ratings[-1].rating:
        start -= 1
    return ratings[start]


def reduction_due(cert_class: CertClass, current: RatingEvent | None,
                  kev_due: date | None, since: RatingEvent | None = None) -> Deadline:
    """The next reduction: the PVR cell, capped by the KEV due date when that is sooner.

    None until evaluated (the PVR clock starts at evaluation). The KEV cap is the rulebook's
    reading (section 5.3 [interpretation]): remediation also satisfies PVR.
    """
    if current is None:
        return Deadline(None, "VDR-TFR-PVR", sources.PVR,
                        "not evaluated yet: the PVR clock starts at evaluation")
    pvr = pvr_deadline(cert_class, current, since)
    kev = kev_deadline(kev_due)
    if kev is not None and (pvr.at is None or kev.at < pvr.at):
        return kev
    return pvr


def accepted_from(evaluated_at: datetime | None) -> Deadline:
    """VER-TFR-MAV: accepted if not fully mitigated or remediated within 192 days of evaluation."""
    if evaluated_at is None:
        return Deadline(None, "VER-TFR-MAV", sources.MAV,
                        "not evaluated yet: the 192-day clock starts at evaluation")
    return Deadline(utc(evaluated_at, "evaluated_at") + MAV.delta, "VER-TFR-MAV", sources.MAV,
                    f"evaluation + {MAV}, every class")


def incident(cert_class: CertClass, current: RatingEvent | None) -> Incident | None:
    """VER-TFR-IRI / VER-TFR-NRI: whether it may or should be treated as a reportable incident.

    The rating is the current one, so a reduction to N3 (IRI) or N4 (NRI) ends the treatment.
    """
    rule = _incident_rule(current)
    if rule == "VER-TFR-IRI":
        return Incident(rule, IRI[cert_class], sources.IRI,
                        "until partially mitigated to N3 or below")
    if rule == "VER-TFR-NRI":
        return Incident(rule, NRI[cert_class], sources.NRI,
                        "until partially mitigated to N4 or below")
    return None


def _incident_rule(event: RatingEvent | None) -> str:
    if event is None or not event.lev:
        return ""
    if event.irv and event.rating >= IRI_FROM_RATING:
        return "VER-TFR-IRI"
    if not event.irv and event.rating >= NRI_FROM_RATING:
        return "VER-TFR-NRI"
    return ""


def incident_since(ratings: tuple[RatingEvent, ...]) -> RatingEvent | None:
    """The event from which the current IRI/NRI condition has held without a break."""
    if not ratings or not _incident_rule(ratings[-1]):
        return None
    start = len(ratings) - 1
    while start > 0 and _incident_rule(ratings[start - 1]):
        start -= 1
    return ratings[start]


def _with_reports(found: Incident | None, vuln: "Vulnerability") -> Incident | None:
    """The incident with its IEC deadlines, under the class in force when it began."""
    since = incident_since(vuln.ratings)
    if found is None or since is None or vuln.current is None:
        return found
    reports = tuple(iec_deadlines(vuln.class_at(since.at), vuln.current.rating, since.at))
    return Incident(found.rule, found.force, found.citation, found.until, since.at, reports)


def past_incident(vuln: "Vulnerability") -> Incident | None:
    """The latest treatment as an incident that has ended (by a reduction out of IRI/NRI, or a
    final disposition), with its IEC deadlines: the final report (IEC-CSO-FIR) runs from the
    end."""
    last = max((n for n, e in enumerate(vuln.ratings) if _incident_rule(e)), default=None)
    if last is None:
        return None
    if last + 1 < len(vuln.ratings):
        ended = vuln.ratings[last + 1].at
    elif vuln.disposition is not None and vuln.disposition.ends_clock and vuln.disposition_at:
        ended = vuln.disposition_at
    else:
        return None  # still under way
    since = incident_since(vuln.ratings[:last + 1])
    cls = vuln.class_at(since.at)
    found = incident(cls, vuln.ratings[last])
    reports = tuple(iec_deadlines(cls, vuln.ratings[last].rating, since.at, ended=ended))
    return Incident(found.rule, found.force, found.citation, found.until, since.at, reports,
                    ended)


# ---- one vulnerability, its whole state ----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Vulnerability:
    """What the rules need about one vulnerability or one group of them (VER-EVA-GRV)."""

    cert_class: CertClass
    detected_at: datetime
    ratings: tuple[RatingEvent, ...] = ()  # oldest first; the first is the evaluation
    kev_due: date | None = None
    disposition: Disposition | None = None
    disposition_at: datetime | None = None
    accepted_at: datetime | None = None  # declared accepted early: no intent to fix (FRD-ACV)
    class_changes: tuple[ClassChange, ...] = ()  # oldest first; cert_class is the current one

    def class_at(self, moment: datetime) -> CertClass:
        """The class in force at ``moment`` (FRC-CCL changes apply from their instant)."""
        if not self.class_changes:
            return self.cert_class
        found = self.class_changes[0].old
        for change in self.class_changes:
            if utc(change.at) <= utc(moment):
                found = change.new
        return found

    @property
    def evaluated_at(self) -> datetime | None:
        return self.ratings[0].at if self.ratings else None

    @property
    def current(self) -> RatingEvent | None:
        return self.ratings[-1] if self.ratings else None

    @property
    def original_rating(self) -> int | None:
        return self.ratings[0].rating if self.ratings else None

    @property
    def mitigated_to_n0(self) -> bool:
        """Reduced from its original evaluation to N0: fully mitigated in the FRD-FMV sense
        ("reduced from the original evaluation until ... negligible"; N0 is "extremely
        unlikely to have any adverse effects", VER-EVA-EPA 2026.10.05.01) [interpretation].
        Evaluated N0 at the outset is no reduction, so not full mitigation."""
        return (self.current is not None and self.current.rating == 0
                and (self.original_rating or 0) > 0)


@dataclass(frozen=True, slots=True)
class Status:
    evaluation_due: Deadline
    evaluation_late: bool  # evaluated after the EVU deadline, or still not at ``now`` past it
    reduction_due: Deadline
    kev_due: Deadline | None
    accepted_from: Deadline
    accepted: bool
    accepted_rule: str
    overdue: bool  # FRD-ODV: past the PVR or KEV deadline, neither fixed nor accepted
    kev_overdue: bool
    closed: bool
    incident: Incident | None
    notes: list[str] = field(default_factory=list)
    reduction_overdue: bool = False  # past the reduction deadline itself (PVR, or KEV cap)
    past_incident: Incident | None = None  # an ended treatment: its final report (IEC-CSO-FIR)


def status(vuln: Vulnerability, now: datetime) -> Status:
    """Every CR26 deadline and flag for one vulnerability at ``now``."""
    now = utc(now, "now")
    evu = evaluation_due(vuln.class_at(vuln.detected_at), vuln.detected_at)
    evaluated = vuln.evaluated_at
    late = (evaluated > evu.at) if evaluated is not None else now > evu.at
    closed = ((vuln.disposition is not None and vuln.disposition.ends_clock)
              or vuln.mitigated_to_n0)
    since = rating_established(vuln.ratings)
    reduction = reduction_due(vuln.class_at(since.at) if since else vuln.cert_class,
                              vuln.current, vuln.kev_due, since)
    mav = accepted_from(evaluated)
    accepted, accepted_rule = _accepted(vuln, mav, now, closed)
    kev = kev_deadline(vuln.kev_due)
    kev_done = vuln.disposition is Disposition.REMEDIATED or vuln.disposition is \
        Disposition.FALSE_POSITIVE
    kev_overdue = kev is not None and not kev_done and now > kev.at
    overdue = (not closed and not accepted and reduction.at is not None and now > reduction.at)
    return Status(evu, late, reduction, kev, mav, accepted, accepted_rule, overdue or kev_overdue,
                  kev_overdue, closed,
                  None if closed else _with_reports(incident(vuln.class_at(now), vuln.current),
                                                    vuln),
                  _notes(vuln, evu, late), reduction_overdue=overdue,
                  past_incident=past_incident(vuln))


def _accepted(vuln: Vulnerability, mav: Deadline, now: datetime, closed: bool) -> tuple[bool, str]:
    if closed:
        return False, ""
    if vuln.accepted_at is not None and utc(vuln.accepted_at) <= now:
        return True, "FRD-ACV"
    if mav.at is not None and now >= mav.at:
        return True, "VER-TFR-MAV"
    return False, ""


def _notes(vuln: Vulnerability, evu: Deadline, late: bool) -> list[str]:
    notes = []
    if late and vuln.evaluated_at is not None:
        notes.append(f"evaluated after the {evu.rule} deadline {iso(evu.at)}; the PVR clock "
                     "still runs from the actual evaluation [interpretation, rulebook 4]")
    if vuln.disposition is Disposition.PARTIALLY_MITIGATED:
        notes.append("partial mitigation does not stop the 192-day clock (VER-TFR-MAV)")
    if vuln.mitigated_to_n0 and vuln.disposition is None:
        notes.append("reduced to N0: fully mitigated (FRD-FMV), the 192-day clock stops "
                     "(VER-TFR-MAV) [interpretation]")
    if vuln.current is not None and vuln.current.rating == 0 and not vuln.mitigated_to_n0:
        notes.append("evaluated N0 without a reduction: not fully mitigated (FRD-FMV), so "
                     "accepted after 192 days unless remediated (VER-TFR-MAV) [interpretation]")
    return notes


def group_detected_at(members: list[datetime]) -> datetime:
    """VER-EVA-GRV: a group's detection time is the earliest of its members'
    [interpretation: the rules do not define it; the earliest is the conservative choice]."""
    if not members:
        raise Cr26Error("a group needs at least one detected vulnerability")
    return min(utc(m) for m in members)
