"""Scan identities made to fit the columns that store them, the same way on every import.

A finding is matched to last month's rows by ``(scope, weakness_id, asset key, port,
protocol)``, read back from columns of fixed width. A value longer than its column
used to be cut when written and compared uncut on the next import: the row no longer
matched, was inserted again and broke a unique constraint. Every identity value now
passes through ``fit()`` before it is compared or written: short values are unchanged;
a longer one keeps its head and ends with a digest of the whole value, so two long
values that share a head stay apart, and the same value fits the same way every month.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from openpoam.domain.findings import Finding, Record, Skipped, Target
from openpoam.tracker.models import AffectedAsset, PoamItem

DIGEST = 8  # hex characters of SHA-256 kept after the head
MARK = "~"


@cache
def widths() -> dict[str, int]:
    """Column widths, read from the models (written once, there)."""
    def width(model, name: str) -> int:
        return model._meta.get_field(name).max_length

    return {"scope": width(PoamItem, "scan_scope"),
            "weakness_id": width(PoamItem, "scan_weakness_id"),
            "key": width(AffectedAsset, "asset_key"), "port": width(AffectedAsset, "port"),
            "protocol": width(AffectedAsset, "protocol")}


def fit(value: str, width: int) -> str:
    """``value`` when it fits ``width``; else its head, MARK and a digest of the whole."""
    if len(value) <= width:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST]
    return (value[:max(0, width - DIGEST - len(MARK))] + MARK + digest)[:width]


def tracks(keys: set[tuple[str, str]]) -> Callable[[str, str], bool]:
    """Whether a weakness, as a parser names it, is one of ``keys`` (the system's tracked
    weakness keys, as stored) once fitted to its columns."""
    limits = widths()
    scope_width, id_width = limits["scope"], limits["weakness_id"]

    def tracked(scope: str, weakness_id: str) -> bool:
        if len(scope) > scope_width or len(weakness_id) > id_width:
            scope, weakness_id = fit(scope, scope_width), fit(weakness_id, id_width)
        return (scope, weakness_id) in keys
    return tracked


def fitted(records: Iterable[Record], *, source: str = "",
           warnings: list[str] | None = None) -> Iterator[Record]:
    """The parser's records, with every identity value fitted to its column; once the
    records are read, ``warnings`` gets one line per field that had to be shortened."""
    fitter = _Fitter(widths())
    for record in records:
        if isinstance(record, Finding):
            yield fitter.finding(record)
        elif isinstance(record, Skipped):
            yield fitter.skipped(record)
        elif isinstance(record, Target):
            yield fitter.target(record)
        else:
            yield record
    if warnings is not None:
        warnings += fitter.report(source)


class _Fitter:
    """Fits values and remembers, per field, how many were too long and the first one."""

    LABELS = {"scope": "scope", "weakness_id": "weakness id", "key": "asset",
              "port": "port", "protocol": "protocol"}

    def __init__(self, limits: dict[str, int]):
        self.limits = limits
        self.long: dict[str, tuple[int, str]] = {}

    def fit(self, field: str, value: str) -> str:
        if len(value) <= self.limits[field]:
            return value
        count, example = self.long.get(field, (0, value))
        self.long[field] = (count + 1, example)
        return fit(value, self.limits[field])

    def finding(self, finding: Finding) -> Finding:
        limits = self.limits
        if (len(finding.weakness_id) <= limits["weakness_id"]  # nearly always: nothing to do
                and len(finding.asset.key) <= limits["key"]
                and len(finding.scope) <= limits["scope"]
                and len(finding.port) <= limits["port"]
                and len(finding.protocol) <= limits["protocol"]):
            return finding
        finding.scope = self.fit("scope", finding.scope)
        finding.weakness_id = self.fit("weakness_id", finding.weakness_id)
        finding.port = self.fit("port", finding.port)
        finding.protocol = self.fit("protocol", finding.protocol)
        key = self.fit("key", finding.asset.key)
        if key != finding.asset.key:
            finding.asset = dataclasses.replace(finding.asset, key=key)
        return finding

    def target(self, target: Target) -> Target:
        scope, key = self.fit("scope", target.scope), self.fit("key", target.asset.key)
        if (scope, key) == (target.scope, target.asset.key):
            return target
        return Target(scope, dataclasses.replace(target.asset, key=key))

    def skipped(self, record: Skipped) -> Skipped:
        limits = self.limits
        if all(len(scope) <= limits["scope"] and len(weakness_id) <= limits["weakness_id"]
               for scope, weakness_id in record.keys):
            return record
        return Skipped(tuple((self.fit("scope", scope), self.fit("weakness_id", weakness_id))
                             for scope, weakness_id in record.keys))

    def report(self, source: str) -> list[str]:
        return [f"{source}: {count:,} {self.LABELS[field]} value(s) longer than the "
                f"{self.limits[field]} characters stored, e.g. {example[:80]!r}, were "
                "shortened (head and digest), the same way on every import"
                for field, (count, example) in self.long.items()]
