"""Score an assessment, decide each gap's POA&M eligibility, and name the CMMC status.

Rules: 32 CFR 170.21 (POA&Ms), 170.24 (scoring) and the NIST SP 800-171 DoD Assessment
Methodology v1.2.1 (DoDAM) point values, as compiled in RULES.md §§2-6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from openpoam.domain.cmmc import catalog, clock
from openpoam.domain.cmmc.catalog import Requirement
from openpoam.domain.cmmc.errors import CmmcInputError, InvalidResultError
from openpoam.domain.cmmc.ids import family_mismatch, normalize
from openpoam.domain.cmmc.model import Assessment, Result

NO_STATUS = "No CMMC Status"  # the rule names no such status (RULES.md §12); plain words
SSP_ID = "CA.L2-3.12.4"
FIPS_ID = "SC.L2-3.13.11"
MFA_ID = "IA.L2-3.5.3"
ONE_POINT = 1


class StatusKind(StrEnum):
    FINAL = "final"
    CONDITIONAL = "conditional"
    NONE = "none"


@dataclass(frozen=True)
class Gap:
    """One NOT MET (or partial) requirement and whether it may go on the POA&M."""

    requirement: Requirement
    result: Result
    deduction: int | None  # points subtracted; None at Level 1 and for 3.12.4
    poam_eligible: bool
    reason: str
    citation: str


@dataclass(frozen=True)
class Evaluation:
    assessment: Assessment
    results: Mapping[str, Result]  # CMMC ID -> result, every requirement of the level
    score: int | None
    max_score: int | None
    status: str  # exact §170.4 name, or NO_STATUS
    kind: StatusKind
    conditional_reachable: bool  # results meet every Conditional condition (Final ones too)
    gaps: tuple[Gap, ...]
    reasons: tuple[str, ...]

    @property
    def level(self) -> int:
        return self.assessment.level

    @property
    def status_date(self) -> date | None:
        return self.assessment.status_date

    @property
    def closeout_deadline(self) -> date | None:
        """Known only for a Conditional status with a status date (§170.21(b))."""
        if self.kind is StatusKind.CONDITIONAL and self.status_date is not None:
            return clock.closeout_deadline(self.status_date)
        return None

    @property
    def closeout_scope(self) -> tuple[str, ...]:
        """The closeout assesses exactly the POA&M requirements (§170.21(b))."""
        if self.kind is not StatusKind.CONDITIONAL:
            return ()
        return tuple(gap.requirement.id for gap in self.gaps)


def status_name(kind: StatusKind, level: int, assessment_type: str) -> str:
    """Exact names of 32 CFR 170.4, e.g. "Conditional Level 2 (C3PAO)"."""
    if kind is StatusKind.NONE:
        return NO_STATUS
    return f"{kind.value.capitalize()} Level {level} ({assessment_type})"


def threshold(max_score: int) -> int:
    """Lowest integer score with score / max >= 0.8 (§170.21(a)(2)(i), (a)(3)(i)).

    Exact integer arithmetic: 88 of 110; 20 of 24 (19.2 rounds up, RULES.md §6
    [interpretation: scores are integers]).
    """
    return -(-4 * max_score // 5)


# ---------------------------------------------------------------- results


def normalize_results(level: int, raw: Mapping[str, Result | str]) -> dict[str, Result]:
    """Every requirement of the level keyed by CMMC ID; unlisted ones are MET."""
    given: dict[str, Result] = {}
    for key, value in raw.items():
        req_id = normalize(key, level)
        result = Result.parse(value)
        _check_partial(level, req_id, key, result)
        given[req_id] = _merge(level, req_id, given.get(req_id), result, key)
    return {r.id: given.get(r.id, Result.MET) for r in catalog.requirements(level)}


def _check_partial(level: int, req_id: str, key: str, result: Result) -> None:
    if result is not Result.PARTIAL:
        return
    if level != 2 or catalog.by_id(2)[req_id].partial_points is None:
        raise InvalidResultError(
            f"partial is not a result for {key!r}: partial credit exists only for "
            f"{MFA_ID} and {FIPS_ID} at Level 2 (DoDAM §5(e); 32 CFR 170.24(c)(2)(i)(B)(4))")


_SEVERITY = {Result.NOT_APPLICABLE: 0, Result.MET: 1, Result.PARTIAL: 2, Result.NOT_MET: 3}


def _merge(level: int, req_id: str, old: Result | None, new: Result, key: str) -> Result:
    if old is None or old is new:
        return new
    if level == 1:
        # PE.L1-b.1.ix covers 3.10.3-3.10.5 (table 2 to §170.15); one failed part fails
        # the whole requirement (§170.24(b)(2)), so the worst result wins.
        return max(old, new, key=_SEVERITY.__getitem__)
    raise CmmcInputError(f"{req_id} is given twice with different results (last as {key!r})")


# ---------------------------------------------------------------- evaluation


def evaluate(assessment: Assessment) -> Evaluation:
    results = normalize_results(assessment.level, assessment.results)
    judge = {1: _evaluate_level1, 2: _evaluate_level2, 3: _evaluate_level3}[assessment.level]
    evaluation = judge(assessment, results)
    notes = id_notes(assessment)
    if notes:
        evaluation = replace(evaluation, reasons=evaluation.reasons + tuple(notes))
    return evaluation


def _failed(results: Mapping[str, Result]) -> list[Requirement]:
    """NOT MET and partial requirements, in catalog order. N/A counts as MET."""
    return [catalog.by_id_any(req_id) for req_id, result in results.items()
            if result in (Result.NOT_MET, Result.PARTIAL)]


def id_notes(assessment: Assessment) -> list[str]:
    """IDs whose domain prefix contradicted their number (read by number; see ids.py)."""
    notes = []
    for key in assessment.results:
        req_id = normalize(key, assessment.level)
        if family_mismatch(key, req_id):
            notes.append(f"{key!r} was read as {req_id}: the number decides, the domain "
                         "prefix did not match.")
    return notes


def _na_reason(results: Mapping[str, Result]) -> list[str]:
    count = sum(result is Result.NOT_APPLICABLE for result in results.values())
    if not count:
        return []
    return [f"{count} requirement(s) assessed N/A count as MET and subtract nothing "
            "(32 CFR 170.24(b)(3))."]


# Level 1 ------------------------------------------------------------------

_L1_CITATION = "32 CFR 170.21(a)(1); 32 CFR 170.24(c)(1)"


def _evaluate_level1(assessment: Assessment, results: dict[str, Result]) -> Evaluation:
    gaps = tuple(Gap(req, results[req.id], None, False,
                     "No POA&M is permitted at Level 1: every requirement must be MET "
                     "before the assessment.", _L1_CITATION)
                 for req in _failed(results))
    if gaps:
        kind = StatusKind.NONE
        reasons = [f"{len(gaps)} of 15 Level 1 requirement(s) NOT MET; Level 1 is MET or "
                   f"NOT MET in its entirety and has no Conditional status ({_L1_CITATION})."]
    else:
        kind = StatusKind.FINAL
        reasons = ["All 15 Level 1 requirements MET (32 CFR 170.15(a)(1)); there is no "
                   "numeric Level 1 score (32 CFR 170.24(c)(1))."]
    return Evaluation(assessment, results, None, None,
                      status_name(kind, 1, assessment.assessment_type), kind, False, gaps,
                      tuple(reasons + _na_reason(results)))


# Level 2 ------------------------------------------------------------------

_L2_POINTS_RULE = "32 CFR 170.21(a)(2)(ii)"


def level2_gap(req: Requirement, result: Result) -> Gap:
    """Deduction and POA&M eligibility of one NOT MET Level 2 requirement."""
    deduction = req.partial_points if result is Result.PARTIAL else req.points
    ineligible = catalog.poam_ineligible(2)
    if req.id in ineligible.ids:
        return _listed_gap(req, result, deduction, ineligible)
    if deduction == ONE_POINT:
        return Gap(req, result, deduction, True,
                   "1-point requirement: may be on the POA&M.", _L2_POINTS_RULE)
    if req.id == FIPS_ID and result is Result.PARTIAL:
        return Gap(req, result, deduction, True,
                   "Encryption is employed but not FIPS-validated (3 points): the one "
                   "exception allowed on a POA&M.", _L2_POINTS_RULE)
    return Gap(req, result, deduction, False, _too_many_points(req, result, deduction),
               _L2_POINTS_RULE)


def _listed_gap(req: Requirement, result: Result, deduction: int | None,
                ineligible: catalog.IneligibleList) -> Gap:
    # The data file keeps the rule's order, so the position gives the paragraph letter.
    letter = "ABCDEF"[ineligible.ids.index(req.id)]
    citation = f"{ineligible.citation}({letter})"
    if req.id == SSP_ID:
        return Gap(req, result, None, False,
                   "No system security plan: the assessment cannot be completed, no score "
                   "is given, and CA.L2-3.12.4 may never be on a POA&M.",
                   f"{citation}; 32 CFR 170.24(c)(2)(i)(B)(5)")
    return Gap(req, result, deduction, False,
               f"{req.id} is on the list of requirements never allowed on a Level 2 POA&M.",
               citation)


def _too_many_points(req: Requirement, result: Result, deduction: int | None) -> str:
    if req.id == MFA_ID and result is Result.PARTIAL:
        return ("MFA for remote and privileged users only is worth 3 points; only SC.L2-3.13.11 "
                "may be on a POA&M above 1 point, so 3.5.3 must be fixed.")
    if req.id == FIPS_ID:
        return ("Encryption not employed is worth 5 points; only the 3-point state (employed "
                "but not FIPS-validated) may be on a POA&M.")
    return (f"Worth {deduction} points: only 1-point requirements (and SC.L2-3.13.11 at 3 "
            "points) may be on a POA&M.")


def _evaluate_level2(assessment: Assessment, results: dict[str, Result]) -> Evaluation:
    gaps = tuple(level2_gap(req, results[req.id]) for req in _failed(results))
    max_score = len(catalog.level2())  # "equal to the total number of ... requirements"
    reasons = _na_reason(results)
    if results[SSP_ID] is Result.NOT_MET:
        reasons.insert(0, "CA.L2-3.12.4 System Security Plan is NOT MET: the assessment could "
                          "not be completed and no score is given (32 CFR "
                          "170.24(c)(2)(i)(B)(5); DoDAM §5(g)(i)).")
        return Evaluation(assessment, results, None, max_score, NO_STATUS, StatusKind.NONE,
                          False, gaps, tuple(reasons))
    # §170.24(c)(2): subtract the value of every NOT MET requirement, on a POA&M or not.
    score = max_score - sum(gap.deduction or 0 for gap in gaps)
    return _decide(assessment, results, gaps, score, max_score, reasons, [])


# Level 3 ------------------------------------------------------------------


def level3_gap(req: Requirement, result: Result) -> Gap:
    ineligible = catalog.poam_ineligible(3)
    if req.id in ineligible.ids:
        return Gap(req, result, req.points, False,
                   f"{req.id} is on the list of requirements never allowed on a Level 3 POA&M.",
                   ineligible.citation)
    return Gap(req, result, req.points, True,
               "May be on the Level 3 POA&M (no per-point test at Level 3).",
               "32 CFR 170.21(a)(3)")


def _evaluate_level3(assessment: Assessment, results: dict[str, Result]) -> Evaluation:
    gaps = tuple(level3_gap(req, results[req.id]) for req in _failed(results))
    max_score = len(catalog.level3())
    # §170.24(c)(3): the score is the number of Level 3 requirements MET (N/A counts as MET).
    score = max_score - len(gaps)
    return _decide(assessment, results, gaps, score, max_score, _na_reason(results),
                   prerequisite_missing(assessment))


def prerequisite_missing(assessment: Assessment) -> list[str]:
    """Why no Level 3 status is possible whatever the results (empty when none)."""
    if assessment.level != 3 or assessment.final_level2_c3pao:
        return []
    return ["A Final Level 2 (C3PAO) on the same scope is required before a Level 3 "
            "assessment; a Conditional Level 2 is not enough (32 CFR 170.18(a)(1); "
            "170.24(c)(3))."]


# Levels 2 and 3 ---------------------------------------------------------------


def _decide(assessment: Assessment, results: dict[str, Result], gaps: tuple[Gap, ...],
            score: int, max_score: int, reasons: list[str], blockers: list[str]) -> Evaluation:
    level = assessment.level
    needed = threshold(max_score)
    ratio_rule = "32 CFR 170.21(a)(2)(i)" if level == 2 else "32 CFR 170.21(a)(3)(i)"
    ineligible = [gap for gap in gaps if not gap.poam_eligible]
    met_ratio = score >= needed
    conditional_ok = met_ratio and not ineligible and not blockers
    notes = [f"Score {score} of {max_score}; Conditional needs at least {needed} "
             f"(score / {max_score} >= 0.8, {ratio_rule})."]
    if blockers:
        kind = StatusKind.NONE
    elif not gaps:
        kind = StatusKind.FINAL
        notes.append("Every requirement MET: Final status without a POA&M.")
    elif conditional_ok:
        kind = StatusKind.CONDITIONAL
        notes.append(f"All {len(gaps)} NOT MET requirement(s) may be on the POA&M; it must be "
                     "closed out within 180 days of the Conditional CMMC Status Date "
                     "(32 CFR 170.21(b)).")
    else:
        kind = StatusKind.NONE
        if not met_ratio:
            notes.append(f"Score {score} is below {needed}: no Conditional status ({ratio_rule}).")
        if ineligible:
            names = ", ".join(gap.requirement.id for gap in ineligible)
            notes.append(f"NOT MET and not allowed on a POA&M: {names}. Every NOT MET "
                         "requirement must be on the POA&M (32 CFR 170.24(c)(2)(i)(B)(6)), so "
                         "no Conditional status is possible.")
    return Evaluation(assessment, results, score, max_score,
                      status_name(kind, level, assessment.assessment_type), kind,
                      conditional_ok, gaps, tuple(blockers + notes + reasons))
