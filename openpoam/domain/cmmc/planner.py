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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from openpoam.domain.cmmc.errors import CmmcInputError
from openpoam.domain.cmmc.evaluate import Evaluation, Gap, StatusKind, evaluate, threshold
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
