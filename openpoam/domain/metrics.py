"""Progress metrics of a POA&M: what leadership and an assessor ask for every month.

Plain functions of the items (and the score history), with today passed in:

- open items by risk and by age;
- mean and median days to remediate, by risk (detection to actual completion);
- the share of milestones met on their original date, and the dates that slipped;
- the burn-down (open items at the end of each week);
- a forecast of when the open items will be closed at the recent pace, set against the
  deadline that applies (the CMMC closeout deadline, or each open item's FedRAMP deadline).
  A FedRAMP system under the CR26 rules has no closure deadline: those rules time the next
  reduction of a rating, not closure (rulebook section 9.4), so the forecast says so instead.

A closed item closed on its ``actual_completion`` date (completed) or on its
``status_date`` (risk accepted, false positive); an item without either counts as
closed on the day it was last changed, so it still leaves the burn-down.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from openpoam.domain import fedramp
from openpoam.domain.poam import PoamItemData, Risk, Status

AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 90, "31-90 days"), (91, 180, "91-180 days"),
               (181, 365, "181-365 days"), (366, None, "over 365 days"))
PACE_WINDOW_DAYS = 90  # the recent pace: items closed in the last 90 days
BURNDOWN_WEEKS = 26


@dataclass(frozen=True)
class SlippedDate:
    poam_id: str
    milestone: int
    original_due: date
    current_due: date
    justifications: tuple[str, ...]

    @property
    def days(self) -> int:
        return (self.current_due - self.original_due).days


@dataclass(frozen=True)
class Forecast:
    open_items: int
    closed_in_window: int
    window_days: int
    per_week: float
    expected_done: date | None  # None when nothing closed lately: no pace to project
    deadline: date | None
    deadline_label: str
    on_track: bool | None  # None when there is no deadline or no pace
    late_items: int  # FedRAMP: open items whose own deadline falls before the forecast

    @property
    def message(self) -> str:
        if self.open_items == 0:
            return "No open items."
        if self.expected_done is None:
            return (f"No item was closed in the last {self.window_days} days: at this pace "
                    f"the {self.open_items} open items will never be closed.")
        text = (f"At {self.per_week:.1f} items a week, the {self.open_items} open items will "
                f"be closed around {self.expected_done.isoformat()}")
        if self.deadline is None:
            return f"{text} ({self.deadline_label})." if self.deadline_label else text + "."
        verdict = "before" if self.on_track else "after"
        return f"{text}, {verdict} {self.deadline_label} {self.deadline.isoformat()}."


@dataclass(frozen=True)
class Metrics:
    today: date
    open_total: int
    open_by_risk: dict[str, int]
    open_by_age: dict[str, int]
    days_to_remediate: dict[str, dict[str, float | int | None]]
    milestones_due: int
    milestones_met_on_time: int
    slipped: tuple[SlippedDate, ...]
    burndown: tuple[tuple[date, int], ...]
    score_trend: tuple[tuple[date, int], ...]
    forecast: Forecast
    overdue_items: int = 0
    by_owner: dict[str, int] = field(default_factory=dict)

    @property
    def on_time_share(self) -> float | None:
        if not self.milestones_due:
            return None
        return self.milestones_met_on_time / self.milestones_due

    def to_dict(self) -> dict:
        data = asdict(self)
        data["on_time_share"] = self.on_time_share
        data["forecast"]["message"] = self.forecast.message
        data["slipped"] = [{**asdict(s), "days": s.days} for s in self.slipped]
        data["burndown"] = [{"week_ending": d, "open": n} for d, n in self.burndown]
        data["score_trend"] = [{"assessed_on": d, "score": s} for d, s in self.score_trend]
        return _iso_dates(data)


def compute(items: Iterable[PoamItemData], today: date, *,
            scores: list[tuple[date, int]] | None = None,
            closeout_deadline: date | None = None, fedramp_system: bool = False,
            cr26: bool = False) -> Metrics:
    """Every metric of one system's POA&M as of ``today``, in one pass over ``items``."""
    tally = Tally(today, fedramp_deadlines=fedramp_system and not cr26)
    for item in items:
        tally.add(item)
    return tally.metrics(scores=scores, closeout_deadline=closeout_deadline,
                         fedramp_system=fedramp_system, cr26=cr26)


class Tally:
    """The metrics gathered one item at a time: counts, and the few values the results
    are made of (spans to remediate, slipped dates, FedRAMP deadlines by date), never the
    items. ``fedramp_deadlines``: collect each open item's FedRAMP deadline."""

    def __init__(self, today: date, *, fedramp_deadlines: bool = False):
        self.today, self.fedramp_deadlines = today, fedramp_deadlines
        self.open = self.overdue = self.closed_in_window = self.due = self.met = 0
        self.by_risk: Counter = Counter()
        self.by_age = {label: 0 for _, _, label in AGE_BUCKETS}
        self.by_owner: Counter = Counter()
        self.spans: dict[Risk, list[int]] = {risk: [] for risk in Risk}
        self.slipped: list[SlippedDate] = []
        self.lifetimes: Counter = Counter()  # (detected, closed or None) -> items
        self.deadlines: Counter = Counter()  # an open item's FedRAMP deadline -> items
        self.since = today - timedelta(days=PACE_WINDOW_DAYS)

    def add(self, item: PoamItemData) -> None:
        closed = closed_on(item)
        if not item.status.is_closed:
            self._add_open(item)
        elif closed is not None and self.since < closed <= self.today:
            self.closed_in_window += 1
        if item.status is Status.COMPLETED and item.actual_completion and item.detected_on:
            self.spans[item.effective_risk].append(
                (item.actual_completion - item.detected_on).days)
        if item.detected_on is not None:
            self.lifetimes[item.detected_on, closed] += 1
        due, met, slipped = milestone_record([item], self.today)
        self.due += due
        self.met += met
        self.slipped.extend(slipped)

    def _add_open(self, item: PoamItemData) -> None:
        self.open += 1
        self.by_risk[item.effective_risk] += 1
        self.by_owner[item.owner or "(no owner)"] += 1
        if item.scheduled_completion and item.scheduled_completion < self.today:
            self.overdue += 1
        if item.detected_on is not None:
            bucket = _age_bucket((self.today - item.detected_on).days)
            if bucket is not None:  # detected in the future: no age yet
                self.by_age[bucket] += 1
            if self.fedramp_deadlines:
                deadline = fedramp.item_deadline_status(item, item.detected_on).deadline
                if deadline:
                    self.deadlines[deadline] += 1

    def metrics(self, *, scores: list[tuple[date, int]] | None = None,
                closeout_deadline: date | None = None, fedramp_system: bool = False,
                cr26: bool = False) -> Metrics:
        today = self.today
        self.slipped.sort(key=lambda s: (-s.days, s.poam_id, s.milestone))
        return Metrics(
            today=today, open_total=self.open,
            open_by_risk={risk.value: self.by_risk.get(risk, 0)
                          for risk in sorted(Risk, key=lambda r: -r.rank)},
            open_by_age=dict(self.by_age), days_to_remediate=_remediation(self.spans),
            milestones_due=self.due, milestones_met_on_time=self.met,
            slipped=tuple(self.slipped),
            burndown=tuple(open_at(((start, stop, n) for (start, stop), n
                                    in self.lifetimes.items()), week_ends(today))),
            score_trend=tuple(sorted(scores or [])),
            forecast=self.forecast(closeout_deadline=closeout_deadline,
                                   fedramp_system=fedramp_system, cr26=cr26),
            overdue_items=self.overdue, by_owner=dict(self.by_owner.most_common()))

    def forecast(self, *, closeout_deadline: date | None = None, fedramp_system: bool = False,
                 cr26: bool = False, window_days: int = PACE_WINDOW_DAYS) -> Forecast:
        today, open_count, closed = self.today, self.open, self.closed_in_window
        per_day = closed / window_days
        expected = (today + timedelta(days=round(open_count / per_day))
                    if per_day and open_count else (today if not open_count else None))
        deadline, label, late = _deadline(open_count, self.deadlines, expected,
                                          closeout_deadline, fedramp_system and not cr26)
        if fedramp_system and cr26 and closeout_deadline is None:
            label = CR26_NO_DEADLINE
        on_track = None if deadline is None or expected is None else expected <= deadline
        return Forecast(open_count, closed, window_days, round(per_day * 7, 2), expected,
                        deadline, label, on_track, late)


def _age_bucket(age: int) -> str | None:
    for low, high, label in AGE_BUCKETS:
        if age >= low and (high is None or age <= high):
            return label
    return None


def _remediation(spans: dict[Risk, list[int]]) -> dict[str, dict]:
    return {risk.value: {"count": len(days),
                         "mean": round(statistics.fmean(days), 1) if days else None,
                         "median": statistics.median(days) if days else None}
            for risk, days in sorted(spans.items(), key=lambda kv: -kv[0].rank)}


def open_by_risk(open_items: list[PoamItemData]) -> dict[str, int]:
    counts = Counter(i.effective_risk for i in open_items)
    return {risk.value: counts.get(risk, 0) for risk in sorted(Risk, key=lambda r: -r.rank)}


def open_by_age(open_items: list[PoamItemData], today: date) -> dict[str, int]:
    counts = {label: 0 for _, _, label in AGE_BUCKETS}
    for item in open_items:
        if item.detected_on is not None:
            bucket = _age_bucket((today - item.detected_on).days)
            if bucket is not None:
                counts[bucket] += 1
    return counts


def days_to_remediate(items: list[PoamItemData]) -> dict[str, dict]:
    """Mean and median days from detection to completion, per risk (completed items only)."""
    spans: dict[Risk, list[int]] = {risk: [] for risk in Risk}
    for item in items:
        if item.status is Status.COMPLETED and item.actual_completion and item.detected_on:
            spans[item.effective_risk].append((item.actual_completion - item.detected_on).days)
    return _remediation(spans)


def milestone_record(items: list[PoamItemData], today: date
                     ) -> tuple[int, int, list[SlippedDate]]:
    """Milestones whose original date has come (or that are done), how many were met by it,
    and every milestone whose due date moved later."""
    due = met = 0
    slipped = []
    for item in items:
        for m in item.milestones:
            if m.original_due is None:
                continue
            if m.completed_on is not None or m.original_due < today:
                due += 1
                met += m.completed_on is not None and m.completed_on <= m.original_due
            if m.current_due and m.current_due > m.original_due:
                slipped.append(SlippedDate(item.poam_id, m.sequence, m.original_due,
                                           m.current_due,
                                           tuple(c.justification for c in m.changes)))
    slipped.sort(key=lambda s: (-s.days, s.poam_id, s.milestone))
    return due, met, slipped


def closing_date(status: Status, actual_completion: date | None, status_date: date | None,
                 updated_on: date | None = None) -> date | None:
    """The day an item left the open POA&M: its completion date, else the date of its
    closing status; None while it is open."""
    if not status.is_closed:
        return None
    return actual_completion or status_date or updated_on


def closed_on(item: PoamItemData) -> date | None:
    return closing_date(item.status, item.actual_completion, item.status_date, item.updated_on)


def week_ends(today: date, weeks: int = BURNDOWN_WEEKS) -> list[date]:
    return [today - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def open_at(spans: Iterable[tuple[date, date | None, int]], ends: list[date]
            ) -> list[tuple[date, int]]:
    """How many were open at each end date, from (detected, closed or None, how many)
    spans: an item is open on a day when detected by then and not yet closed."""
    spans = list(spans)
    return [(end, sum(n for start, stop, n in spans
                      if start <= end and (stop is None or stop > end)))
            for end in ends]


def burndown(items: list[PoamItemData], today: date,
             weeks: int = BURNDOWN_WEEKS) -> list[tuple[date, int]]:
    """Open items at the end of each of the last ``weeks`` weeks, today last."""
    return open_at(((i.detected_on, closed_on(i), 1) for i in items
                    if i.detected_on is not None), week_ends(today, weeks))


def forecast(items: list[PoamItemData], today: date, *, closeout_deadline: date | None = None,
             fedramp_system: bool = False, window_days: int = PACE_WINDOW_DAYS,
             cr26: bool = False) -> Forecast:
    """When the open items will be closed at the recent pace, against the deadline that
    applies. ``cr26``: a FedRAMP system under the CR26 rules, which has none."""
    tally = Tally(today, fedramp_deadlines=fedramp_system and not cr26)
    tally.since = today - timedelta(days=window_days)
    for item in items:
        tally.add(item)
    return tally.forecast(closeout_deadline=closeout_deadline, fedramp_system=fedramp_system,
                          cr26=cr26, window_days=window_days)


CR26_NO_DEADLINE = ("no closure deadline under the CR26 rules: they time each rating's next "
                    "reduction (VDR-TFR-PVR), shown with the CR26 vulnerabilities")


def _deadline(open_count: int, deadlines: Counter, expected: date | None,
              closeout_deadline: date | None, fedramp_system: bool):
    """The deadline the forecast is set against, its label, and how many open items' own
    FedRAMP deadlines (``deadlines``: date -> items) fall before the expected date."""
    if closeout_deadline is not None:
        return closeout_deadline, "the CMMC closeout deadline", 0
    if not fedramp_system or not open_count or not deadlines:
        return None, "", 0
    late = sum(n for d, n in deadlines.items() if expected is None or d < expected)
    return max(deadlines), "the last FedRAMP remediation deadline", late


def _iso_dates(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_iso_dates(v) for v in value]
    return value
