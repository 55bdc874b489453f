"""The plain input of the CMMC engine: an assessment and its results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from openpoam.domain.cmmc.errors import CmmcInputError


class Result(StrEnum):
    """Finding for one requirement (32 CFR 170.24(b))."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"  # counts as MET (§170.24(b)(3))
    PARTIAL = "partial"  # NOT MET at the 3-point value: only 3.5.3 and 3.13.11 (DoDAM §5(e))

    @classmethod
    def parse(cls, raw: object) -> Result:
        """Accept the enum, its value, or forgiving spellings ("Not Met", "N/A")."""
        if isinstance(raw, Result):
            return raw
        if not isinstance(raw, str):
            raise CmmcInputError(f"result must be text, not {raw!r}")
        text = raw.strip().lower().replace("-", "_").replace(" ", "_")
        aliases = {"n/a": "not_applicable", "na": "not_applicable", "notmet": "not_met"}
        text = aliases.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise CmmcInputError(
                f"unknown result {raw!r}: use met, not_met, not_applicable or partial") from None


class AssessmentType(StrEnum):
    SELF = "Self"
    C3PAO = "C3PAO"
    DIBCAC = "DIBCAC"

    @classmethod
    def parse(cls, raw: object) -> AssessmentType:
        if isinstance(raw, AssessmentType):
            return raw
        names = {t.value.lower(): t for t in cls}
        if isinstance(raw, str) and raw.strip().lower() in names:
            return names[raw.strip().lower()]
        raise CmmcInputError(f"unknown assessment_type {raw!r}: use Self, C3PAO or DIBCAC")


# Who may assess which level: Level 1 is self-assessed only (§170.15), Level 2 is Self
# or C3PAO (§§170.16, 170.17), Level 3 is DCMA DIBCAC only (§170.18).
ALLOWED_TYPES = {
    1: (AssessmentType.SELF,),
    2: (AssessmentType.SELF, AssessmentType.C3PAO),
    3: (AssessmentType.DIBCAC,),
}


@dataclass(frozen=True)
class Assessment:
    """One assessment of one scope.

    ``results`` maps any accepted ID form (see ids.py) to a Result; requirements
    not listed are MET. ``status_date`` is the date the results were submitted to
    SPRS or eMASS (the CMMC Status Date, §170.4). ``final_level2_c3pao`` matters
    only at Level 3: a Final Level 2 (C3PAO) on the same scope is a prerequisite
    (§170.18(a)(1)).
    """

    level: int
    assessment_type: AssessmentType
    results: Mapping[str, Result | str] = field(default_factory=dict)
    status_date: date | None = None
    final_level2_c3pao: bool = False

    def __post_init__(self) -> None:
        if self.level not in ALLOWED_TYPES or isinstance(self.level, bool):
            raise CmmcInputError(f"level must be 1, 2 or 3, not {self.level!r}")
        kind = AssessmentType.parse(self.assessment_type)
        object.__setattr__(self, "assessment_type", kind)
        if kind not in ALLOWED_TYPES[self.level]:
            allowed = " or ".join(t.value for t in ALLOWED_TYPES[self.level])
            raise CmmcInputError(
                f"a Level {self.level} assessment is {allowed}, not {kind.value}")
