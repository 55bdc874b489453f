"""OpenVAS / Greenbone (GVM) reports: XML (GMP get_reports body) and CSV.

XML layout (FORMATS.md section 3): root ``report`` (or a
``get_reports_response`` wrapper) whose child ``report`` holds
``results/result*`` and, after them, one ``host`` summary per scanned host.
Identity: host (host name, else IP) + NVT OID + port.
The level comes from the numeric ``severity`` (0.0-10.0): the threat words
are not a closed set (High/Medium/Low/Log, sometimes empty).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from openpoam.domain.findings import Asset, Finding, Record, ResultStatus, ScanInfo, Target
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from openpoam.formats.scan_common import (MergeBuffer, Row, cap, clean, csv_records,
                                            find_cves, first, header_cells, header_index,
                                            parse_date, score, severity_from_score, to_float,
                                            unique)

SCOPE = "openvas"
SCANNER = "OpenVAS"
ROOTS = ("report", "get_reports_response")
WATCHED = ("report", "get_reports_response", "result", "host", "scan_start")

NEGATIVE_LEVELS = {"-1": ResultStatus.NOT_APPLICABLE, "-1.0": ResultStatus.NOT_APPLICABLE,
                   "-2": ResultStatus.NOT_REVIEWED, "-2.0": ResultStatus.NOT_REVIEWED,
                   "-3": ResultStatus.ERROR, "-3.0": ResultStatus.ERROR}

# Sections of nvt/tags shown as the description, in this order.
DESCRIPTION_PARTS = (("summary", ""), ("insight", "Insight"), ("affected", "Affected"),
                     ("impact", "Impact"), ("vuldetect", "Detection"))


class OpenvasXmlImporter:
    key = "openvas-xml"
    label = "OpenVAS / Greenbone report (XML)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        if xmlsafe.root_tag(head) not in ROOTS:
            return False
        # The GMP report body: a nested <report> with <results> or NVT results.
        return b"<results" in head or b"<nvt oid" in head or b"format_id=" in head

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        return _XmlReader(source).read(stream)


class _XmlReader:
    def __init__(self, source: str):
        self.source = source
        self.name = ""
        self.scan_start: datetime | None = None
        self.seen: dict[str, Asset] = {}  # IP or key -> asset already yielded as Target
        self.root_seen = False

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        self.buffer = MergeBuffer()
        events = xmlsafe.iterparse(stream, source=self.source, events=("start", "end"),
                                   tag=WATCHED)
        for event, element in events:
            if event == "start":
                self._on_start(element)
            else:
                yield from self._on_end(element)
        if not self.root_seen:
            raise FormatError("not an OpenVAS report: no <report> element", source=self.source)
        yield from self.buffer.flush()
        yield ScanInfo(scanner=SCANNER, scan_time=self.scan_start, name=self.name)

    def _on_start(self, element: etree._Element) -> None:
        if not self.root_seen:
            self._check_root(element)
        elif element.tag == "report" and not self.name:  # the inner report: name is read
            parent = element.getparent()
            self.name = (parent.findtext("name") or "") if parent is not None else ""

    def _on_end(self, element: etree._Element) -> Iterator[Record]:
        parent = element.getparent()
        where = (element.tag, parent.tag if parent is not None else "")
        if where == ("result", "results"):
            finding = self._finding(element)
            yield from self._target(finding.asset)
            yield from self.buffer.add(finding)
            xmlsafe.clear(element)
        elif where == ("host", "report"):
            yield from self._host_summary(element)
            xmlsafe.clear(element)
        elif where == ("scan_start", "report"):
            self.scan_start = parse_date(element.text, (), source=self.source,
                                         line=element.sourceline, field="scan_start")

    def _check_root(self, element: etree._Element) -> None:
        self.root_seen = True
        if element.tag not in ROOTS:
            raise FormatError(f"not an OpenVAS report: root element is <{element.tag}>",
                              source=self.source, line=element.sourceline)

    def _target(self, asset: Asset) -> Iterator[Target]:
        if asset.key not in self.seen:
            self.seen[asset.key] = asset
            if asset.ip:
                self.seen.setdefault(asset.ip, asset)
            yield Target(SCOPE, asset)

    def _host_summary(self, host: etree._Element) -> Iterator[Target]:
        """report/report/host: every scanned host, including those without results."""
        ip = (host.findtext("ip") or "").strip()
        if not ip or ip in self.seen:
            return
        hostname = ""
        for detail in host.findall("detail"):
            if detail.findtext("name") == "hostname":
                hostname = (detail.findtext("value") or "").strip()
        yield from self._target(_asset(ip, hostname))

    def _finding(self, result: etree._Element) -> Finding:
        line = result.sourceline
        nvt = result.find("nvt")
        oid = nvt.get("oid", "").strip() if nvt is not None else ""
        if not oid:
            raise FormatError("result without an NVT OID", source=self.source, line=line,
                              field="nvt/@oid")
        host = result.find("host")
        if host is None or not (host.text or "").strip():
            raise FormatError("result without a host", source=self.source, line=line,
                              field="host")
        asset_el = host.find("asset")
        asset_id = asset_el.get("asset_id", "") if asset_el is not None else ""
        asset = _asset(host.text.strip(), (host.findtext("hostname") or "").strip())
        severity_text = (result.findtext("severity") or "").strip()
        level, status = read_level(severity_text, source=self.source, line=line,
                                   field="severity")
        port, protocol = split_port(result.findtext("port") or "")
        tags = parse_tags(nvt.findtext("tags") or "")
        threat = (result.findtext("threat") or "").strip()
        finding = Finding(
            scope=SCOPE, weakness_id=oid, asset=asset,
            title=" ".join(first(nvt.findtext("name"), result.findtext("name"), oid).split()),
            status=status, severity=severity_from_score(level),
            raw_severity=threat or severity_text,
            port=port, protocol=protocol,
            description=cap(describe(tags)),
            solution=cap(clean(nvt.findtext("solution")) or tags.get("solution", "")),
            evidence=cap(clean(result.findtext("description"))),
            scanner=SCANNER, last_seen=self.scan_start, source_ref=result.get("id", ""),
            extra=_extra(result, nvt, tags, level),
        )
        if asset_id:
            finding.extra["gvm_asset_id"] = asset_id
        _add_refs(finding, nvt)
        return finding


def _extra(result: etree._Element, nvt: etree._Element, tags: dict[str, str],
           level: float | None) -> dict:
    extra: dict = {
        "severity_score": level,
        "threat": (result.findtext("threat") or "").strip(),
        "original_severity": to_float(result.findtext("original_severity")),
        "qod": to_float(result.findtext("qod/value")),
        "family": (nvt.findtext("family") or "").strip(),
        "cvss_base_score": score(nvt.findtext("cvss_base")),
        "cvss_vector": tags.get("cvss_base_vector", ""),
        "solution_type": (nvt.find("solution").get("type", "") if nvt.find("solution")
                          is not None else tags.get("solution_type", "")),
        "port_raw": (result.findtext("port") or "").strip(),
    }
    for item in nvt.findall("severities/severity"):
        kind = item.get("type", "")
        if kind.startswith("cvss_base_v"):
            extra[f"{kind}_vector"] = (item.findtext("value") or "").strip()
            extra[f"{kind}_score"] = score(item.findtext("score"))
    epss = nvt.find("epss/max_severity")
    if epss is not None:
        extra["epss_score"] = to_float(epss.findtext("score"))
        extra["epss_percentile"] = to_float(epss.findtext("percentile"))
    return {k: v for k, v in extra.items() if v not in ("", None)}


def _add_refs(finding: Finding, nvt: etree._Element) -> None:
    cves: list[str] = find_cves(nvt.findtext("cve"))  # older GMP: one text node
    refs: list[str] = []
    for ref in nvt.findall("refs/ref"):
        kind, value = ref.get("type", "").lower(), ref.get("id", "").strip()
        if kind == "cve":
            cves.extend(find_cves(value))
        elif kind == "url":
            refs.append(value)
        elif value:
            refs.append(f"{kind.upper()}:{value}")
    for text in (nvt.findtext("xref") or "").split(","):  # older GMP: 'URL:..., CERT-BUND:...'
        text = text.strip()
        if text and text.upper() != "NOXREF":
            refs.append(text[4:] if text.upper().startswith("URL:") else text)
    finding.cves = unique(cves)
    finding.references = unique(refs)


def _asset(ip: str, hostname: str) -> Asset:
    """Key: host name, else IP (kept even when it is not a valid address).

    The GVM asset UUID (``host/asset/@asset_id``) is not used as the key: the CSV
    export and older GMP reports do not carry it, so keying on it would split one
    host into two assets between an XML and a CSV (or an old and a new) report.
    It is kept in ``extra["gvm_asset_id"]``.
    """
    key = first(hostname, ip)
    return Asset(key=key.lower(), name=hostname or ip, ip=ip,
                 fqdn=hostname if "." in hostname and not _is_ip(hostname) else "")


def _is_ip(text: str) -> bool:
    """Anonymised reports hold invalid addresses (192.168.1.1001): kept, just not trusted."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def read_level(text: str, *, source: str, line: int | None,
               field: str) -> tuple[float | None, ResultStatus]:
    """Score 0.0-10.0, or one of gvmd's negative markers (SEVERITY_FP -1.0 false
    positive, SEVERITY_DEBUG -2.0, SEVERITY_ERROR -3.0): those are not weaknesses."""
    text = text.strip()
    if text in NEGATIVE_LEVELS:
        return None, NEGATIVE_LEVELS[text]
    level = score(text)
    if level is None and text:
        raise FormatError(f"severity {text!r} is not a number from 0.0 to 10.0",
                          source=source, line=line, field=field)
    return level, ResultStatus.OPEN


def split_port(text: str) -> tuple[str, str]:
    """'512/tcp' -> ('512', 'tcp'); 'general/tcp' -> ('', 'tcp'); 'package' -> ('', '')."""
    number, _, protocol = text.strip().partition("/")
    return (number if number.isdigit() and number != "0" else "", protocol.strip().lower())


def parse_tags(text: str) -> dict[str, str]:
    """'summary=...|insight=...|solution_type=VendorFix' -> dict. Values may hold new lines."""
    found: dict[str, str] = {}
    for part in re.split(r"\|(?=[a-z_]+=)", text):
        key, sep, value = part.partition("=")
        if sep and re.fullmatch(r"[a-z_]+", key.strip()):
            found[key.strip()] = clean(value)
    return found


def describe(tags: dict[str, str]) -> str:
    parts = []
    for key, heading in DESCRIPTION_PARTS:
        value = tags.get(key, "")
        if value:
            parts.append(f"{heading}:\n{value}" if heading else value)
    return "\n\n".join(parts)


# --- CSV -------------------------------------------------------------------

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "ip": ("IP",), "hostname": ("Hostname",), "port": ("Port",), "protocol": ("Port Protocol",),
    "cvss": ("CVSS",), "severity": ("Severity",), "qod": ("QoD",),
    "solution_type": ("Solution Type",), "name": ("NVT Name",), "summary": ("Summary",),
    "result": ("Specific Result",), "oid": ("NVT OID",), "cves": ("CVEs",),
    "task": ("Task Name",), "timestamp": ("Timestamp",), "result_id": ("Result ID",),
    "impact": ("Impact",), "solution": ("Solution",), "affected": ("Affected Software/OS",),
    "insight": ("Vulnerability Insight",), "vuldetect": ("Vulnerability Detection Method",),
    "bids": ("BIDs",), "certs": ("CERTs",), "other_refs": ("Other References",),
    "epss": ("Max Severity EPSS score",), "epss_percentile": ("Max Severity EPSS percentile",),
}


class OpenvasCsvImporter:
    key = "openvas-csv"
    label = "OpenVAS / Greenbone report (CSV)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        names = {cell.strip() for cell in header_cells(head)}
        return {"IP", "NVT OID", "NVT Name"} <= names

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        index: dict[str, int] = {}
        seen: set[str] = set()
        buffer = MergeBuffer()
        newest: datetime | None = None
        for line, cells in csv_records(stream, source=source):
            if not index:
                index = _csv_header(cells, source, line)
                continue
            row = Row(cells, index, line)
            finding = _csv_finding(row, source)
            if finding.last_seen and (newest is None or finding.last_seen > newest):
                newest = finding.last_seen
            if finding.asset.key not in seen:
                seen.add(finding.asset.key)
                yield Target(SCOPE, finding.asset)
            yield from buffer.add(finding)
        if not index:
            raise FormatError("empty file: no header row", source=source, line=1)
        yield from buffer.flush()
        yield ScanInfo(scanner=SCANNER, scan_time=newest)


def _csv_header(cells: list[str], source: str, line: int) -> dict[str, int]:
    index = header_index(cells, CSV_COLUMNS)
    if not {"ip", "oid"} <= index.keys():
        raise FormatError("the header row is not an OpenVAS CSV header (expected 'IP' and "
                          "'NVT OID')", source=source, line=line)
    return index


def _csv_finding(row: Row, source: str) -> Finding:
    oid, ip = row.get("oid"), row.get("ip")
    if not oid:
        raise FormatError("row without an NVT OID", source=source, line=row.line, field="NVT OID")
    if not ip:
        raise FormatError("row without an IP", source=source, line=row.line, field="IP")
    level, status = read_level(row.get("cvss"), source=source, line=row.line, field="CVSS")
    port = row.get("port")
    tags = {key: clean(row.raw(key)) for key in ("summary", "insight", "affected", "impact",
                                                 "vuldetect")}
    finding = Finding(
        scope=SCOPE, weakness_id=oid, asset=_asset(ip, row.get("hostname")),
        title=row.get("name") or oid, status=status, severity=severity_from_score(level),
        raw_severity=row.get("severity") or row.get("cvss"),
        port=port if port.isdigit() and port != "0" else "",
        protocol=row.get("protocol").lower(),
        description=cap(describe(tags)), solution=cap(clean(row.raw("solution"))),
        evidence=cap(clean(row.raw("result"))),
        cves=unique(find_cves(row.get("cves"))), scanner=SCANNER,
        last_seen=parse_date(row.get("timestamp"), (), source=source, line=row.line,
                             field="Timestamp"),
        source_ref=row.get("result_id"),
        extra={k: v for k, v in {
            "severity_score": level, "threat": row.get("severity"),
            "qod": to_float(row.get("qod")), "solution_type": row.get("solution_type"),
            "epss_score": to_float(row.get("epss")),
            "epss_percentile": to_float(row.get("epss_percentile")),
            "task": row.get("task")}.items() if v not in ("", None)},
    )
    refs = [f"BID:{b.strip()}" for b in row.get("bids").split(",") if b.strip()]
    refs += [c.strip() for c in row.get("certs").split(",") if c.strip()]
    refs += [r.strip() for r in row.get("other_refs").split(",") if r.strip()]
    finding.references = unique(refs)
    return finding
