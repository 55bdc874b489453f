"""The CR26 timeframe tables, one per rule, exactly as the rules file gives them.

Values: FedRAMP/rules ``fedramp-consolidated-rules.json`` 2026.10.08.01 (``sources.RULES``; the
VDR/VER tables are unchanged since 2026.07.14.01, commit 12fe1b6, except the N0 rating of
VER-EVA-EPA added in 2026.10.05.01); each table names its JSON path in ``sources``. Units are the source's ``timeframe_type``: every PVR
cell is ``days`` except Class D N5 LEV+IRV, which is ``hours`` (the 12-hour cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class CertClass(StrEnum):
    """FRD-CCL: the certification class, minimal assurance (A) to significant (D)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Column(StrEnum):
    """The PVR columns (source keys): LEV+IRV, LEV+NIRV, or NLEV whatever the reachability."""

    IRV_LEV = "irv_lev"
    NIRV_LEV = "nirv_lev"
    NLEV = "nlev"


class Force(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


@dataclass(frozen=True, slots=True)
class Timeframe:
    amount: int
    unit: str  # "days" or "hours", as the source's timeframe_type

    @property
    def delta(self) -> timedelta:
        # Rulebook section 10.2 [interpretation]: "N days" is N x 24 hours of elapsed time.
        return timedelta(hours=self.amount) if self.unit == "hours" else timedelta(days=self.amount)

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit.rstrip("s")
        return f"{self.amount} {unit}"


def _days(*values: int) -> tuple[Timeframe, ...]:
    return tuple(Timeframe(v, "days") for v in values)


# VER-TFR-EVU: days from detection to a completed evaluation (SHOULD in every class).
EVU: dict[CertClass, Timeframe] = {
    CertClass.A: Timeframe(14, "days"), CertClass.B: Timeframe(7, "days"),
    CertClass.C: Timeframe(5, "days"), CertClass.D: Timeframe(2, "days"),
}

# VDR-TFR-PVR: time from evaluation to the next reduction, by class, N-rating and column.
# Columns in order LEV+IRV, LEV+NIRV, NLEV. N1 has no timeframe ("1": {}) in any class.
_PVR_ROWS: dict[CertClass, dict[int, tuple[Timeframe, ...]]] = {
    CertClass.A: {5: _days(4, 8, 32), 4: _days(8, 32, 64), 3: _days(32, 64, 192),
                  2: _days(96, 160, 192)},
    CertClass.B: {5: _days(4, 8, 32), 4: _days(8, 32, 64), 3: _days(32, 64, 192),
                  2: _days(96, 160, 192)},
    CertClass.C: {5: _days(2, 4, 16), 4: _days(4, 8, 64), 3: _days(16, 32, 128),
                  2: _days(48, 128, 192)},
    CertClass.D: {5: (Timeframe(12, "hours"), *_days(1, 8)), 4: _days(2, 8, 32),
                  3: _days(8, 16, 64), 2: _days(24, 96, 192)},
}
PVR: dict[CertClass, dict[int, dict[Column, Timeframe]]] = {
    cls: {rating: dict(zip(Column, cells)) for rating, cells in rows.items()}
    for cls, rows in _PVR_ROWS.items()
}

# VER-TFR-MAV: 192 days of evaluation, the same in every class (MUST).
MAV = Timeframe(192, "days")

# VER-TFR-IRI: IRV and LEV and N-rating > 3 may/should be a FedRAMP Reportable Incident
# until partially mitigated to N3 or below.
IRI: dict[CertClass, Force] = {CertClass.A: Force.MAY, CertClass.B: Force.MAY,
                               CertClass.C: Force.SHOULD, CertClass.D: Force.SHOULD}
IRI_FROM_RATING = 4
# VER-TFR-NRI: NIRV and LEV and N-rating = 5, until partially mitigated to N4 or below.
NRI: dict[CertClass, Force] = {CertClass.A: Force.MAY, CertClass.B: Force.MAY,
                               CertClass.C: Force.MAY, CertClass.D: Force.SHOULD}
NRI_FROM_RATING = 5

# VER-TFR-MRH: machine-readable historical activity, force and cadence by class.
MRH: dict[CertClass, tuple[Force, str]] = {
    CertClass.A: (Force.MAY, "1 month"), CertClass.B: (Force.SHOULD, "1 month"),
    CertClass.C: (Force.SHOULD, "14 days"), CertClass.D: (Force.SHOULD, "7 days"),
}

# VER-EVA-EPA (rules 2026.10.05.01 on; pinned 2026.10.08.01): PAIN N0 to N5. N0: "Exploitation is
# extremely unlikely to have any adverse effects on agencies that use the cloud service
# offering." VDR-TFR-PVR has no N0 row, so N0, like N1, has no reduction timeframe.
RATINGS = (0, 1, 2, 3, 4, 5)
# The FedRAMP report schemas' nRating stays 1-5 (common definitions 0.1.1 to 0.3.0): how the
# reports carry N0 is in openpoam/formats/cr26/README.md.

# FRC-CLA: Class A exists only as 20x Program Certification; Rev5 classes are B, C and D
# (FRC-CSF-BSL has baselines for b, c and d only). The rulebook's conflict note (section 1):
# the rules file wins over a narrative page, so Rev5 + Class A is refused.
REV5_CLASSES = (CertClass.B, CertClass.C, CertClass.D)

# A legacy Rev5 impact level's usual class: every CR26 timeframe for B / C / D equals the
# pre-CR26 Low / Moderate / High value [interpretation, strong; rulebook section 2.6]. Only a
# suggestion: the class is whatever FedRAMP certified.
LEGACY_CLASS = {"low": CertClass.B, "moderate": CertClass.C, "high": CertClass.D}


def report_cadence(kind: str, cert_class: CertClass) -> tuple[Force, str, str]:
    """How often each report is due: (force, cadence, rule).

    VDT and AVI: persistently, covering all activity since the previous report (VER-RPT-PER,
    MUST); MHR: human readable at least monthly (VER-TFR-MHR, MUST); MRH: by class
    (VER-TFR-MRH).
    """
    if kind == "mrh":
        force, cadence = MRH[cert_class]
        return force, f"every {cadence}", "VER-TFR-MRH"
    if kind == "mhr":
        return Force.MUST, "at least monthly", "VER-TFR-MHR"
    return Force.MUST, "persistently, all activity since the previous report", "VER-RPT-PER"
