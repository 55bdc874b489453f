"""Quality checks on POA&M items: what an assessor or an AO would send back.

``check_item(item, today, framework)`` and ``check_document(items, framework,
today)`` return ``Issue`` values (code, severity error|warning, message,
citation). Nothing is changed; the caller shows them. ``is_delayed`` derives
the "Delayed" state: it is never set by hand.

Sources cited below:

- GUIDE: FedRAMP POA&M Template Completion Guide v2.2 (2021-11-23), Table 2
  columns and sections, printed page numbers. Its column rules describe what
  a complete POA&M entry holds, so they are applied to every framework; the
  FedRAMP-only deadline and vendor rules apply to FedRAMP systems only.
- NIST SP 800-171 Rev. 2, requirement 3.12.2: develop and implement plans of
  action to correct deficiencies and reduce or eliminate vulnerabilities.
- NIST SP 800-37 Rev. 2, tasks M-3 (Ongoing Risk Response) and M-6 (Ongoing
  Authorization): accepted risk is revisited as part of ongoing monitoring.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from datetime import date, datetime, timedelta

from dataclasses import dataclass, field

from openpoam.domain import dependencies, fedramp, workflow
from openpoam.domain.cmmc import catalog as cmmc_catalog
from openpoam.domain.cmmc.evaluate import level2_gap, level3_gap
from openpoam.domain.cmmc.ids import try_normalize
from openpoam.domain.cmmc.model import Result
from openpoam.domain.fedramp import GUIDE, Issue, Level
from openpoam.domain.fedramp.cr26 import checks as cr26_checks
from openpoam.domain.poam import Framework, MilestoneData, PoamItemData, Risk, Status

__all__ = ["CheckSettings", "Cr26Tracking", "DocumentChecks", "Finding", "Issue", "Level",
           "check_document",
           "check_item", "cr26_issues", "find_cycle", "hint", "is_delayed", "item_findings", "Link",
           "milestone_due", "overdue_milestones", "set_issues"]

CITE_ID = f"{GUIDE}, Table 2 column A (POA&M ID), p. 3: a unique identifier per item"
CITE_POC = f"{GUIDE}, Table 2 column H (Point of Contact), p. 4: a POC for each weakness"
CITE_PLAN = f"{GUIDE}, Table 2 column J (Overall Remediation Plan), p. 4"
CITE_SPECIFIC = (f"{GUIDE}, Table 2 column D (Weakness Description), p. 3: enough to facilitate "
                 "specific milestones; NIST SP 800-171 Rev. 2, 3.12.2")
CITE_DETECTED = (f"{GUIDE}, Table 2 column K (Original Detection Date), p. 4: month, day and "
                 "year the weakness was first detected; never changed")
CITE_SCHEDULED = (f"{GUIDE}, Table 2 column L (Scheduled Completion Date), p. 4: every weakness "
                  "has a completion date")
CITE_MILESTONES = (f"{GUIDE}, Table 2 column M (Planned Milestones), p. 4: each weakness has a "
                   "milestone with specific actions and a completion date")
CITE_MILESTONE_CHANGES = (f"{GUIDE}, Table 2 columns M-N, p. 4: record changed dates in "
                          "Milestone Changes")
CITE_CLOSE = (f"{GUIDE}, section 2.2 Closed POA&M Items, p. 6: closed when all corrective "
              "actions are applied and evidence of mitigation is collected; the status date "
              "is the completion date")
CITE_RATIONALE = fedramp.CITE_RATIONALE
CITE_REVIEW = (f"{GUIDE}, Table 2 column W, p. 5: accepted open weaknesses must be periodically "
               "reassessed; NIST SP 800-37 Rev. 2, tasks M-3 and M-6")
CITE_DEPENDENCY = "An item cannot wait on itself: a dependency cycle has no possible order"
CITE_DEPENDENCY_ORDER = ("An item that waits for another cannot finish before it: its date "
                         "must allow for the dependency's (NIST SP 800-171 Rev. 2, 3.12.2: "
                         "plans that will actually correct the deficiency)")
CITE_STALE = (f"{GUIDE}, section 1 (p. 1): the POA&M is part of monthly continuous monitoring; "
              "section 1.1: the CSP submits an updated POA&M to the AO (FedRAMP Continuous "
              "Monitoring Strategy & Guide); NIST SP 800-171 Rev. 2, 3.12.2 and 3.12.3")
CITE_RESOURCES = (f"{GUIDE}, Table 2 columns H (Point of Contact), I (Resources Required) and "
                  "L (Scheduled Completion Date), pp. 4: a plan with nobody, nothing and no "
                  "date to carry it out is a wish, not a plan")
CITE_MILESTONE_ORDER = (f"{GUIDE}, Table 2 columns L and M, p. 4: milestones are the steps "
                        "toward the scheduled completion date, so none can fall after it")
CITE_SHARED_DATE = (f"{GUIDE}, Table 2 column L, p. 4: a completion date is assigned to every "
                    "weakness; one date for most of them shows the dates were not planned "
                    "item by item (NIST SP 800-171 Rev. 2, 3.12.2)")
CITE_CLOSEOUT = ("32 CFR 170.21(b): a Conditional status lasts 180 days from its status date; "
                 "every POA&M item must be closed out by then or the status expires")


Cr26Tracking = cr26_checks.Tracking


@dataclass(frozen=True)
class CheckSettings:
    """What the checks need beyond the items: thresholds, and a CMMC system's rule inputs.

    ``cmmc_results`` are the latest assessment's results other than MET (CMMC ID ->
    Result). With an assessment recorded (``cmmc_assessed``), an item is judged by the
    result recorded for its requirement, and a requirement assessed MET is no gap; with
    none yet, a requirement is judged at its least severe NOT MET state, which tells what
    must be fixed before the assessment.
    """

    stale_days: int = 30
    cmmc_level: int | None = None
    closeout_deadline: date | None = None
    cmmc_results: Mapping[str, Result] = field(default_factory=dict)
    cmmc_assessed: bool = False
    # "Most open items share one date": at least this many open items, and this share.
    shared_date_min_items: int = 5
    shared_date_share: float = 0.5
    # FedRAMP CR26 systems (``cr26_now`` set): the CR26 rules replace the classic deadline,
    # operational-requirement and vendor checks. ``cr26`` maps a POA&M ID to its CR26 record;
    # an open item absent from it is not tracked yet.
    cr26_now: datetime | None = None
    cr26: Mapping[str, Cr26Tracking] = field(default_factory=dict)

    @property
    def is_cr26(self) -> bool:
        return self.cr26_now is not None

# Placeholders people type instead of a name or a plan.
_PLACEHOLDERS = frozenset({"", "tbd", "tba", "n/a", "na", "none", "unknown", "todo", "to do",
                           "?", "-", "--", "pending", "unassigned"})
# Roles and groups: allowed by the guide ("person/role") but nobody in particular.
_ROLES = frozenset({"owner", "team", "it", "it team", "admin", "admins", "administrator",
                    "system owner", "isso", "issm", "security", "security team", "ops",
                    "operations", "devops", "sysadmin", "help desk", "helpdesk", "vendor",
                    "engineering", "infrastructure", "networking", "network", "compliance",
                    "soc", "noc", "msp", "contractor", "management", "hr", "facilities",
                    "it manager", "security officer", "ciso", "cio", "cto"})
# Words that make a name a group: "Network Team", "IT Department", "Security Group".
_GROUP_WORDS = re.compile(r"\b(team|group|department|dept|division|staff|office|unit|"
                          r"personnel|admins|engineers|operations|services|desk)\b", re.I)
# A plan of fewer words than this names no action someone could check.
_MIN_PLAN_WORDS = 4
_VAGUE_PLANS = re.compile(r"^\s*(will\s+)?(fix|patch|remediate|resolve|address|mitigate|update|"
                          r"upgrade|investigate|review|correct)(\s+(it|this|issue|finding|"
                          r"the\s+(issue|finding|vulnerability|weakness)))?\s*\.?\s*$", re.I)


def _is_placeholder(text: str) -> bool:
    return text.strip().lower().rstrip(".") in _PLACEHOLDERS


def milestone_due(milestone: MilestoneData) -> date | None:
    """The date a milestone is now due: the current date, else the original one."""
    return milestone.current_due or milestone.original_due


def overdue_milestones(item: PoamItemData, today: date) -> list[MilestoneData]:
    return [m for m in item.milestones
            if m.completed_on is None and (due := milestone_due(m)) is not None and due < today]


def is_delayed(item: PoamItemData, today: date) -> bool:
    """An open item whose scheduled completion or any open milestone's due date is past."""
    return workflow.is_delayed(item.status, item.scheduled_completion,
                               [milestone_due(m) for m in item.milestones if m.completed_on is None],
                               today)


# --- per item -------------------------------------------------------------------------------


def check_item(item: PoamItemData, today: date, framework: Framework | None = None,
               settings: CheckSettings | None = None) -> list[Issue]:
    """Every issue with one item. ``framework`` switches on FedRAMP and CMMC rules."""
    settings = settings or CheckSettings()
    issues = _fixed_issues(item, framework, settings) + _dated_issues(item, today, framework,
                                                                      settings)
    fedramp_system = framework is not None and framework.is_fedramp
    if fedramp_system and settings.is_cr26:
        issues.extend(cr26_issues(item.poam_id, item.status.is_closed, settings))
        if item.poam_id in settings.cr26:
            # Its deadlines are the CR26 ones: no scheduled completion is needed (rulebook 9.4).
            issues = [i for i in issues if i.code != "no-scheduled-completion"]
    return issues


def cr26_issues(poam_id: str, closed: bool, settings: CheckSettings) -> list[Issue]:
    """The CR26 rules of one item: they follow the system's CR26 records and the hour, so a
    tracker works them out when they are read, never stores them."""
    return cr26_checks.item_issues(poam_id, closed, settings.cr26.get(poam_id),
                                   settings.cr26_now)


def _fixed_issues(item: PoamItemData, framework: Framework | None,
                  settings: CheckSettings) -> list[Issue]:
    """The rules that never read the date: an item's result changes only when it does."""
    issues: list[Issue] = []
    for check in (_owner, _plan, _milestone_order, _deviation, _wish_list):
        issues.extend(check(item))
    fedramp_system = framework is not None and framework.is_fedramp
    if fedramp_system and not settings.is_cr26:
        issues.extend(_fedramp_operational(item))
    if framework is not None and framework.is_cmmc and settings.cmmc_level in (2, 3):
        issues.extend(_cmmc_closeout(item, settings.closeout_deadline))
        issues.extend(_cmmc_ineligible(item, settings))
    return issues


def _dated_issues(item: PoamItemData, today: date, framework: Framework | None,
                  settings: CheckSettings) -> list[Issue]:
    """The rules that compare the item's dates with today."""
    issues: list[Issue] = []
    for check in (_detection, _schedule, _milestones, _closure, _acceptance):
        issues.extend(check(item, today))
    issues.extend(_stale(item, today, settings.stale_days))
    fedramp_system = framework is not None and framework.is_fedramp
    # CR26 has no vendor rule (rulebook 9.5): outside the classic FedRAMP rules it is advice.
    issues.extend(_vendor(item, today, None if settings.is_cr26 else framework))
    if fedramp_system and not settings.is_cr26:
        issues.extend(_fedramp_deadline(item, today))
    return issues


# --- stored results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """An issue with the days it holds: from ``start`` (inclusive) to ``end`` (exclusive);
    None is open-ended. A tracker stores an item's findings when the item changes and reads
    those that hold today, so a date passing needs no recomputation."""

    issue: Issue
    start: date | None = None
    end: date | None = None

    def holds(self, today: date) -> bool:
        return (self.start is None or self.start <= today) and (self.end is None
                                                                or today < self.end)


def item_findings(item: PoamItemData, framework: Framework | None = None,
                  settings: CheckSettings | None = None, since: date | None = None
                  ) -> list[Finding]:
    """Every issue ``check_item`` gives this item on any day (from ``since`` on, when
    given), with the days it holds (the CR26 rules aside: see ``cr26_issues``). The date
    rules are run once per span of days between the item's turning days, so the results
    are those of ``check_item`` itself."""
    settings = settings or CheckSettings()
    findings = [Finding(issue) for issue in _fixed_issues(item, framework, settings)]
    days = sorted(_turning_days(item, framework, settings))
    spans = [(start, end) for start, end in zip([None, *days], [*days, None])
             if since is None or end is None or end > since]  # the days before: not asked
    opened: dict[tuple[Issue, int], date | None] = {}
    for start, end in spans:
        day = start if start is not None else (end or date(2000, 1, 1)) - timedelta(days=1)
        seen: Counter = Counter()
        current = set()
        for issue in _dated_issues(item, day, framework, settings):
            seen[issue] += 1
            key = (issue, seen[issue])
            current.add(key)
            opened.setdefault(key, start)
        for key in [k for k in opened if k not in current]:
            findings.append(Finding(key[0], opened.pop(key), start))
    findings.extend(Finding(key[0], first, None) for key, first in opened.items())
    return findings


def _turning_days(item: PoamItemData, framework: Framework | None,
                  settings: CheckSettings) -> set[date]:
    """The days on which a date rule's answer for this item can change: each rule compares
    today with one of these dates (``<``, ``>`` or an age in days)."""
    one = timedelta(days=1)
    days = {d + one for d in (item.scheduled_completion, *map(milestone_due, item.milestones))
            if d is not None}
    days.update(d for d in (item.detected_on, item.actual_completion, item.vendor_last_checkin)
                if d is not None)
    if item.updated_on is not None:
        days.add(item.updated_on + timedelta(days=settings.stale_days + 1))
    if item.vendor_last_checkin is not None:
        days.add(item.vendor_last_checkin + timedelta(days=fedramp.VENDOR_CHECKIN_DAYS + 1))
    if framework is not None and framework.is_fedramp and not settings.is_cr26:
        deadline = fedramp.item_deadline_status(item, date.max).deadline
        if deadline is not None:
            days.add(deadline + one)
    return days


def _issue(item: PoamItemData, code: str, level: Level, message: str, citation: str) -> Issue:
    return Issue(code, level, message, citation, item.poam_id)


def _owner(item: PoamItemData) -> list[Issue]:
    if _is_placeholder(item.owner):
        return [_issue(item, "no-owner", Level.ERROR,
                       "name one person responsible for resolving the weakness", CITE_POC)]
    if item.owner.strip().lower().rstrip(".") in _ROLES or _GROUP_WORDS.search(item.owner):
        return [_issue(item, "owner-not-a-person", Level.WARNING,
                       f"{item.owner.strip()!r} is a role or a group: name the one person "
                       "accountable", CITE_POC)]
    return []


def _plan(item: PoamItemData) -> list[Issue]:
    plan = item.planned_remediation.strip()
    if _is_placeholder(plan):
        return [_issue(item, "no-remediation-plan", Level.ERROR,
                       "describe the planned remediation", CITE_PLAN)]
    if len(plan.split()) < _MIN_PLAN_WORDS or _VAGUE_PLANS.match(plan):
        return [_issue(item, "vague-remediation", Level.WARNING,
                       f"the remediation plan {plan!r} names no specific action: say what will "
                       "be changed, where, and how it will be verified", CITE_SPECIFIC)]
    return []


def _detection(item: PoamItemData, today: date) -> list[Issue]:
    if item.detected_on is None:
        return [_issue(item, "no-detection-date", Level.ERROR,
                       "record the original detection date", CITE_DETECTED)]
    if item.detected_on > today:
        return [_issue(item, "detection-in-future", Level.ERROR,
                       f"the detection date {item.detected_on.isoformat()} is in the future",
                       CITE_DETECTED)]
    return []


def _schedule(item: PoamItemData, today: date) -> list[Issue]:
    if item.status.is_closed:
        return []
    if item.scheduled_completion is None:
        return [_issue(item, "no-scheduled-completion", Level.ERROR,
                       "set a scheduled completion date", CITE_SCHEDULED)]
    if item.scheduled_completion < today:
        return [_issue(item, "scheduled-completion-past", Level.WARNING,
                       f"scheduled completion {item.scheduled_completion.isoformat()} has passed "
                       "and the item is still open (Delayed)", CITE_SCHEDULED)]
    if item.detected_on is not None and item.scheduled_completion < item.detected_on:
        return [_issue(item, "scheduled-before-detection", Level.ERROR,
                       "the scheduled completion is before the detection date", CITE_SCHEDULED)]
    return []


def _milestones(item: PoamItemData, today: date) -> list[Issue]:
    if not item.milestones:
        if item.status.is_closed:
            return []
        return [_issue(item, "no-milestones", Level.ERROR,
                       "add at least one milestone with a specific action and a due date",
                       CITE_MILESTONES)]
    issues = []
    for milestone in item.milestones:
        label = f"milestone {milestone.sequence}"
        if milestone_due(milestone) is None:
            issues.append(_issue(item, "milestone-no-date", Level.ERROR,
                                 f"{label} has no due date", CITE_MILESTONES))
        if _is_placeholder(milestone.description):
            issues.append(_issue(item, "milestone-no-description", Level.ERROR,
                                 f"{label} says nothing about what will be done",
                                 CITE_MILESTONES))
        if (milestone.current_due and milestone.original_due
                and milestone.current_due != milestone.original_due and not milestone.changes):
            issues.append(_issue(item, "milestone-change-unrecorded", Level.WARNING,
                                 f"{label} moved from {milestone.original_due.isoformat()} to "
                                 f"{milestone.current_due.isoformat()} without a recorded reason",
                                 CITE_MILESTONE_CHANGES))
    if not item.status.is_closed:
        for milestone in overdue_milestones(item, today):
            issues.append(_issue(item, "milestone-past-due", Level.WARNING,
                                 f"milestone {milestone.sequence} was due "
                                 f"{milestone_due(milestone).isoformat()} and is not complete "
                                 "(Delayed)", CITE_MILESTONES))
    return issues


def _milestone_order(item: PoamItemData) -> list[Issue]:
    if item.status.is_closed or item.scheduled_completion is None:
        return []
    return [_issue(item, "milestone-after-completion", Level.WARNING,
                   f"milestone {m.sequence} is due {due.isoformat()}, after the item's "
                   f"scheduled completion {item.scheduled_completion.isoformat()}",
                   CITE_MILESTONE_ORDER)
            for m in item.milestones
            if m.completed_on is None and (due := milestone_due(m)) is not None
            and due > item.scheduled_completion]


def _wish_list(item: PoamItemData) -> list[Issue]:
    """An open item with nobody, nothing or no date to carry it out."""
    if item.status.is_closed:
        return []
    missing = [what for what, absent in (
        ("no owner", _is_placeholder(item.owner)),
        ("no resources", _is_placeholder(item.resources_required)),
        ("no date", item.scheduled_completion is None)) if absent]
    if not missing:
        return []
    return [_issue(item, "wish-list", Level.WARNING,
                   f"a wish-list item ({', '.join(missing)}): say who will do it, with what, "
                   "and by when", CITE_RESOURCES)]


def _stale(item: PoamItemData, today: date, stale_days: int) -> list[Issue]:
    if item.status.is_closed or item.updated_on is None:
        return []
    if (today - item.updated_on).days <= stale_days:
        return []
    # The wording names no age in days: it holds from one day to the next (stored results).
    return [_issue(item, "stale", Level.WARNING,
                   f"not updated for more than {stale_days} days (last change "
                   f"{item.updated_on.isoformat()})", CITE_STALE)]


def _cmmc_closeout(item: PoamItemData, deadline: date | None) -> list[Issue]:
    if deadline is None or item.status.is_closed:
        return []
    if item.scheduled_completion is not None and item.scheduled_completion <= deadline:
        return []
    when = (f"scheduled {item.scheduled_completion.isoformat()}" if item.scheduled_completion
            else "not scheduled")
    return [_issue(item, "cmmc-after-closeout", Level.ERROR,
                   f"{when}, but the Conditional status must be closed out by "
                   f"{deadline.isoformat()}", CITE_CLOSEOUT)]


def _cmmc_ineligible(item: PoamItemData, settings: CheckSettings) -> list[Issue]:
    """A requirement the rules never allow on a POA&M (32 CFR 170.21(a))."""
    if item.status.is_closed:
        return []
    level = settings.cmmc_level
    requirements = cmmc_catalog.by_id(level)
    issues = []
    for ref in item.controls:
        req_id = try_normalize(ref.control_id, level)
        if req_id is None or req_id not in requirements:
            continue
        recorded = settings.cmmc_results.get(req_id)
        if settings.cmmc_assessed and recorded not in (Result.NOT_MET, Result.PARTIAL):
            continue  # assessed MET or N/A: not a gap of this assessment
        gap = _least_severe_gap(requirements[req_id], level, recorded)
        if not gap.poam_eligible:
            issues.append(_issue(item, "cmmc-ineligible-on-poam", Level.ERROR,
                                 f"{req_id} may not stay on the POA&M: {gap.reason}",
                                 gap.citation))
    return issues


def _least_severe_gap(requirement, level: int, recorded: Result | None):
    judge = level2_gap if level == 2 else level3_gap
    if recorded in (Result.NOT_MET, Result.PARTIAL):
        return judge(requirement, recorded)
    if requirement.partial_points is not None:
        return judge(requirement, Result.PARTIAL)
    return judge(requirement, Result.NOT_MET)


def _closure(item: PoamItemData, today: date) -> list[Issue]:
    if item.status is not Status.COMPLETED:
        return []
    issues = []
    if item.actual_completion is None:
        issues.append(_issue(item, "completed-no-date", Level.ERROR,
                             "a completed item needs its actual completion date", CITE_CLOSE))
    elif item.actual_completion > today:
        issues.append(_issue(item, "completed-in-future", Level.ERROR,
                             f"the completion date {item.actual_completion.isoformat()} is in "
                             "the future", CITE_CLOSE))
    if not item.evidence:  # a warning: evidence may be kept outside this tool
        issues.append(_issue(item, "completed-no-evidence", Level.WARNING,
                             "attach evidence of mitigation (for example a clean rescan)",
                             CITE_CLOSE))
    return issues


def _deviation(item: PoamItemData) -> list[Issue]:
    issues = []
    if item.adjusted_risk is not None and item.adjusted_risk.rank < item.original_risk.rank:
        if not (item.risk_adjustment_rationale.strip() or item.deviation_rationale.strip()):
            issues.append(_issue(item, "risk-adjusted-no-rationale", Level.ERROR,
                                 f"the risk was lowered from {item.original_risk.label} to "
                                 f"{item.adjusted_risk.label} without mitigating factors",
                                 CITE_RATIONALE))
    flagged = [name for name, on in (("false positive", item.false_positive),
                                     ("operational requirement", item.operational_requirement))
               if on]
    if flagged and not item.deviation_rationale.strip():
        issues.append(_issue(item, "deviation-no-rationale", Level.ERROR,
                             f"give the rationale for the {' and '.join(flagged)}",
                             CITE_RATIONALE))
    return issues


def _acceptance(item: PoamItemData, today: date) -> list[Issue]:
    """Accepted risk (or an approved OR) needs a future date to look at it again."""
    if item.status is not Status.RISK_ACCEPTED and not item.operational_requirement:
        return []
    upcoming = [due for m in item.milestones
                if m.completed_on is None and (due := milestone_due(m)) and due >= today]
    if item.scheduled_completion and item.scheduled_completion >= today:
        upcoming.append(item.scheduled_completion)
    if upcoming:
        return []
    return [_issue(item, "accepted-no-review-date", Level.WARNING,
                   "accepted risk has no upcoming review: add a review milestone with a future "
                   "due date", CITE_REVIEW)]


def _vendor(item: PoamItemData, today: date, framework: Framework | None) -> list[Issue]:
    if not item.vendor_dependency or item.status.is_closed:
        return []
    issues = fedramp.check_vendor_dependency(
        item.effective_risk, today, product=item.vendor_product,
        last_checkin=item.vendor_last_checkin,
        operational_requirement=item.operational_requirement, poam_id=item.poam_id)
    if framework is not None and framework.is_fedramp:
        return issues
    # Outside FedRAMP the guide's vendor rules are good practice, not a requirement.
    return [Issue(i.code, Level.WARNING, i.message, i.citation, i.poam_id) for i in issues
            if i.code != "vendor-high-risk"]


def _fedramp_deadline(item: PoamItemData, today: date) -> list[Issue]:
    if item.status.is_closed and (item.status is not Status.COMPLETED
                                  or item.actual_completion is None):
        return []  # accepted / false positive: no deadline; undated closure: reported elsewhere
    status = fedramp.item_deadline_status(item, today)
    if status.deadline is None:
        return []
    if status.late:
        if item.status.is_closed:
            return [_issue(item, "fedramp-remediated-late", Level.WARNING, status.message,
                           status.citation)]
        return [_issue(item, "fedramp-deadline-exceeded", Level.ERROR, status.message,
                       status.citation)]
    if (not item.status.is_closed and item.scheduled_completion is not None
            and item.scheduled_completion > status.deadline):
        return [_issue(item, "fedramp-scheduled-after-deadline", Level.WARNING,
                       f"scheduled completion {item.scheduled_completion.isoformat()} is after "
                       f"the FedRAMP deadline {status.deadline.isoformat()}", status.citation)]
    return []


def _fedramp_operational(item: PoamItemData) -> list[Issue]:
    if item.operational_requirement and item.effective_risk.rank >= Risk.HIGH.rank:
        return [_issue(item, "operational-requirement-high", Level.ERROR,
                       f"an operational requirement cannot stay {item.effective_risk.label} "
                       "risk: adjust the risk below High first (OR RA)", fedramp.CITE_OR)]
    return []


# --- whole document -------------------------------------------------------------------------


def check_document(items: Iterable[PoamItemData], framework: Framework | None,
                   today: date, settings: CheckSettings | None = None) -> list[Issue]:
    """Issues with every item, then with the set: duplicate IDs, dependencies, shared dates."""
    checker = DocumentChecks(framework, today, settings)
    issues = [issue for item in items for issue in checker.add(item)]
    return issues + checker.finish()


class DocumentChecks:
    """``check_document`` one item at a time, for a POA&M read in chunks: ``add`` gives an
    item's own issues; ``finish`` those of the set (``set_issues``), from the few facts kept
    of each item (its ID, and a ``Link`` when it waits for another or is open with a date),
    never the items themselves."""

    def __init__(self, framework: Framework | None, today: date,
                 settings: CheckSettings | None = None):
        self.framework, self.today = framework, today
        self.settings = settings or CheckSettings()
        self.known: set[str] = set()
        self.duplicates: list[Issue] = []
        self.links: list[Link] = []
        self.open_count = 0
        self.dates: Counter = Counter()  # open items' scheduled completions

    def add(self, item: PoamItemData) -> list[Issue]:
        if item.poam_id in self.known:
            self.duplicates.append(_issue(
                item, "duplicate-poam-id", Level.ERROR,
                f"POA&M ID {item.poam_id} is used by more than one item", CITE_ID))
        self.known.add(item.poam_id)
        link = Link.of(item)
        if link.depends_on or link.due is not None:
            self.links.append(link)
        if not item.status.is_closed:
            self.open_count += 1
            if item.scheduled_completion is not None:
                self.dates[item.scheduled_completion] += 1
        return check_item(item, self.today, self.framework, self.settings)

    def finish(self) -> list[Issue]:
        return [*self.duplicates, *set_issues(self.links, self.known, self.dates,
                                              self.open_count, self.settings)]


@dataclass(frozen=True, slots=True)
class Link:
    """What the dependency checks read of one item."""

    poam_id: str
    depends_on: tuple[str, ...]
    due: date | None  # the scheduled completion of an open item; None when closed

    @classmethod
    def of(cls, item: PoamItemData) -> Link:
        return cls(item.poam_id, tuple(item.depends_on),
                   None if item.status.is_closed else item.scheduled_completion)


def set_issues(links: Iterable[Link], known: Container[str], open_dates: Counter,
               open_count: int, settings: CheckSettings | None = None) -> list[Issue]:
    """The issues of the POA&M as a whole. ``links``: in POA&M order, at least every item
    that waits for another and every item waited for (a tracker reads only those);
    ``known``: the POA&M's IDs; ``open_dates``: open items per scheduled completion."""
    links = list(links)
    issues = _dependencies(links, known)
    issues.extend(_dependency_order(links))
    issues.extend(_shared_target_date(open_dates, open_count, settings or CheckSettings()))
    return issues


def _dependency_order(links: list[Link]) -> list[Issue]:
    """An open item due before an open item it waits for."""
    due = {link.poam_id: link.due for link in links if link.due is not None}
    issues = []
    for link in links:
        mine = due.get(link.poam_id)
        for target in link.depends_on:
            theirs = due.get(target)
            if mine is not None and theirs is not None and theirs > mine:
                issues.append(Issue(
                    "dependency-due-after", Level.WARNING,
                    f"waits for {target}, due {theirs.isoformat()}, but is itself due "
                    f"{mine.isoformat()}", CITE_DEPENDENCY_ORDER, link.poam_id))
    return issues


def _shared_target_date(open_dates: Counter, open_count: int,
                        settings: CheckSettings) -> list[Issue]:
    if open_count < settings.shared_date_min_items or not open_dates:
        return []
    # The most items on one date; between equal counts the earliest date (any order in).
    common, count = max(open_dates.items(), key=lambda pair: (pair[1], -pair[0].toordinal()))
    if count / open_count < settings.shared_date_share:
        return []
    return [Issue("shared-target-date", Level.WARNING,
                  f"{count} of {open_count} open items are all due {common.isoformat()}: set "
                  "each item's date from its own plan", CITE_SHARED_DATE)]


def _dependencies(links: list[Link], known: Container[str]) -> list[Issue]:
    issues = [Issue("unknown-dependency", Level.WARNING,
                    f"depends on {target}, which is not in this POA&M", CITE_DEPENDENCY,
                    link.poam_id)
              for link in links for target in link.depends_on if target not in known]
    edges: dict[str, list[str]] = {}
    for link in links:  # a duplicated ID keeps the dependencies of both
        edges.setdefault(link.poam_id, []).extend(link.depends_on)
    cycle = find_cycle(edges)
    if cycle:
        issues.append(Issue("dependency-cycle", Level.ERROR,
                            "items depend on each other in a circle: " + " -> ".join(cycle),
                            CITE_DEPENDENCY, cycle[0]))
    return issues


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One dependency cycle as a path that ends where it starts (``[a, b, a]``), or None.

    ``edges`` maps a POA&M ID to the IDs it depends on. Nodes are visited in
    sorted order so the same POA&M always names the same cycle.
    """
    # A node that waits for nothing closes no cycle: leaving it out finds the same one
    # (100,000 items without dependencies cost nothing here).
    ordered = {node: sorted(set(targets)) for node, targets in sorted(edges.items()) if targets}
    return dependencies.find_cycle(ordered)


# --- how to fix each -------------------------------------------------------------------------

# One fix hint per check code: what a person does to clear it. Shown beside the message.
HINTS: dict[str, str] = {
    "no-owner": "Set the owner to one named person of the organization.",
    "owner-not-a-person": "Replace the team or role with the one person accountable for it.",
    "no-remediation-plan": "Write what will be changed, where, and how the fix is verified.",
    "vague-remediation": "Name the specific change (setting, patch, product), where it is "
                         "made, and the evidence that will show it worked.",
    "no-detection-date": "Record the date the weakness was first detected (it never changes).",
    "detection-in-future": "Correct the detection date to the day the weakness was found.",
    "no-scheduled-completion": "Set a realistic scheduled completion date for this item.",
    "scheduled-completion-past": "Finish the item, or move the date with a justification.",
    "scheduled-before-detection": "Set a scheduled completion after the detection date.",
    "no-milestones": "Add at least one milestone: a concrete step with a due date.",
    "milestone-no-date": "Give the milestone a due date.",
    "milestone-no-description": "Say what the milestone delivers.",
    "milestone-change-unrecorded": "Reschedule through the app so the reason is recorded.",
    "milestone-past-due": "Complete the milestone, or reschedule it with a justification.",
    "milestone-after-completion": "Move the milestone before the scheduled completion, or "
                                  "reschedule the item with a justification.",
    "completed-no-date": "Record the actual completion date.",
    "completed-in-future": "Correct the completion date: it cannot be later than today.",
    "completed-no-evidence": "Attach the evidence of the fix (a clean rescan, a screenshot, "
                             "a configuration export).",
    "risk-adjusted-no-rationale": "Describe the mitigating factors that justify the lower "
                                  "risk.",
    "deviation-no-rationale": "Give the rationale and the evidence for the deviation.",
    "accepted-no-review-date": "Add a review milestone with a future due date.",
    "wish-list": "Name an owner, the resources (people, money, hours) and a date.",
    "stale": "Review the item: confirm it, update its plan or dates, or escalate it.",
    "cmmc-after-closeout": "Schedule the item before the closeout deadline: an item still "
                           "open then ends the Conditional status.",
    "cmmc-ineligible-on-poam": "Fix this requirement before the assessment: it may not be "
                               "on a POA&M at all.",
    "fedramp-deadline-exceeded": "Remediate now, or submit a deviation request (risk "
                                 "adjustment, false positive or operational requirement).",
    "fedramp-remediated-late": "Nothing to change: recorded so the late closure is visible.",
    "fedramp-scheduled-after-deadline": "Bring the date within the FedRAMP deadline, or "
                                        "request a deviation.",
    "operational-requirement-high": "Request a risk adjustment below High before the "
                                    "operational requirement.",
    "cr26-not-tracked": "Track the item under the CR26 rules (CR26 vulnerabilities tab) so "
                        "its evaluation is due and recorded.",
    "cr26-evaluation-overdue": "Evaluate it now: record the rating, LEV, IRV and why.",
    "cr26-reduction-overdue": "Reduce the rating (mitigate or remediate) and record it, or "
                              "explain the delay in the overdue explanation.",
    "cr26-kev-overdue": "Remediate the known exploited vulnerability and record it, or "
                        "explain the delay in the overdue explanation.",
    "vendor-no-checkin": "Record the date of the last check-in with the vendor.",
    "vendor-checkin-future": "Correct the check-in date to the day it happened.",
    "vendor-checkin-stale": "Check in with the vendor (every 30 days) and record the date.",
    "vendor-no-product": "Name the vendor's product that carries the weakness.",
    "vendor-in-house": "Remove the vendor dependency: in-house software has none.",
    "vendor-high-risk": "Request a risk adjustment below High for the vendor dependency.",
    "vendor-operational-requirement": "Agree the operational requirement with the AO.",
    "duplicate-poam-id": "Give each item its own POA&M ID.",
    "unknown-dependency": "Remove the dependency, or add the item it points at.",
    "dependency-cycle": "Break the circle: one of these items cannot wait for the others.",
    "dependency-due-after": "Move this item's date after its dependency's, or bring the "
                            "dependency forward.",
    "shared-target-date": "Plan each item's date from its own milestones.",
}


def hint(code: str) -> str:
    """The fix hint of a check code ("" for a code without one)."""
    return HINTS.get(code, "")
