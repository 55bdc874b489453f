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
from collections.abc import Iterable, Iterator
from functools import cache

from openpoam.domain.findings import Finding, Record, Target
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


def fitted(records: Iterable[Record]) -> Iterator[Record]:
    """The parser's records, with every identity value fitted to its column."""
    limits = widths()
    for record in records:
        if isinstance(record, Finding):
            yield _finding(record, limits)
        elif isinstance(record, Target):
            yield _target(record, limits)
        else:
            yield record


def _finding(finding: Finding, limits: dict[str, int]) -> Finding:
    finding.scope = fit(finding.scope, limits["scope"])
    finding.weakness_id = fit(finding.weakness_id, limits["weakness_id"])
    finding.port = fit(finding.port, limits["port"])
    finding.protocol = fit(finding.protocol, limits["protocol"])
    key = fit(finding.asset.key, limits["key"])
    if key != finding.asset.key:
        finding.asset = dataclasses.replace(finding.asset, key=key)
    return finding


def _target(target: Target, limits: dict[str, int]) -> Target:
    scope, key = fit(target.scope, limits["scope"]), fit(target.asset.key, limits["key"])
    if (scope, key) == (target.scope, target.asset.key):
        return target
    return Target(scope, dataclasses.replace(target.asset, key=key))
