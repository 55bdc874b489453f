"""Detection and verification cadences (VDR-TFR): how often resources must be scanned or
verified. They concern scan coverage, not a finding's deadline (rulebook section 6).

Source: FedRAMP/rules ``fedramp-consolidated-rules.json`` (``sources.RULES``),
``FRR.VDR.data.all.TFR.VDR-TFR-{PDD,PCD,PSD,NMV,MVF,MVX}``. VDR-TFR-NMV carries the
machine-readable timeframe fields since 2026.09.13.01 (``timeframe_type`` "months",
``timeframe_num`` 3, one statement for every class, MUST); Class A is on no NMV list.
[interpretation] "N months" is calendar months: the same day N months later, or the month's
last day when that day does not exist; days and hours are elapsed time, as everywhere here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpoam.domain.fedramp.cr26 import sources
from openpoam.domain.fedramp.cr26.tables import CertClass, Force

__all__ = ["CADENCES", "Cadence", "cadences", "next_due"]


@dataclass(frozen=True, slots=True)
class Every:
    amount: int
    unit: str  # "days" or "months"

    def __str__(self) -> str:
        return f"{self.amount} {self.unit if self.amount != 1 else self.unit.rstrip('s')}"


def _m(n: int) -> Every:
    return Every(n, "months")


def _d(n: int) -> Every:
    return Every(n, "days")


_S, _M = Force.SHOULD, Force.MUST
# rule -> (what, program or "" for both, class -> (force, every)). Rulebook section 6.
CADENCES: dict[str, tuple[str, str, dict[CertClass, tuple[Force, Every]]]] = {
    "VDR-TFR-PDD": ("detection on all resources likely to drift", "",
                    {CertClass.A: (_S, _m(3)), CertClass.B: (_S, _m(1)),
                     CertClass.C: (_S, _d(14)), CertClass.D: (_S, _d(7))}),
    "VDR-TFR-PCD": ("detection on all resources not likely to drift", "",
                    {CertClass.A: (_S, _m(6)), CertClass.B: (_S, _m(6)),
                     CertClass.C: (_S, _m(1)), CertClass.D: (_S, _m(1))}),
    "VDR-TFR-PSD": ("detection on representative samples of similar machine-based resources",
                    "", {CertClass.A: (_S, _d(14)), CertClass.B: (_S, _d(7)),
                         CertClass.C: (_S, _d(3)), CertClass.D: (_S, _d(1))}),
    "VDR-TFR-NMV": ("verification and validation of non-machine resources", "",
                    {CertClass.B: (_M, _m(3)), CertClass.C: (_M, _m(3)),
                     CertClass.D: (_M, _m(3))}),
    "VDR-TFR-MVF": ("verification and validation of machine-based resources", "rev5",
                    {CertClass.B: (_S, _m(1)), CertClass.C: (_M, _m(1)),
                     CertClass.D: (_M, _m(1))}),
    "VDR-TFR-MVX": ("verification and validation of machine-based resources", "20x",
                    {CertClass.A: (_S, _m(1)), CertClass.B: (_M, _d(7)),
                     CertClass.C: (_M, _d(3))}),
}


@dataclass(frozen=True, slots=True)
class Cadence:
    rule: str
    force: Force
    what: str
    every: Every
    citation: str


def cadences(cert_class: CertClass, program: str = "rev5") -> list[Cadence]:
    """The cadences that apply to a class in a program ("rev5" or "20x")."""
    out = []
    for rule, (what, only, by_class) in CADENCES.items():
        if (only and only != program) or cert_class not in by_class:
            continue
        force, every = by_class[cert_class]
        out.append(Cadence(rule, force, what, every, sources.cadence(rule)))
    return out


def next_due(last: datetime, every: Every) -> datetime:
    """When the next pass is due after one completed at ``last``."""
    if every.unit == "days":
        return last + timedelta(days=every.amount)
    month0 = last.month - 1 + every.amount
    year, month = last.year + month0 // 12, month0 % 12 + 1
    day = min(last.day, calendar.monthrange(year, month)[1])
    return last.replace(year=year, month=month, day=day)
