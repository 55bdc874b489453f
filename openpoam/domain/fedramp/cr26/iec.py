"""Incident-communication deadlines (IEC) for a vulnerability treated as a FedRAMP Reportable
Incident under VER-TFR-IRI or VER-TFR-NRI.

Source: the IEC ruleset of FedRAMP/rules ``fedramp-consolidated-rules.json`` (``sources.RULES``),
``FRR.IEC.data.all.CSO.IEC-CSO-{IIR,OIR,FIR}.varies_by_class.*.pain_timeframes``, compiled in
the CR26 rulebook section 5.4. IEC is effective for Rev5 from 2027-01-01 (grace 2027-06-01),
for 20x from 2026-07-04 (obtain) and 2027-01-01 (maintain): ``FRR.IEC.{rev5,20x}.effective``.

[interpretation, rulebook 11.9] The rules do not say when the incident clock starts for a
vulnerability; it starts here at the rating event from which the IRI/NRI condition has held
without a break. The final report is due after the treatment ends (the reduction to N3 / N4 or
below, or full mitigation). ``bizdays`` are Monday to Friday in UTC, no holiday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from openpoam.domain.fedramp.cr26 import sources
from openpoam.domain.fedramp.cr26.tables import CertClass, Force

__all__ = ["IEC_FORCE", "IEC_REPORTS", "IecDeadline", "Span", "add_span", "iec_deadlines"]


@dataclass(frozen=True, slots=True)
class Span:
    """One IEC ``pain_timeframes`` cell: ``timeframe_num`` of ``timeframe_type``."""

    amount: float
    unit: str  # "hours" or "bizdays"

    def __str__(self) -> str:
        amount = f"{self.amount:g}"
        unit = {"bizdays": "business day", "hours": "hour"}[self.unit]
        return f"{amount} {unit}{'' if self.amount == 1 else 's'}"


def _h(amount: float) -> Span:
    return Span(amount, "hours")


_BIZ1, _BIZ3 = Span(1, "bizdays"), Span(3, "bizdays")


def _by_rating(n1: Span, n2: Span, n3_to_5: Span) -> dict[int, Span]:
    return {1: n1, 2: n2, 3: n3_to_5, 4: n3_to_5, 5: n3_to_5}


# IEC-CSO-IIR (initial report), IEC-CSO-OIR (ongoing reports, every ...), IEC-CSO-FIR (final
# report): class -> N-rating -> timeframe. Rulebook 5.4, from S1 pain_timeframes.
IEC_REPORTS: dict[str, dict[CertClass, dict[int, Span]]] = {
    "IEC-CSO-IIR": {
        CertClass.A: _by_rating(_BIZ1, _BIZ1, _h(6)), CertClass.B: _by_rating(_BIZ1, _BIZ1, _h(6)),
        CertClass.C: _by_rating(_BIZ1, _h(24), _h(1)),
        CertClass.D: _by_rating(_h(1), _h(1), _h(0.25)),
    },
    "IEC-CSO-OIR": {
        CertClass.A: _by_rating(_BIZ1, _BIZ1, _BIZ1), CertClass.B: _by_rating(_BIZ1, _BIZ1, _BIZ1),
        CertClass.C: _by_rating(_BIZ1, _h(24), _h(6)),
        CertClass.D: _by_rating(_h(24), _h(6), _h(3)),
    },
    "IEC-CSO-FIR": {
        CertClass.A: _by_rating(_BIZ3, _BIZ3, _BIZ3), CertClass.B: _by_rating(_BIZ3, _BIZ3, _BIZ3),
        CertClass.C: _by_rating(_BIZ1, _BIZ1, _h(6)),
        CertClass.D: _by_rating(_h(24), _h(6), _h(3)),
    },
}
# Force: SHOULD in Class A (FIR: MUST in every class), MUST in B, C and D.
IEC_FORCE: dict[str, dict[CertClass, Force]] = {
    rule: {cls: (Force.SHOULD if cls is CertClass.A and rule != "IEC-CSO-FIR" else Force.MUST)
           for cls in CertClass} for rule in IEC_REPORTS}
_WHAT = {"IEC-CSO-IIR": "initial incident report", "IEC-CSO-OIR": "ongoing incident reports",
         "IEC-CSO-FIR": "final incident report"}


@dataclass(frozen=True, slots=True)
class IecDeadline:
    rule: str
    force: Force
    what: str
    span: Span
    at: datetime | None  # None: not due yet (the final report before the treatment ends)
    basis: str
    citation: str


def add_span(start: datetime, span: Span) -> datetime:
    """``start`` plus the span; business days skip Saturday and Sunday (UTC)."""
    if span.unit == "hours":
        return start + timedelta(hours=span.amount)
    moment, left = start, int(span.amount)
    while left:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def iec_deadlines(cert_class: CertClass, rating: int, since: datetime,
                  ended: datetime | None = None) -> list[IecDeadline]:
    """The three IEC deadlines of an incident that began at ``since`` (and ended at ``ended``).

    An N0 rating has no IEC row; it uses the N1 row [interpretation: the lowest row]. The
    ongoing reports' ``at`` is the first one (``since`` + the cadence), then every span after.
    """
    row = max(rating, 1)
    out = []
    for rule, table in IEC_REPORTS.items():
        span = table[cert_class][row]
        start, label = (ended, "treatment ended") if rule == "IEC-CSO-FIR" else (since,
                                                                               "incident began")
        at = add_span(start, span) if start is not None else None
        every = "every " if rule == "IEC-CSO-OIR" else ""
        out.append(IecDeadline(rule, IEC_FORCE[rule][cert_class], _WHAT[rule], span, at,
                               f"{label} + {every}{span} (Class {cert_class}, N{row})",
                               sources.iec(rule)))
    return out
