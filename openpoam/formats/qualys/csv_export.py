"""Qualys CSV exports: scan report, VMDR "Asset Vuln Datalist" (QID or CVE view), PCI.

The header row is found by content: VMDR exports put three preamble rows
(report name, company, user) before it. Each layout has its own date
spelling, parsed explicitly (FORMATS.md section 4):

- scan report: 'First Detected' = '05/13/2021 07:08:28' (month first);
- VMDR: 'Feb 03, 2026 07:00 AM';
- PCI: 'LAST SCAN' = '22/09/2022 13:01' (day first).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from openpoam.domain.findings import Asset, Finding, Record, ResultStatus, ScanInfo, Target
from openpoam.formats.base import FormatError
from openpoam.formats.cells import unguard
from openpoam.formats.scan_common import (MergeBuffer, Row, cap, clean, csv_records,
                                            find_cves, first, header_cells, header_index,
                                            parse_date, to_float, unique)
from openpoam.formats.qualys.common import (SCANNER, SCOPE, STATUSES, kind_label,
                                            not_applicable, port_and_host, score_and_vector,
                                            severity_for, site_evidence)

HEADER_SEARCH = 10  # records looked at for the header row

COMMON: dict[str, tuple[str, ...]] = {
    "qid": ("QID",), "title": ("Title", "VULN TITLE"), "level": ("Severity",),
    "ip": ("IP", "Asset IPV4"), "ipv6": ("Asset IPV6",), "dns": ("DNS", "HOSTNAME"),
    "netbios": ("NetBIOS",),
    "asset_id": ("Asset Id",), "asset_name": ("Asset Name",),
    "os": ("OS", "OPERATING SYSTEM", "Operating System"),
    "port": ("Port",), "protocol": ("Protocol",), "fqdn": ("FQDN",),
    "status": ("Vuln Status", "Status"), "type": ("Type", "Type Detected"),
    "first_seen": ("First Detected",), "last_seen": ("Last Detected", "LAST SCAN"),
    "cve": ("CVE ID", "CVEID", "CVE"), "threat": ("Threat",), "impact": ("Impact",),
    "solution": ("Solution",), "result": ("Results", "RESULT"),
    "cvss3": ("CVSS3 Base", "CVSSv3.1 Base (nvd)"), "cvss2": ("CVSS Base", "CVSS_BASE",
                                                              "CVSSv2 Base (nvd)"),
    "category": ("Category",), "vendor_ref": ("Vendor Reference",),
    "bugtraq": ("Bugtraq ID", "BUGTRAQID"), "instance": ("Instance",),
    "pci": ("PCI Vuln", "IS_PCI"), "times": ("Times Detected",),
    "qds": ("QDS", "QVS Score"), "trurisk": ("TruRisk Score",),
}
# PCI names its numeric level Q_SEVERITY and its word SEVERITY (same letters as 'Severity').
PCI = dict(COMMON, level=("Q_SEVERITY",), word=("SEVERITY",))

LAYOUTS = {
    "scan": (COMMON, ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")),
    "vmdr": (COMMON, ("%b %d, %Y %I:%M %p",)),
    "pci": (PCI, ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")),
}


def layout_of(cells: list[str]) -> str:
    names = {cell.strip() for cell in cells}
    if {"QID", "Asset Id", "Asset Name"} <= names:
        return "vmdr"
    if {"IP", "QID", "VULN TITLE", "Q_SEVERITY"} <= names:
        return "pci"
    if {"IP", "QID", "Title", "Severity"} <= names and ("Vuln Status" in names
                                                        or "Tracking Method" in names):
        return "scan"
    return ""


class _Row(Row):
    """Qualys writes '-' (or the formula-guarded "'-") for an empty cell.

    VMDR exports put a single quote before any cell a spreadsheet could read as a
    formula ("'-", "'=HYPERLINK(...)"): a text marker, not part of the value.
    """

    __slots__ = ()

    def get(self, field: str) -> str:
        value = super().get(field)
        return "" if value in ("-", "'-") else value

    def text(self, field: str) -> str:
        """A long text cell (threat, solution, result), marker off, '-' read as none."""
        value = unguard(clean(self.raw(field)))
        return "" if value == "-" else value


class QualysCsvImporter:
    key = "qualys-csv"
    label = "Qualys CSV export (scan report, VMDR asset vuln list, PCI)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        return any(layout_of(header_cells(head, skip=skip)) for skip in range(5))

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        return _Reader(source).read(stream)


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.layout = ""
        self.index: dict[str, int] = {}
        self.patterns: tuple[str, ...] = ()
        self.header: list[str] = []
        self.newest: datetime | None = None

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        seen: set[str] = set()
        buffer = MergeBuffer()
        for count, (line, cells) in enumerate(csv_records(stream, source=self.source)):
            if not self.layout:
                self._try_header(cells, line, count)
                continue
            finding = self._finding(_Row(cells, self.index, line))
            if finding.asset.key not in seen:
                seen.add(finding.asset.key)
                yield Target(SCOPE, finding.asset)
            yield from buffer.add(finding)
        if not self.layout:
            raise FormatError("no Qualys CSV header row found", source=self.source, line=1)
        yield from buffer.flush()
        yield ScanInfo(scanner=SCANNER, scan_time=self.newest)

    def _try_header(self, cells: list[str], line: int, count: int) -> None:
        self.layout = layout_of(cells)
        if self.layout:
            columns, self.patterns = LAYOUTS[self.layout]
            self.index = header_index(cells, columns)
            self.header = cells
        elif count >= HEADER_SEARCH:
            raise FormatError("no Qualys CSV header row (with 'QID' and 'IP' or 'Asset Id') in "
                              f"the first {HEADER_SEARCH} rows", source=self.source, line=line)

    def _finding(self, row: _Row) -> Finding:
        qid = row.get("qid")
        if not qid.isdigit():
            raise FormatError(f"QID {qid!r} is not a number", source=self.source, line=row.line,
                              field="QID")
        kind, level = row.get("type"), row.get("level")
        if level and level not in "12345":
            raise FormatError(f"severity {level!r} is not 1-5", source=self.source,
                              line=row.line, field=self._name("level"))
        last_seen = self._date(row, "last_seen")
        if last_seen and (self.newest is None or last_seen > self.newest):
            self.newest = last_seen
        cvss3, vector3 = score_and_vector(row.get("cvss3"))
        cvss2, vector2 = score_and_vector(row.get("cvss2"))
        port, vhost = port_and_host(row.get("port"), row.get("fqdn"))
        extra = {"type": kind_label(kind), "category": row.get("category"),
                 "cvss3_base_score": cvss3, "cvss3_vector": vector3,
                 "cvss2_base_score": cvss2, "cvss2_vector": vector2,
                 "pci": row.get("pci"), "times_detected": row.get("times"),
                 "qds": to_float(row.get("qds")), "trurisk": to_float(row.get("trurisk")),
                 "severity_word": row.get("word"), "instance": row.get("instance")}
        return Finding(
            scope=SCOPE, weakness_id=qid, asset=self._asset(row),
            title=row.get("title") or f"QID {qid}", status=self._status(row),
            severity=severity_for(level, kind), raw_severity=level or row.get("word"),
            port=port, protocol=row.get("protocol").lower(),
            description=cap(_description(row)), solution=cap(not_applicable(row.text("solution"))),
            evidence=site_evidence(row.text("result"), vhost),
            cves=unique(find_cves(row.get("cve"))), references=_references(row),
            scanner=SCANNER, first_seen=self._date(row, "first_seen"), last_seen=last_seen,
            extra={k: v for k, v in extra.items() if v not in ("", None)},
        )

    def _status(self, row: Row) -> ResultStatus:
        word = row.get("status")
        if not word:
            return ResultStatus.OPEN
        if word.lower() not in STATUSES:
            raise FormatError(f"unknown status {word!r}", source=self.source, line=row.line,
                              field=self._name("status"))
        return STATUSES[word.lower()]

    def _asset(self, row: _Row) -> Asset:
        ip = first(row.get("ip"), row.get("ipv6"))  # VMDR: 'Asset IPV4', 'Asset IPV6'
        dns, netbios = row.get("dns"), row.get("netbios")
        key = first(row.get("asset_id"), dns, netbios, row.get("asset_name"), ip)
        if not key:
            raise FormatError("row without an asset (IP, DNS or Asset Id)", source=self.source,
                              line=row.line, field=self._name("ip"))
        return Asset(key=key.lower(), name=first(row.get("asset_name"), dns, netbios, ip),
                     ip=ip, fqdn=dns, netbios=netbios, os=row.get("os"))

    def _date(self, row: Row, field: str) -> datetime | None:
        return parse_date(row.get(field), self.patterns, source=self.source, line=row.line,
                          field=self._name(field), iso=False)

    def _name(self, field: str) -> str:
        """The header name of a canonical field, as the user sees it in the file."""
        position = self.index.get(field)
        return self.header[position].strip() if position is not None else field


def _description(row: _Row) -> str:
    threat, impact = not_applicable(row.text("threat")), not_applicable(row.text("impact"))
    if impact:
        return f"{threat}\n\nImpact:\n{impact}" if threat else impact
    return threat


def _references(row: Row) -> tuple[str, ...]:
    refs = [f"BID:{b.strip()}" for b in row.get("bugtraq").split(",")
            if b.strip() and b.strip() != "-"]
    vendor = row.get("vendor_ref")
    refs += [v.strip() for v in vendor.split(",") if v.strip()] if vendor else []
    return unique(refs)
