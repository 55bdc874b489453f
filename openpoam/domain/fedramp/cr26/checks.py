"""Quality checks of one item on a system under the CR26 rules (VDR/VER).

On a CR26 system these replace the classic FedRAMP deadline checks (30/90/180 days from
detection, operational requirements and vendor dependencies): the rulebook's section 9 says
the deadlines come from class, rating and LEV/IRV, the clock starts at evaluation, and
deviation requests are gone. Every deadline comes from ``status()``; nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openpoam.domain.fedramp.classic import Issue, Level
from openpoam.domain.fedramp.cr26 import sources
from openpoam.domain.fedramp.cr26.deadlines import Vulnerability, iso, status

__all__ = ["Tracking", "item_issues"]

CITE_TRACKED = (f"{sources.EVU}; rulebook section 9.9: every vulnerability of a CR26 system "
                "is evaluated and reduced under these rules")


@dataclass(frozen=True, slots=True)
class Tracking:
    """What the checks know of an item's CR26 record.

    ``vuln`` is None when the item has no CR26 record yet. ``group_lead`` names the lead's
    POA&M ID when the item is grouped under another (VER-EVA-GRV): the lead carries the
    group's deadlines, so the member raises none of its own.
    """

    vuln: Vulnerability | None
    group_lead: str = ""


def item_issues(poam_id: str, is_closed: bool, tracking: Tracking | None,
                now: datetime) -> list[Issue]:
    """The CR26 issues of one item at ``now``: untracked, evaluation or reduction overdue."""
    if tracking is None:
        if is_closed:
            return []
        return [Issue("cr26-not-tracked", Level.WARNING,
                      "this open item is not tracked under the CR26 rules, so no evaluation or "
                      "reduction deadline is computed for it", CITE_TRACKED, poam_id)]
    if tracking.group_lead or tracking.vuln is None:
        return []
    return _deadline_issues(poam_id, tracking.vuln, now)


def _deadline_issues(poam_id: str, vuln: Vulnerability, now: datetime) -> list[Issue]:
    state = status(vuln, now)
    if state.accepted or (state.closed and not state.kev_overdue):
        return []  # a fully mitigated KEV still awaits its remediation (VDR-TFR-KEV)
    issues = []
    if vuln.evaluated_at is None and state.evaluation_late:
        due = state.evaluation_due
        issues.append(Issue("cr26-evaluation-overdue", Level.ERROR,
                            f"not evaluated: the evaluation was due {iso(due.at)} "
                            f"({due.rule}: {due.basis})", due.citation, poam_id))
    if state.reduction_overdue:
        due = state.reduction_due
        issues.append(Issue("cr26-reduction-overdue", Level.ERROR,
                            f"the next reduction below N{vuln.current.rating} was due "
                            f"{iso(due.at)} ({due.rule}: {due.basis}); it is overdue (FRD-ODV)",
                            due.citation, poam_id))
    elif state.kev_overdue and state.kev_due is not None:
        issues.append(Issue("cr26-kev-overdue", Level.ERROR,
                            f"the KEV remediation was due {iso(state.kev_due.at)} "
                            f"({state.kev_due.rule}); it is overdue (FRD-ODV)",
                            state.kev_due.citation, poam_id))
    return issues
