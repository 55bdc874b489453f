"""Any scanner's CSV export, read through a column mapping (see README.md here).

One row is one finding: a weakness on an asset. A row with an asset but neither title nor
weakness id only records that the asset was covered by the scan. The scope is the
mapping's, else ``csv:<scanner column>``, else ``csv:generic``; the weakness id is the
mapped column, else the first CVE, else the title.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo,
                                      Severity, Target)
from openpoam.formats.base import FormatError
from openpoam.formats.generic_csv.mapping import (DEFAULT_ALIASES, DEFAULT_MAPPING, REQUIRED,
                                                  SEVERITY_WORDS, STATUS_WORDS, Mapping,
                                                  normalise)
from openpoam.formats.scan_common import cap
from openpoam.formats.streams import sniff_text, text_lines

_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_CWE = re.compile(r"(?i)(?:CWE[-_ ]?)?(\d+)")
_PORT = re.compile(r"^(?:(tcp|udp|icmp|sctp)\s*/\s*)?(\d{1,5})(?:\s*/\s*(tcp|udp|icmp|sctp))?$",
                   re.IGNORECASE)
_SCORE = re.compile(r"^\d{1,2}\.\d+$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?$")
_URL = re.compile(r"https?://[^\s,;\"'<>]+")

# Headers that mark a CSV another importer owns (Nessus/Tenable, Qualys, OpenVAS/GVM, and
# POA&M CSV files, which are plans rather than scan results): sniff() leaves those files
# alone; --format generic-csv still reads them.
FOREIGN_HEADERS = {normalise(h) for h in (
    "Plugin ID", "Plugin", "Plugin Name", "Plugin Output", "Plugin Text", "QID",
    "NVT OID", "NVT Name", "definition.id", "definition.name", "Q_SEVERITY",
    "POAM ID", "POA&M ID", "POA&M Item ID", "system_name", "Scheduled Completion Date",
)}

FIELD_LIMIT = 16 * 1024 * 1024  # tool outputs in a cell can be large; bounded, not unlimited


class GenericCsvImporter:
    key = "generic-csv"
    label = "Generic CSV (column mapping)"
    options = frozenset()

    def __init__(self, mapping: Mapping | None = None):
        self.mapping = mapping or DEFAULT_MAPPING

    def sniff(self, head: bytes, filename: str) -> bool:
        """Conservative: a .csv whose header maps asset, title and severity or weakness id,
        and carries none of the columns that mark a Nessus, Qualys or OpenVAS export."""
        if not filename.lower().endswith(".csv"):
            return False
        first = sniff_text(head).splitlines()[0] if head else ""
        headers = next(csv.reader([first], delimiter=self.mapping.delimiter))
        if {normalise(h) for h in headers} & FOREIGN_HEADERS:
            return False
        found, missing = self.mapping.resolve(headers)
        return (not missing and "asset" in found and "title" in found
                and ("severity" in found or "weakness_id" in found))

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        if csv.field_size_limit() < FIELD_LIMIT:  # process-wide: raise it, never lower it
            csv.field_size_limit(FIELD_LIMIT)
        reader = csv.reader(text_lines(stream, source=source), delimiter=self.mapping.delimiter)
        try:
            headers = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FormatError(f"unreadable CSV header: {exc}", source=source, line=1) from None
        if not headers or not any(h.strip() for h in headers):
            raise FormatError("the file is empty (no header row)", source=source, line=1)
        columns = self._columns(headers, source)
        rows = _Rows(self.mapping, columns, source)
        yield ScanInfo(scanner="CSV")
        last_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise FormatError(f"unreadable CSV row: {exc}", source=source,
                                  line=last_line + 1) from None
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(headers):
                raise FormatError(f"the row has {len(row)} fields but the header has "
                                  f"{len(headers)}", source=source, line=line)
            yield from rows.read(row, line)

    def _columns(self, headers: list[str], source: str) -> dict[str, int]:
        columns, missing = self.mapping.resolve(headers)
        absent = list(missing)
        for name in REQUIRED:
            if name == "title" and ("title" in columns or "weakness_id" in columns):
                continue
            if name not in columns and not any(m.startswith(f"{name} ") for m in missing):
                names = ", ".join(repr(a) for a in DEFAULT_ALIASES[name][:6])
                absent.append(f"{name} (a column such as {names})")
        if absent:
            raise FormatError("required columns missing: " + "; ".join(absent),
                              source=source, line=1)
        return columns


class _Rows:
    def __init__(self, mapping: Mapping, columns: dict[str, int], source: str):
        self.mapping = mapping
        self.columns = columns
        self.source = source
        self.covered: set[tuple[str, str]] = set()
        self.seen: set[tuple] = set()

    def cell(self, row: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def read(self, row: list[str], line: int) -> Iterator[Record]:
        value = self.cell(row, "asset")
        if not value:
            raise FormatError("the asset is empty", source=self.source, line=line,
                              field="asset")
        asset = self._asset(row, value)
        scanner = self.cell(row, "scanner")
        scope = self.mapping.scope or f"csv:{scanner.lower() or 'generic'}"
        if (scope, asset.key) not in self.covered:
            self.covered.add((scope, asset.key))
            yield Target(scope, asset)
        title = self.cell(row, "title")
        cves = tuple(dict.fromkeys(c.upper() for c in _CVE.findall(self.cell(row, "cve"))))
        weakness = self.cell(row, "weakness_id") or (cves[0] if cves else "") or title
        if not weakness:
            return  # a coverage-only row
        port, protocol = self._port(row, line)
        raw = self.cell(row, "severity")
        finding = Finding(
            scope=scope, weakness_id=weakness, asset=asset, title=title or weakness,
            status=self._status(row, line), severity=self._severity(raw, line),
            raw_severity=raw, port=port, protocol=protocol,
            description=cap(self.cell(row, "description")),
            solution=cap(self.cell(row, "solution")), evidence=cap(self.cell(row, "evidence")),
            cves=cves,
            cwes=tuple(dict.fromkeys(f"CWE-{int(n)}" for n in
                                     _CWE.findall(self.cell(row, "cwe")) if int(n) > 0)),
            references=tuple(dict.fromkeys(_URL.findall(self.cell(row, "references")))),
            scanner=scanner,
            first_seen=self._date(row, "first_seen", line),
            last_seen=self._date(row, "last_seen", line),
            extra={k: v for k, v in {"cvss": self.cell(row, "cvss"), "line": line}.items() if v},
        )
        if finding.identity not in self.seen:
            self.seen.add(finding.identity)
            yield finding

    def _asset(self, row: list[str], value: str) -> Asset:
        kind = "url" if "://" in value else "host"
        # Host names and IPs are case-insensitive; URLs and paths are not.
        key = value.lower() if kind == "host" and "/" not in value else value
        return Asset(key=key, name=value, kind=kind, ip=self.cell(row, "ip"),
                     fqdn=self.cell(row, "fqdn"), os=self.cell(row, "os"))

    def _port(self, row: list[str], line: int) -> tuple[str, str]:
        raw = self.cell(row, "port")
        protocol = self.cell(row, "protocol").lower()
        if not raw:
            return "", protocol
        match = _PORT.match(raw)
        if not match or int(match.group(2)) > 65535:
            raise FormatError(f"port {raw!r} is not a port number", source=self.source,
                              line=line, field="port")
        port = match.group(2).lstrip("0")  # "0" (Nessus: not port-specific) becomes ""
        protocol = protocol or (match.group(1) or match.group(3) or "").lower()
        return port, protocol

    def _severity(self, raw: str, line: int) -> Severity:
        word = raw.strip().lower()
        if not word:
            return Severity.INFO
        if word in self.mapping.severity_map:
            return Severity(self.mapping.severity_map[word])
        if word in SEVERITY_WORDS:
            return SEVERITY_WORDS[word]
        if _SCORE.match(word) and float(word) <= 10.0:
            # A decimal score reads as CVSS (v3 qualitative bands).
            score = float(word)
            return (Severity.CRITICAL if score >= 9 else Severity.HIGH if score >= 7
                    else Severity.MODERATE if score >= 4 else Severity.LOW if score > 0
                    else Severity.INFO)
        raise FormatError(f"severity {raw!r} is not understood (scales like 1-5 differ per "
                          "tool: give a severity_map in the mapping)", source=self.source,
                          line=line, field="severity")

    def _status(self, row: list[str], line: int) -> ResultStatus:
        word = self.cell(row, "status").lower()
        if not word:
            return ResultStatus.OPEN
        if word in self.mapping.status_map:
            return ResultStatus(self.mapping.status_map[word])
        if word in STATUS_WORDS:
            return STATUS_WORDS[word]
        raise FormatError(f"status {word!r} is not understood (give a status_map in the "
                          "mapping)", source=self.source, line=line, field="status")

    def _date(self, row: list[str], name: str, line: int) -> datetime | None:
        value = self.cell(row, name)
        if not value:
            return None
        if _ISO.match(value):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
        for fmt in self.mapping.date_formats:
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        raise FormatError(f"date {value!r} is not ISO 8601 (YYYY-MM-DD) nor one of the "
                          "mapping's date_formats; day/month order is never guessed",
                          source=self.source, line=line, field=name)
