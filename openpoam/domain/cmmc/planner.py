"""The cheapest set of requirements to fix before an assessment.

Every NOT MET requirement that may not be on a POA&M must be fixed. Among the eligible
ones, fixing some raises the score; the planner picks the set with the least total cost
whose fixing brings the score to the Conditional threshold (or fixes all, for Final).
That is a min-cost covering knapsack: an exact dynamic programme over deduction points,
which stay small (at most 49 eligible points at Level 2, 24 at Level 3), so any
non-negative real costs are handled exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from openpoam.domain.cmmc.errors import CmmcInputError
from openpoam.domain.cmmc.evaluate import (Evaluation, Gap, StatusKind, evaluate,
                                           prerequisite_missing, threshold)
from openpoam.domain.cmmc.ids import normalize
from openpoam.domain.cmmc.model import Assessment, Result
from openpoam.domain.cmmc.proposals import PoamProposal, propose_poam

DEFAULT_COST = 1.0


class Target(StrEnum):
    CONDITIONAL = "conditional"  # Conditional or better
    FINAL = "final"

    @classmethod
    def parse(cls, raw: object) -> Target:
        try:
            return cls(str(raw).strip().lower())
        except ValueError:
            raise CmmcInputError(f"unknown target {raw!r}: use conditional or final") from None


@dataclass(frozen=True)
class Fix:
    gap: Gap
    cost: float
    why: str


@dataclass(frozen=True)
class Plan:
    target: Target
    feasible: bool
    fixes: tuple[Fix, ...]
    total_cost: float
    before: Evaluation
    after: Evaluation  # the assessment re-evaluated with every fix MET
    poam: tuple[PoamProposal, ...]  # what stays on the POA&M after the fixes
    reasons: tuple[str, ...]


# ------------------------------------------------------------------ the optimiser


def cheapest_cover(items: Sequence[tuple[int, float]], need: int
                   ) -> tuple[float, tuple[int, ...]] | None:
    """Indices of ``items`` (points, cost) with points summing to >= ``need`` at least cost.

    Exact 0/1 DP over capped points: best[j] = cheapest way to collect min(sum, need) = j.
    Ties go to fewer items. Returns None when even all items fall short.
    """
    if need <= 0:
        return 0.0, ()
    if sum(points for points, _ in items) < need:
        return None
    unreachable = (math.inf, 0)
    best: list[tuple[float, int]] = [(0.0, 0)] + [unreachable] * need
    origins: list[list[int | None]] = []  # per item: cell k <- cell j when the item is taken
    for points, cost in items:
        new = list(best)
        origin: list[int | None] = [None] * (need + 1)
        for j, (total, count) in enumerate(best):
            if total == math.inf:
                continue
            k = min(need, j + points)
            candidate = (total + cost, count + 1)
            if candidate < new[k]:
                new[k], origin[k] = candidate, j
        origins.append(origin)
        best = new
    return best[need][0], _walk_back(origins, need)


def _walk_back(origins: list[list[int | None]], need: int) -> tuple[int, ...]:
    chosen = []
    k = need
    for index in range(len(origins) - 1, -1, -1):
        origin = origins[index][k]
        if origin is not None:
            chosen.append(index)
            k = origin
    return tuple(sorted(chosen))


# ------------------------------------------------------------------ the plan


def parse_costs(level: int, costs: Mapping[str, float | None] | None) -> dict[str, float]:
    """CMMC ID -> cost. ``None`` or infinity means "cannot be fixed before the assessment"."""
    parsed: dict[str, float] = {}
    for key, value in (costs or {}).items():
        req_id = normalize(key, level)
        if value is None:
            parsed[req_id] = math.inf
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise CmmcInputError(f"cost of {key!r} must be a number or null, not {value!r}")
        if value < 0:
            raise CmmcInputError(f"cost of {key!r} must not be negative ({value!r})")
        parsed[req_id] = float(value)
    return parsed


def plan(assessment: Assessment, costs: Mapping[str, float | None] | None = None,
         target: Target | str = Target.CONDITIONAL) -> Plan:
    """The cheapest fixes that make ``target`` reachable, and what is left for the POA&M."""
    target = Target.parse(target)
    before = evaluate(assessment)
    cost_of = parse_costs(assessment.level, costs)

    def cost(gap: Gap) -> float:
        return cost_of.get(gap.requirement.id, DEFAULT_COST)

    fix_all = target is Target.FINAL or assessment.level == 1
    must = [gap for gap in before.gaps if fix_all or not gap.poam_eligible]
    optional = [gap for gap in before.gaps if gap not in must]
    reasons = _level1_note(assessment, target)
    blocked = [gap for gap in must if math.isinf(cost(gap))]
    reasons += [f"{gap.requirement.id} must be fixed before the assessment but is marked as "
                f"not fixable in time. {_must_why(gap, target)}" for gap in blocked]
    chosen, cover_reasons = _choose_optional(before, optional, cost)
    reasons += cover_reasons
    fixes = [Fix(gap, cost(gap), _must_why(gap, target)) for gap in must if gap not in blocked]
    fixes += [Fix(gap, cost(gap), "Cheapest way to bring the score to the Conditional "
                                  "threshold (32 CFR 170.21(a)(2)(i), (a)(3)(i)).")
              for gap in chosen]
    fixes.sort(key=lambda fix: before.gaps.index(fix.gap))
    after = evaluate(_with_fixes(assessment, before, fixes))
    blockers = prerequisite_missing(assessment)
    feasible = not blocked and not cover_reasons and not blockers
    if feasible:
        _check_reached(after, target)
    total = math.fsum(fix.cost for fix in fixes)
    reasons = blockers + reasons + [_summary(before, after, fixes, total, feasible)]
    return Plan(target, feasible, tuple(fixes), total, before, after,
                tuple(propose_poam(after)), tuple(reasons))


def _level1_note(assessment: Assessment, target: Target) -> list[str]:
    if assessment.level == 1 and target is Target.CONDITIONAL:
        return ["Level 1 has no Conditional status and allows no POA&M: every NOT MET "
                "requirement must be fixed (32 CFR 170.21(a)(1))."]
    return []


def _must_why(gap: Gap, target: Target) -> str:
    if target is Target.FINAL and gap.poam_eligible:
        return "Final status needs every requirement MET."
    return f"Not allowed on a POA&M ({gap.citation}): {gap.reason}"


def _choose_optional(before: Evaluation, optional: list[Gap], cost: Callable[[Gap], float]
                     ) -> tuple[list[Gap], list[str]]:
    """The cheapest eligible gaps to fix so at most max - threshold points stay deducted."""
    if not optional:
        return [], []
    allowance = before.max_score - threshold(before.max_score)
    fixable = [gap for gap in optional if not math.isinf(cost(gap))]
    need = sum(gap.deduction for gap in optional) - allowance
    cover = cheapest_cover([(gap.deduction, cost(gap)) for gap in fixable], need)
    if cover is None:
        left = sum(gap.deduction for gap in optional if gap not in fixable)
        return fixable, [f"Even fixing every eligible requirement that can be fixed in time "
                         f"leaves {left} points deducted; at most {allowance} may remain for a "
                         f"score of {threshold(before.max_score)}."]
    return [fixable[index] for index in cover[1]], []


def _with_fixes(assessment: Assessment, before: Evaluation, fixes: list[Fix]) -> Assessment:
    results = dict(before.results)
    results.update({fix.gap.requirement.id: Result.MET for fix in fixes})
    return replace(assessment, results=results)


def _check_reached(after: Evaluation, target: Target) -> None:
    wanted = {Target.FINAL: (StatusKind.FINAL,),
              Target.CONDITIONAL: (StatusKind.CONDITIONAL, StatusKind.FINAL)}[target]
    if after.kind not in wanted:  # the optimiser and the evaluator disagree: a bug
        raise AssertionError(f"plan reaches {after.status}, not {target.value}")


def _summary(before: Evaluation, after: Evaluation, fixes: list[Fix], total: float,
             feasible: bool) -> str:
    head = "Plan" if feasible else "Best effort (target not reachable)"
    shown = f"{total:.0f}" if total.is_integer() else f"{total:.2f}"
    return (f"{head}: fix {len(fixes)} requirement(s) before the assessment at total cost "
            f"{shown}; score {_score(before)} -> {_score(after)}; status {after.status}.")


def _score(evaluation: Evaluation) -> str:
    if evaluation.score is None:
        return "none" if evaluation.level == 1 else "none (no SSP)"
    return f"{evaluation.score}/{evaluation.max_score}"
