"""Nessus / Tenable CSV exports: six header layouts, one importer.

Layouts (FORMATS.md section 2), told apart by the header row:

- ``pro``: Nessus Professional, 13 default columns, 26 "all columns", 30 in 10.x;
- ``io``: Tenable.io / Vulnerability Management, 65 columns, ONE ROW PER CVE;
- ``sc``: Tenable.sc / ACAS "vulnerability details", 40-44 columns;
- ``workbench``: Tenable VM workbench, semicolon-delimited, dotted names.

Plugin IDs are the same as in .nessus files, so the scope is "tenable" for
both: a CSV and a .nessus of the same network reconcile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo, Severity,
                                      Target)
from openpoam.formats.base import FormatError, WARN, Warn
from openpoam.formats.streams import peek
from openpoam.formats.scan_common import (MergeBuffer, Row, RowWarnings, cap, clean,
                                            csv_records, cwe_id, find_cves, first,
                                            header_cells, header_index, iso_text, parse_date,
                                            score, to_float, unique)

SCOPE = "tenable"

# Canonical field -> header names, first match wins (compared case-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "plugin": ("Plugin ID", "Plugin", "definition.id"),
    "name": ("Name", "Plugin Name", "definition.name"),
    "family": ("Family", "Plugin Family", "definition.family"),
    "risk": ("Risk", "Severity", "severity"),  # words; Tenable.io 'Severity' is numeric
    "severity_number": ("Severity",),
    "risk_factor": ("Risk Factor",),
    "host": ("Host", "asset.name"),
    "ip": ("IP Address", "asset.display_ipv4_address"),
    "fqdn": ("FQDN", "DNS Name", "asset.display_fqdn"),
    "netbios": ("NetBios", "NetBIOS Name", "asset.netbios_name"),
    "mac": ("MAC Address", "asset.display_mac_address"),
    "os": ("OS", "asset.operating_system"),
    "asset_id": ("asset.id",),
    "agent_id": ("Agent ID",),
    "host_id": ("Host ID",),
    "protocol": ("Protocol", "protocol"),
    "port": ("Port", "port"),
    "service": ("Service",),
    "cve": ("CVE", "definition.cve"),
    "cvss2": ("CVSS v2.0 Base Score", "CVSS V2 Base Score", "CVSS Base Score", "CVSS",
              "definition.cvss2.base_score"),
    "cvss2_vector": ("CVSS V2 Vector", "CVSS Vector", "definition.cvss2.base_vector"),
    "cvss3": ("CVSS v3.0 Base Score", "CVSS V3 Base Score", "CVSS3 Base Score",
              "definition.cvss3.base_score"),
    "cvss3_vector": ("CVSS V3 Vector", "CVSS3 Vector", "definition.cvss3.base_vector"),
    "cvss4": ("CVSS v4.0 Base Score",),
    "vpr": ("VPR Score", "Vulnerability Priority Rating", "Vulnerability Priority Rating (VPR)",
            "definition.vpr.score"),
    "epss": ("EPSS Score", "definition.epss.score"),
    "stig": ("STIG Severity", "definition.stig_severity"),
    "synopsis": ("Synopsis", "definition.synopsis"),
    "description": ("Description", "definition.description"),
    "solution": ("Solution", "Steps to Remediate", "definition.solution"),
    "see_also": ("See Also", "definition.see_also"),
    "output": ("Plugin Output", "Plugin Text", "output"),
    "xref": ("XREF", "Cross References", "definition.references"),
    "bid": ("BID", "definition.bugtraq"),
    "mskb": ("MSKB",),
    "cwe": ("definition.cwe",),
    "iava": ("definition.iava",),
    "cpe": ("CPE", "definition.cpe"),
    "first_seen": ("First Found", "First Discovered", "first_observed"),
    "last_seen": ("Last Found", "Last Observed", "last_seen"),
    "host_end": ("Host End",),
    "state": ("Vulnerability State", "state"),
    "plugin_published": ("Plugin Publication Date", "definition.plugin_published"),
    "plugin_modified": ("Plugin Modification Date", "definition.plugin_updated"),
    "vuln_published": ("Vuln Publication Date", "definition.vulnerability_published"),
    "patch_published": ("Patch Publication Date", "definition.patch_published"),
    "ref": ("id", "Host Scan ID"),
}

WORDS = {"none": Severity.INFO, "info": Severity.INFO, "informational": Severity.INFO,
         "low": Severity.LOW, "medium": Severity.MODERATE, "moderate": Severity.MODERATE,
         "high": Severity.HIGH, "critical": Severity.CRITICAL}
NUMBERS = {"0": Severity.INFO, "1": Severity.LOW, "2": Severity.MODERATE, "3": Severity.HIGH,
           "4": Severity.CRITICAL}

# Vulnerability State (Tenable.io) / state (workbench): FIXED proves the weakness is gone.
STATES = {"active": ResultStatus.OPEN, "new": ResultStatus.OPEN,
          "resurfaced": ResultStatus.OPEN, "reopened": ResultStatus.OPEN,
          "fixed": ResultStatus.PASSED}

# Date spellings per layout, each one explicit (FORMATS.md section 2 and the samples):
#   sc: 'Feb 9, 2024 10:48:42 UTC' / 'Jan 5, 2021 10:24:08 MST';
#   io, workbench: ISO 8601 '2023-06-08T01:58:56.166Z';
#   pro: plugin dates '2000/01/04' (26 columns) and '23/11/2009' (10.x, 30 columns:
#   the sample writes 23/11/2009 and 12/02/2025, so day first; a month above 12 fails).
SC_ZONED = ("%b %d, %Y %H:%M:%S",)
PRO_DATES = ("%Y/%m/%d", "%d/%m/%Y")
ISO_ONLY: tuple[str, ...] = ()
BRACKETED = re.compile(r"([A-Za-z][\w-]*)=\[([^\]]*)\]")
DATE_FIELDS = ("plugin_published", "plugin_modified", "vuln_published", "patch_published")


class NessusCsvImporter:
    key = "nessus-csv"
    label = "Tenable Nessus / Tenable.io / Tenable.sc CSV export"
    options = frozenset({WARN})

    def sniff(self, head: bytes, filename: str) -> bool:
        return _layout(header_cells(head, ";")) == "workbench" or \
            _layout(header_cells(head, ",")) in ("pro", "io", "sc")

    def parse(self, stream: BinaryIO, *, source: str,
              warn: Warn | None = None) -> Iterator[Record]:
        """Records of the file; rows with more or fewer cells than the header are
        reported to ``warn`` (file and line) and read by position."""
        return _Reader(source, RowWarnings(source, warn)).read(stream)


def _layout(header: list[str]) -> str:
    names = {cell.strip().lower() for cell in header}
    if {"definition.id", "asset.id"} <= names:
        return "workbench"
    if {"plugin", "plugin name", "ip address"} <= names:
        return "sc"
    if {"plugin id", "host", "risk"} <= names:
        return "io" if {"vulnerability state", "first found"} & names else "pro"
    return ""


# Fields without which a row cannot be a finding: its plugin and one name of its host.
HOST_FIELDS = ("agent_id", "asset_id", "host_id", "fqdn", "netbios", "host", "ip")


class _Reader:
    def __init__(self, source: str, warnings: RowWarnings):
        self.source = source
        self.warnings = warnings
        self.layout = ""
        self.index: dict[str, int] = {}
        self.header: list[str] = []
        self.targets: set[str] = set()
        self.scan_time: datetime | None = None

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        head, stream = peek(stream)
        delimiter = ";" if _layout(header_cells(head, ";")) == "workbench" else ","
        records = csv_records(stream, source=self.source, delimiter=delimiter)
        buffer = MergeBuffer()
        for line, cells in records:
            if not self.layout:
                self._read_header(cells, line)
                continue
            row = Row(cells, self.index, line)
            if len(cells) != len(self.header) and not self._uneven(row):
                continue
            finding = self._finding(row)
            if finding.asset.key not in self.targets:
                self.targets.add(finding.asset.key)
                yield Target(SCOPE, finding.asset)
            yield from buffer.add(finding)
        if not self.layout:
            raise FormatError("empty file: no header row", source=self.source, line=1)
        self.warnings.finish()
        yield from buffer.flush()
        yield ScanInfo(scanner=_SCANNERS[self.layout], scan_time=self.scan_time)

    def _read_header(self, cells: list[str], line: int) -> None:
        self.layout = _layout(cells)
        if not self.layout:
            raise FormatError("the header row is not a Nessus / Tenable CSV header "
                              "(expected 'Plugin ID' and 'Host', 'Plugin' and 'IP Address', "
                              "or 'definition.id' and 'asset.id')", source=self.source, line=line)
        self.index = header_index(cells, COLUMNS)
        if self.layout == "workbench" and "description" not in self.index and "" in cells:
            # The workbench export writes the description under an empty header name.
            self.index["description"] = cells.index("")
        self.header = cells
        if self.layout != "io":  # only Tenable.io has a numeric 'Severity' beside 'Risk'
            self.index.pop("severity_number", None)

    def _uneven(self, row: Row) -> bool:
        """Warn about a row whose cell count differs from the header's; False to skip it."""
        counts = f"the row has {len(row.cells)} cells but the header has {len(self.header)}"
        if row.get("plugin") and any(row.get(name) for name in HOST_FIELDS):
            self.warnings(row.line, f"{counts}; read by position, check its values")
            return True
        self.warnings(row.line, f"{counts} and no plugin id or host; the row was skipped")
        return False

    # --- one row -----------------------------------------------------------

    def _finding(self, row: Row) -> Finding:
        plugin = row.get("plugin")
        if not plugin.isdigit():
            raise FormatError(f"plugin id {plugin!r} is not a number", source=self.source,
                              line=row.line, field=self._name("plugin"))
        severity, raw = self._severity(row)
        port = row.get("port")
        last_seen = self._date(row, "last_seen") or self._date(row, "host_end")
        first_seen = self._date(row, "first_seen")
        if last_seen and (self.scan_time is None or _earlier(self.scan_time, last_seen)):
            self.scan_time = last_seen  # the newest observation is when the data was taken
        finding = Finding(
            scope=SCOPE, weakness_id=plugin, asset=self._asset(row),
            title=row.get("name") or plugin, status=self._status(row),
            severity=severity, raw_severity=raw,
            port="" if port in ("", "0") else port, protocol=row.get("protocol").lower(),
            description=cap(_description(row)), solution=cap(_solution(row)),
            evidence=cap(_output(row.raw("output"))),
            cves=unique(find_cves(row.get("cve"))),
            scanner=_SCANNERS[self.layout], first_seen=first_seen, last_seen=last_seen,
            source_ref=row.get("ref"), extra=self._extra(row),
        )
        _references(finding, row)
        return finding

    def _severity(self, row: Row) -> tuple[Severity, str]:
        word = row.get("risk")
        if word.lower() in WORDS:
            return WORDS[word.lower()], word
        number = row.get("severity_number")
        if number in NUMBERS:
            return NUMBERS[number], number
        raise FormatError(f"severity {word or number!r} is not None/Low/Medium/High/Critical",
                          source=self.source, line=row.line, field=self._name("risk"))

    def _status(self, row: Row) -> ResultStatus:
        state = row.get("state").lower()
        if not state:
            return ResultStatus.OPEN
        if state not in STATES:
            raise FormatError(f"unknown vulnerability state {row.get('state')!r}",
                              source=self.source, line=row.line,
                              field=self._name("state"))
        return STATES[state]

    def _asset(self, row: Row) -> Asset:
        host, ip = row.get("host"), row.get("ip")
        fqdn, netbios = row.get("fqdn"), row.get("netbios")
        # Agent UUID as in .nessus host-uuid first; then Tenable asset ids; then names; IP last.
        key = first(row.get("agent_id"), row.get("asset_id"), row.get("host_id"), fqdn, netbios,
                    host if self.layout == "pro" else "", ip, host)
        if not key:
            raise FormatError("row without a host", source=self.source, line=row.line,
                              field=self._name("host"))
        return Asset(key=key.lower(), name=host or fqdn or ip, ip=ip, fqdn=fqdn,
                     netbios=netbios, mac=row.get("mac").split(",")[0].split()[0]
                     if row.get("mac") else "", os=row.get("os").splitlines()[0]
                     if row.get("os") else "")

    def _name(self, field: str) -> str:
        """The header name of a canonical field, as the user sees it in the file."""
        position = self.index.get(field)
        return self.header[position].strip() if position is not None else field

    def _date(self, row: Row, field: str) -> datetime | None:
        text = row.get(field)
        if not text:
            return None
        patterns = PRO_DATES if self.layout == "pro" else ISO_ONLY
        return parse_date(text, patterns, source=self.source, line=row.line,
                          field=self._name(field),
                          zoned=SC_ZONED if self.layout == "sc" else ())

    def _extra(self, row: Row) -> dict:
        extra: dict = {"plugin_family": row.get("family"), "service": row.get("service"),
                       "risk_factor": row.get("risk_factor"), "stig_severity": row.get("stig"),
                       "cvss2_vector": row.get("cvss2_vector"),
                       "cvss3_vector": row.get("cvss3_vector")}
        for field in ("cvss2", "cvss3", "cvss4", "vpr"):
            value = score(row.get(field))
            if value is not None:
                extra[f"{field}_base_score" if field.startswith("cvss") else "vpr_score"] = value
        epss = to_float(row.get("epss"))
        if epss is not None and 0 <= epss <= 1:
            extra["epss_score"] = epss
        elif row.get("epss"):  # '3833' in a 10.x export that lost its decimal point
            extra["epss_raw"] = row.get("epss")
        for field in DATE_FIELDS:
            moment = self._date(row, field)
            if moment:
                extra[field.replace("_published", "_publication_date")
                      .replace("_modified", "_modification_date")] = iso_text(moment)[:10]
        if row.get("cpe"):
            extra["cpe"] = list(unique(row.get("cpe").replace(",", " ").split()))
        return {k: v for k, v in extra.items() if v not in ("", None)}


_SCANNERS = {"pro": "Nessus", "io": "Tenable Vulnerability Management",
             "sc": "Tenable Security Center", "workbench": "Tenable Vulnerability Management"}


def _description(row: Row) -> str:
    synopsis, description = clean(row.raw("synopsis")), clean(row.raw("description"))
    if synopsis and description and synopsis not in description:
        return f"{synopsis}\n\n{description}"
    return description or synopsis


def _solution(row: Row) -> str:
    solution = clean(row.raw("solution"))
    return "" if solution.lower() == "n/a" else solution


def _output(text: str) -> str:
    """Plugin output without the export's own decorations."""
    text = clean(text)
    if text.startswith("Plugin Output:"):  # Tenable.sc prefix
        text = text[len("Plugin Output:"):].strip()
    if text.startswith("'"):  # workbench formula guard
        text = text[1:].strip()
    return text


def _references(finding: Finding, row: Row) -> None:
    cwes = [cwe_id(v) for v in _split(row.get("cwe"))]
    refs: list[str] = []
    for kind, value in _xrefs(row.get("xref")):
        if kind == "CWE":
            cwes.append(cwe_id(value))
        elif kind != "CVE":  # CVEs come from their own column
            refs.append(f"{kind}:{value}")
    refs += [f"BID:{value}" for value in _split(row.get("bid"))]
    refs += [f"MSKB:{value}" for value in _split(row.get("mskb"))]
    refs += [f"IAVA:{value}" for value in _split(row.get("iava"))]
    refs += _split(row.get("see_also").replace(" ", "\n"))
    finding.cwes = unique(cwes)
    finding.references = unique(refs)


def _split(text: str) -> list[str]:
    """Cells list several values with ',', ';' or new lines depending on the export."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def _xrefs(text: str) -> list[tuple[str, str]]:
    """'CERT:836068;CWE:310' (Pro), 'CERT #836068,CWE #310' (sc),
    'CWE=[192, 330], RHSA=[2022:7002]' (workbench) -> [(KIND, value)]."""
    bracketed = BRACKETED.findall(text)
    if bracketed:
        return [(kind.upper(), value.strip()) for kind, values in bracketed
                for value in values.split(",") if value.strip()]
    pairs = []
    for part in _split(text):
        kind, _, value = part.replace(" #", ":").partition(":")
        if value.strip():
            pairs.append((kind.strip().upper(), value.strip()))
    return pairs


def _earlier(a: datetime, b: datetime) -> bool:
    try:
        return a < b
    except TypeError:
        return False

