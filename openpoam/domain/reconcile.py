"""Merge one scan into a system's POA&M: a pure function of plain data.

Two steps, so that a 400,000-finding scan never sits in memory as objects:

1. ``Digester``: feed it every record a parser yields (``add``), then take
   ``result()``. It keeps, per weakness (``Finding.weakness_key``), one copy of
   the descriptive text and the *identities* ``(asset_key, port, protocol)``
   seen open, proven fixed (PASSED / NOT_APPLICABLE) or not evaluated
   (NOT_REVIEWED / ERROR). Per-asset evidence text is not kept at all; only
   one short evidence sample per weakness (``EVIDENCE_CAP`` characters).
2. ``reconcile(existing, digest, scan_time=...)``: compare with the items the
   system already has (``ExistingItem``) and return ``Changes``: plain lists
   the caller applies to its own storage.

Month-after-month rules (each has a test in tests/domain/test_reconcile.py):

- a weakness found open with no item -> new item;
- an asset still open on an open item -> seen again (last seen moves forward);
- an asset found open that the open item does not list -> new asset on it;
- an asset listed on an open item, absent from a target the scan covered, or
  reported PASSED / NOT_APPLICABLE -> remediated;
- an asset on a target the scan did not cover -> nothing changes;
- NOT_REVIEWED / ERROR for an asset -> nothing changes for it;
- an open item whose last unremediated asset was remediated by this scan ->
  closed (or, with ``auto_close=False``, proposed for closure);
- a remediated asset found open again on a still-open item -> reopened;
- a weakness found open again after its item was closed -> a new item linked
  to the closed one (closed items are never reopened silently);
- the same scan imported twice -> no changes the second time;
- an older scan imported after a newer one never remediates what the newer
  one saw (the asset's stored ``last_seen`` is later than the scan).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from openpoam.domain.findings import (
    Asset, Finding, Record, ResultStatus, ScanInfo, Severity, Skipped, Target,
)

WeaknessKey = tuple[str, str]  # (scope, weakness_id)
Identity = tuple[str, str, str]  # (asset_key, port, protocol) within one weakness
Seen = tuple[datetime | None, datetime | None]  # (first seen, last seen) as the tool said

EVIDENCE_CAP = 1000  # characters of evidence kept once per weakness, never per asset
REF_CAP = 100  # entries kept per list field (cves, references ...) per weakness

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
_PROOF = frozenset({ResultStatus.PASSED, ResultStatus.NOT_APPLICABLE})
_NO_INFO = frozenset({ResultStatus.NOT_REVIEWED, ResultStatus.ERROR})


class AssetInfo(NamedTuple):
    name: str
    kind: str
    ip: str
    fqdn: str


@dataclass(slots=True)
class WeaknessDigest:
    """One weakness as the scan saw it: text once, assets as identities only."""

    weakness_key: WeaknessKey
    title: str = ""
    description: str = ""
    solution: str = ""
    severity: Severity = Severity.INFO  # the highest seen on any asset
    raw_severity: str = ""  # the tool's word for that highest severity
    cves: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()
    ccis: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    scanner: str = ""
    scanner_version: str = ""
    evidence_sample: str = ""  # first non-empty evidence, cut to EVIDENCE_CAP
    extra: dict[str, Any] = field(default_factory=dict)  # scalar extras of the first finding
    open: dict[Identity, Seen] = field(default_factory=dict)
    proven: dict[Identity, ResultStatus] = field(default_factory=dict)  # PASSED / NOT_APPLICABLE
    no_info: set[Identity] = field(default_factory=set)  # NOT_REVIEWED / ERROR

    @property
    def scope(self) -> str:
        return self.weakness_key[0]

    @property
    def weakness_id(self) -> str:
        return self.weakness_key[1]


@dataclass(slots=True)
class ScanDigest:
    info: ScanInfo | None = None
    covered: set[tuple[str, str]] = field(default_factory=set)  # (scope, asset_key)
    weaknesses: dict[WeaknessKey, WeaknessDigest] = field(default_factory=dict)
    # One entry per asset key for the whole scan (an asset's name does not
    # depend on the weakness): asset_key -> (name, kind, ip, fqdn).
    assets: dict[str, AssetInfo] = field(default_factory=dict)
    # Weaknesses with an open finding below min_severity: their absent assets
    # are not remediated, since the weakness may still be there, only under the
    # bar (pass ``track`` to the Digester to keep such findings instead).
    below_threshold: set[WeaknessKey] = field(default_factory=set)
    findings: int = 0  # Finding records read
    dropped: int = 0  # open findings dropped for severity

    def asset(self, asset_key: str) -> AssetInfo:
        return self.assets.get(asset_key) or AssetInfo(asset_key, "host", "", "")


class Digester:
    """Streams parser records into a ``ScanDigest`` in bounded memory.

    ``min_severity``: open findings below it are not POA&M items (INFO by
    default is dropped). ``track``: weakness keys the system already has items
    for; their findings are kept whatever the severity, because a severity
    change is not a fix (severity is not part of a finding's identity).
    """

    def __init__(self, *, min_severity: Severity = Severity.LOW,
                 track: Iterable[WeaknessKey] = ()) -> None:
        self._min_rank = _SEVERITY_RANK[min_severity]
        self._track = frozenset(track)
        self._digest = ScanDigest()
        self._interned: dict[Any, Any] = {}  # shares equal strings, datetimes and pairs

    def add(self, record: Record) -> None:
        if isinstance(record, Finding):
            self._add_finding(record)
        elif isinstance(record, Skipped):
            self._add_skipped(record)
        elif isinstance(record, Target):
            key = self._intern(record.asset.key)
            self._digest.covered.add((self._intern(record.scope), key))
            self._remember_asset(record.asset)
        elif isinstance(record, ScanInfo):
            if self._digest.info is None:
                self._digest.info = record
        else:
            raise TypeError(f"not a scan record: {type(record).__name__}")

    def add_all(self, records: Iterable[Record]) -> Digester:
        for record in records:
            self.add(record)
        return self

    @property
    def findings_so_far(self) -> int:
        return self._digest.findings

    def progress(self, read_bytes: int = 0) -> dict:
        """Counts so far, for a progress bar: bytes read, findings, hosts named."""
        return {"bytes": read_bytes, "findings": self._digest.findings,
                "hosts": len(self._digest.assets)}

    def result(self) -> ScanDigest:
        for weakness in self._digest.weaknesses.values():
            # Open wins over a contradicting result for the same identity.
            for identity in weakness.open.keys() & weakness.proven.keys():
                del weakness.proven[identity]
            weakness.no_info -= weakness.open.keys() | weakness.proven.keys()
        self._interned.clear()
        return self._digest

    def _add_finding(self, finding: Finding) -> None:
        self._digest.findings += 1
        key = finding.weakness_key
        if finding.status is ResultStatus.OPEN and not self._wanted(finding):
            self._digest.dropped += 1
            self._digest.below_threshold.add(key)
            return
        weakness = self._digest.weaknesses.get(key)
        if weakness is None:
            weakness = self._digest.weaknesses[key] = _describe(finding)
        else:
            _merge_description(weakness, finding)
        identity = (self._intern(finding.asset.key), self._intern(finding.port),
                    self._intern(finding.protocol))
        self._remember_asset(finding.asset)
        if finding.status is ResultStatus.OPEN:
            self._add_open(weakness, identity, finding)
        elif finding.status in _PROOF:
            weakness.proven.setdefault(identity, finding.status)
        elif finding.status in _NO_INFO:
            weakness.no_info.add(identity)

    def _add_skipped(self, record: Skipped) -> None:
        """Findings the parser only counted: dropped, as ``_add_finding`` would have."""
        if not self._track.isdisjoint(record.keys):
            # The parser was given another tracked set: counting would lose findings.
            raise ValueError("a parser skipped findings of a tracked weakness")
        self._digest.findings += len(record.keys)
        self._digest.dropped += len(record.keys)
        self._digest.below_threshold.update(record.keys)

    def _wanted(self, finding: Finding) -> bool:
        return (_SEVERITY_RANK[finding.severity] >= self._min_rank
                or finding.weakness_key in self._track)

    def _add_open(self, weakness: WeaknessDigest, identity: Identity, finding: Finding) -> None:
        first, last = self._time(finding.first_seen), self._time(finding.last_seen)
        if first is None:
            first = last
        previous = weakness.open.get(identity)
        if previous is not None:  # the same identity twice in one file: widen the window
            first, last = _earliest(previous[0], first), _latest(previous[1], last)
        weakness.open[identity] = self._intern((first, last))
        if not weakness.evidence_sample and finding.evidence:
            weakness.evidence_sample = finding.evidence[:EVIDENCE_CAP]

    def _remember_asset(self, asset: Asset) -> None:
        known = self._digest.assets.get(asset.key)
        if known is None or (not known.name and asset.name):
            info = AssetInfo(asset.name or asset.label, asset.kind, asset.ip, asset.fqdn)
            self._digest.assets[self._intern(asset.key)] = info

    def _time(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else self._intern(as_utc(moment))

    def _intern(self, value):
        return self._interned.setdefault(value, value)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken as UTC so they compare with aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _describe(finding: Finding) -> WeaknessDigest:
    return WeaknessDigest(
        weakness_key=finding.weakness_key, title=finding.title,
        description=finding.description, solution=finding.solution,
        severity=finding.severity, raw_severity=finding.raw_severity,
        cves=finding.cves[:REF_CAP], cwes=finding.cwes[:REF_CAP], ccis=finding.ccis[:REF_CAP],
        controls=finding.controls[:REF_CAP], references=finding.references[:REF_CAP],
        scanner=finding.scanner, scanner_version=finding.scanner_version,
        extra={k: v for k, v in finding.extra.items() if _small_scalar(v)})


def _merge_description(weakness: WeaknessDigest, finding: Finding) -> None:
    # Runs for every finding of a weakness after its first, which nearly always says the
    # same: each step is skipped by a cheap test first (same member, full texts).
    if finding.severity is not weakness.severity and \
            _SEVERITY_RANK[finding.severity] > _SEVERITY_RANK[weakness.severity]:
        weakness.severity, weakness.raw_severity = finding.severity, finding.raw_severity
    if not (weakness.title and weakness.description and weakness.solution
            and weakness.scanner and weakness.scanner_version):
        for name in ("title", "description", "solution", "scanner", "scanner_version"):
            if not getattr(weakness, name) and getattr(finding, name):
                setattr(weakness, name, getattr(finding, name))
    for name in ("cves", "cwes", "ccis", "controls", "references"):
        mine, theirs = getattr(weakness, name), getattr(finding, name)
        if theirs != mine and len(mine) < REF_CAP:  # usually identical: cheap to skip
            merged = dict.fromkeys(mine)
            merged.update(dict.fromkeys(theirs))
            setattr(weakness, name, tuple(merged)[:REF_CAP])


def _small_scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    return isinstance(value, (int, float, bool)) or value is None


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


# --- existing state ---------------------------------------------------------------------


class AssetState(NamedTuple):
    remediated: bool = False
    last_seen: datetime | None = None  # lets a re-import of the same scan change nothing


@dataclass(slots=True)
class ExistingItem:
    """A POA&M item the system already has, as plain data.

    ``ref`` is the caller's handle (primary key, object): returned untouched in
    ``Changes``. When a weakness has several open items, pass them oldest
    first: new assets go to the last (newest) one; each open item still gets
    seen-again and remediated updates for the assets it lists.
    """

    ref: object
    weakness_key: WeaknessKey
    closed: bool
    closed_on: object = None  # date or datetime; picks the newest closed item to link to
    assets: dict[Identity, AssetState] = field(default_factory=dict)


# --- changes ----------------------------------------------------------------------------


class Sighting(NamedTuple):
    identity: Identity
    first_seen: datetime
    last_seen: datetime
    asset: AssetInfo


class AssetChange(NamedTuple):
    ref: object  # the ExistingItem.ref
    identity: Identity
    first_seen: datetime | None  # set for new assets, None otherwise
    last_seen: datetime
    asset: AssetInfo


class Remediation(NamedTuple):
    ref: object
    identity: Identity
    on: datetime  # the scan time
    reason: str  # "absent" from a covered target | "passed" | "not_applicable"


class Closure(NamedTuple):
    ref: object
    on: datetime  # the scan time


@dataclass(slots=True)
class NewItem:
    weakness: WeaknessDigest  # descriptive data (title, severity, cves ...)
    assets: list[Sighting]
    recurrence_of: object = None  # ref of the closed item this weakness came back after

    @property
    def weakness_key(self) -> WeaknessKey:
        return self.weakness.weakness_key


@dataclass(slots=True)
class Counts:
    new: int = 0  # new items for weaknesses never tracked before
    recurred: int = 0  # new items linked to a closed item (not counted in ``new``)
    updated: int = 0  # existing items with an asset seen again, new or reopened
    remediated: int = 0  # assets
    closed: int = 0  # items
    proposed: int = 0  # items proposed for closure (auto_close=False)
    unchanged: int = 0  # open items this scan changed nothing on
    new_assets: int = 0
    seen_again: int = 0
    reopened: int = 0


@dataclass(slots=True)
class Changes:
    new_items: list[NewItem] = field(default_factory=list)  # includes recurrences
    new_assets: list[AssetChange] = field(default_factory=list)
    seen_again: list[AssetChange] = field(default_factory=list)
    reopened: list[AssetChange] = field(default_factory=list)  # remediated asset found again
    remediated: list[Remediation] = field(default_factory=list)
    closed: list[Closure] = field(default_factory=list)
    proposed: list[Closure] = field(default_factory=list)  # instead of closed when not auto
    counts: Counts = field(default_factory=Counts)

    @property
    def empty(self) -> bool:
        return not (self.new_items or self.new_assets or self.seen_again or self.reopened
                    or self.remediated or self.closed or self.proposed)


# --- reconcile --------------------------------------------------------------------------


def reconcile(existing: Iterable[ExistingItem], scan: ScanDigest, *, scan_time: datetime,
              auto_close: bool = True) -> Changes:
    """What this scan changes in the POA&M. Pure: nothing is modified."""
    at = as_utc(scan_time)
    changes = Changes()
    grouped: dict[WeaknessKey, list[ExistingItem]] = {}
    for item in existing:
        grouped.setdefault(tuple(item.weakness_key), []).append(item)
    for key, items in grouped.items():
        _reconcile_weakness(items, scan.weaknesses.get(key), key, scan, at, auto_close, changes)
    for key in sorted(scan.weaknesses.keys() - grouped.keys()):
        weakness = scan.weaknesses[key]
        if weakness.open:
            changes.new_items.append(_new_item(weakness, scan, at, None))
            changes.counts.new += 1
    return changes


def _reconcile_weakness(items: list[ExistingItem], weakness: WeaknessDigest | None,
                        key: WeaknessKey, scan: ScanDigest, at: datetime, auto_close: bool,
                        changes: Changes) -> None:
    found = weakness.open if weakness else {}
    open_items = [item for item in items if not item.closed]
    if not open_items:
        if found:  # came back after closure: a new item, linked; the old one stays closed
            changes.new_items.append(_new_item(weakness, scan, at, _newest_closed(items).ref))
            changes.counts.recurred += 1
        return
    listed = {identity for item in open_items for identity in item.assets}
    added = sorted(identity for identity in found if identity not in listed)
    newest = open_items[-1]
    outcomes = [_update_item(item, weakness, key, scan, at, auto_close, changes,
                             gaining=len(added) if item is newest else 0)
                for item in open_items]
    for identity in added:
        first, last = _window(found[identity], at)
        changes.new_assets.append(AssetChange(newest.ref, identity, first, last,
                                              scan.asset(identity[0])))
    changes.counts.new_assets += len(added)
    for updated, remediated in outcomes:
        changes.counts.updated += updated
        changes.counts.unchanged += not (updated or remediated)


def _update_item(item: ExistingItem, weakness: WeaknessDigest | None, key: WeaknessKey,
                 scan: ScanDigest, at: datetime, auto_close: bool,
                 changes: Changes, gaining: int) -> tuple[bool, bool]:
    """Apply the scan to one open item's assets; return (updated, remediated anything).

    ``gaining``: how many new assets this item receives from the scan.
    """
    found = weakness.open if weakness else {}
    updated, remediated_now, still_open = gaining, 0, gaining
    for identity, state in item.assets.items():
        seen = found.get(identity)
        if seen is not None:
            updated += _seen(item, identity, state, seen, scan, at, changes)
            still_open += 1
            continue
        if state.remediated:
            continue
        reason = _remediation_reason(identity, state, weakness, key, scan, at)
        if reason:
            changes.remediated.append(Remediation(item.ref, identity, at, reason))
            remediated_now += 1
        else:
            still_open += 1
    changes.counts.remediated += remediated_now
    # Only a transition closes: an item this scan remediated nothing on is left
    # as the people tracking it left it (and an item with no assets never closes).
    if remediated_now and not still_open:
        if auto_close:
            changes.closed.append(Closure(item.ref, at))
            changes.counts.closed += 1
        else:
            changes.proposed.append(Closure(item.ref, at))
            changes.counts.proposed += 1
    return updated > 0, remediated_now > 0


def _seen(item: ExistingItem, identity: Identity, state: AssetState, seen: Seen,
          scan: ScanDigest, at: datetime, changes: Changes) -> int:
    _, last = _window(seen, at)
    asset = scan.asset(identity[0])
    if state.remediated:
        changes.reopened.append(AssetChange(item.ref, identity, None, last, asset))
        changes.counts.reopened += 1
        return 1
    if state.last_seen is None or last > as_utc(state.last_seen):
        changes.seen_again.append(AssetChange(item.ref, identity, None, last, asset))
        changes.counts.seen_again += 1
        return 1
    return 0


def _remediation_reason(identity: Identity, state: AssetState, weakness: WeaknessDigest | None,
                        key: WeaknessKey, scan: ScanDigest, at: datetime) -> str:
    if weakness is not None:
        proof = weakness.proven.get(identity)
        if proof is not None:  # an explicit pass is proof wherever it comes from
            return proof.value
        if identity in weakness.no_info:
            return ""
    if key in scan.below_threshold:  # still reported, only under the severity bar
        return ""
    if (key[0], identity[0]) not in scan.covered:
        return ""
    if state.last_seen is not None and as_utc(state.last_seen) > at:
        return ""  # an older scan imported late: the newer sighting wins
    return "absent"


def _window(seen: Seen, at: datetime) -> tuple[datetime, datetime]:
    first, last = seen
    last = last or at
    return (first or last), last


def _new_item(weakness: WeaknessDigest, scan: ScanDigest, at: datetime,
              recurrence_of: object) -> NewItem:
    sightings = [Sighting(identity, *_window(seen, at), scan.asset(identity[0]))
                 for identity, seen in sorted(weakness.open.items())]
    return NewItem(weakness, sightings, recurrence_of)


def _newest_closed(items: list[ExistingItem]) -> ExistingItem:
    dated = [item for item in items if item.closed_on is not None]
    if dated:
        return max(dated, key=lambda item: _sortable(item.closed_on))
    return items[-1]


def _sortable(moment: object) -> datetime:
    if isinstance(moment, datetime):
        return as_utc(moment)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)  # a date
