"""What a scanner or checklist parser yields: plain records, no ORM, no I/O.

A parser streams its file and yields three kinds of record, in any order:

- ``ScanInfo``: who scanned and when (at most one per file, usually first);
- ``Target``: an asset the scan covered, whether or not anything was found on it.
  Coverage is what lets a later scan close an item: a weakness absent from a
  covered target is remediated there; on an uncovered target nothing changes.
- ``Finding``: one result of one check on one asset.
- ``Skipped``: findings a parser was told it may leave out (open, under the import's
  severity bar, of no weakness the system tracks): only counted, never built.

Identity (see samples/FORMATS.md): a finding is the same from one monthly scan
to the next when ``(scope, weakness_id, asset.key, port, protocol)`` is the
same. Severity, description text and package versions are never part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Union


class Severity(StrEnum):
    """Normalised severity; the scanner's own word is kept in ``raw_severity``."""

    INFO = "info"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRITICAL = "critical"


class ResultStatus(StrEnum):
    """Outcome of one check. Only OPEN makes a POA&M item."""

    OPEN = "open"  # vulnerable / failed / checklist "Open"
    PASSED = "passed"  # checked and fine: evidence the weakness is gone here
    NOT_APPLICABLE = "not_applicable"
    NOT_REVIEWED = "not_reviewed"  # not evaluated: tells nothing either way
    ERROR = "error"  # the check could not run: tells nothing either way


@dataclass(frozen=True, slots=True)
class Asset:
    """A thing a weakness sits on: host, container image, repository, URL.

    ``key`` is the stable identity chosen per FORMATS.md (agent UUID, FQDN,
    NetBIOS name, IP as last resort; image name without tag; repository URL).
    """

    key: str
    name: str = ""
    kind: str = "host"  # host | image | repository | url | component
    ip: str = ""
    fqdn: str = ""
    netbios: str = ""
    mac: str = ""
    os: str = ""

    @property
    def label(self) -> str:
        return self.name or self.fqdn or self.ip or self.key


@dataclass(frozen=True, slots=True)
class ScanInfo:
    scanner: str  # "Nessus", "Trivy", "DISA STIG Viewer" ...
    scanner_version: str = ""
    scan_time: datetime | None = None  # timezone-aware when the file says so
    name: str = ""  # report / policy / benchmark title


@dataclass(frozen=True, slots=True)
class Target:
    """An asset the scan covered, within a scope (see Finding.scope)."""

    scope: str
    asset: Asset


@dataclass(slots=True)
class Finding:
    scope: str  # which family of checks: "nessus", "stig:Windows_10_STIG", "trivy" ...
    weakness_id: str  # stable within scope: plugin ID, STIG V-number, rule ID, CVE ...
    asset: Asset
    title: str
    status: ResultStatus = ResultStatus.OPEN
    severity: Severity = Severity.INFO
    raw_severity: str = ""
    port: str = ""  # "" when not port-specific; "0" from Nessus is mapped to ""
    protocol: str = ""  # lower case: tcp, udp, icmp
    description: str = ""  # plain text as the tool wrote it (may contain HTML: never render)
    solution: str = ""
    evidence: str = ""  # plugin output, actual value, finding details
    cves: tuple[str, ...] = ()
    cwes: tuple[str, ...] = ()  # "CWE-79" spelling
    ccis: tuple[str, ...] = ()  # "CCI-000366" spelling
    controls: tuple[str, ...] = ()  # NIST SP 800-53 Rev 5 ids, "AC-2", "SI-2(2)"
    references: tuple[str, ...] = ()  # URLs and other refs (IAVA, BID ...)
    scanner: str = ""
    scanner_version: str = ""
    first_seen: datetime | None = None  # when the tool says so, else None
    last_seen: datetime | None = None  # scan time of this asset when known
    source_ref: str = ""  # per-scan id (never used for identity)
    extra: dict[str, Any] = field(default_factory=dict)  # cvss, epss, package, path, line ...

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        return (self.scope, self.weakness_id, self.asset.key, self.port, self.protocol)

    @property
    def weakness_key(self) -> tuple[str, str]:
        """One POA&M item per weakness per system: this is its key."""
        return (self.scope, self.weakness_id)


@dataclass(frozen=True, slots=True)
class Skipped:
    """Open findings a parser only counted: the import drops them anyway (under its
    severity bar, of no tracked weakness), and they are most of a scan. One entry in
    ``keys`` per finding left out, its weakness key (scope, weakness_id)."""

    keys: tuple[tuple[str, str], ...]


Record = Union[ScanInfo, Target, Finding, Skipped]
