"""Qualys XML reports: ASSET_DATA_REPORT and the web GUI SCAN report.

ASSET_DATA_REPORT (FORMATS.md section 4) keeps per-host results in
``HOST_LIST/HOST/VULN_INFO_LIST/VULN_INFO`` and the QID details in a
``GLOSSARY`` AFTER all hosts. To stay memory-flat the file is read twice:
first the glossary (one small record per distinct QID), then the hosts. A
stream that cannot seek is spooled to a temporary file first.

SCAN (scan-1.dtd) is self-contained per host: ``IP/VULNS|PRACTICES|INFOS|
SERVICES/CAT/VULN|PRACTICE|INFO|SERVICE``.
"""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from openpoam.domain.findings import Asset, Finding, Record, ResultStatus, ScanInfo, Target
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from openpoam.formats.scan_common import (MergeBuffer, cap, clean, find_cves, first,
                                            merge_into, parse_date, unique)
from openpoam.formats.qualys.common import (SCANNER, SCOPE, STATUSES, kind_label,
                                            not_applicable, port_and_host, score_and_vector,
                                            severity_for, site_evidence)

ROOTS = ("ASSET_DATA_REPORT", "SCAN")
MAX_RANGE = 65_536  # NO_RESULTS ranges larger than this are not expanded into targets


class QualysXmlImporter:
    key = "qualys-xml"
    label = "Qualys XML report (asset data report, scan report)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        root = xmlsafe.root_tag(head)
        # <SCAN> is a common word: also ask for the Qualys header keys.
        return root == "ASSET_DATA_REPORT" or (root == "SCAN" and b"<KEY value=" in head)

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        stream = _seekable(stream)
        head = stream.read(64 * 1024)
        stream.seek(0)
        root = xmlsafe.root_tag(head)
        if root == "ASSET_DATA_REPORT":
            return _AssetDataReport(source).read(stream)
        if root == "SCAN":
            return _ScanReport(source).read(stream)
        raise FormatError(f"not a Qualys XML report: root element is <{root or '?'}>, "
                          "expected <ASSET_DATA_REPORT> or <SCAN>", source=source)


def _seekable(stream: BinaryIO) -> BinaryIO:
    try:
        if stream.seekable():
            stream.seek(0, 1)
            return stream
    except (AttributeError, OSError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    shutil.copyfileobj(stream, spool, 1024 * 1024)
    spool.seek(0)
    return spool  # type: ignore[return-value]


@dataclass(slots=True)
class _Details:
    """One glossary entry (VULN_DETAILS), kept small."""

    title: str = ""
    level: str = ""
    category: str = ""
    description: str = ""
    solution: str = ""
    cves: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def _text(element: etree._Element, path: str) -> str:
    return clean(element.findtext(path))


def _details(element: etree._Element) -> _Details:
    """VULN_DETAILS (glossary) or a SCAN VULN element: the QID's own facts."""
    threat = first(_text(element, "THREAT"), _text(element, "DIAGNOSIS"))
    impact = not_applicable(first(_text(element, "IMPACT"), _text(element, "CONSEQUENCE")))
    description = f"{threat}\n\nImpact:\n{impact}" if impact else threat
    solution = not_applicable(_text(element, "SOLUTION"))
    cves = [c for text in element.xpath("CVE_ID_LIST/CVE_ID/ID/text()") for c in find_cves(text)]
    cves += find_cves(element.get("cveid"))
    refs = [f"BID:{b.strip()}" for b in element.xpath("BUGTRAQ_ID_LIST/BUGTRAQ_ID/ID/text()")]
    refs += [u.strip() for u in element.xpath("VENDOR_REFERENCE_LIST/VENDOR_REFERENCE/URL/text()")]
    extra: dict = {"category": element.getparent().get("value", "")
                   if element.getparent() is not None and element.getparent().tag == "CAT"
                   else _text(element, "CATEGORY"),
                   "pci_flag": _text(element, "PCI_FLAG")}
    for path, name in (("CVSS_SCORE/CVSS_BASE", "cvss2"), ("CVSS_BASE", "cvss2"),
                       ("CVSS3_SCORE/CVSS3_BASE", "cvss3"), ("CVSS3_BASE", "cvss3")):
        value, vector = score_and_vector(element.findtext(path))
        if value is not None:
            extra.setdefault(f"{name}_base_score", value)
        if vector:
            extra.setdefault(f"{name}_vector", vector)
    return _Details(
        title=_text(element, "TITLE"), level=first(_text(element, "SEVERITY"),
                                                    element.get("severity", "")),
        category=extra["category"], description=cap(not_applicable(description)),
        solution=cap(solution),
        cves=unique(cves), references=unique(refs),
        extra={k: v for k, v in extra.items() if v not in ("", None)})


class _AssetDataReport:
    def __init__(self, source: str):
        self.source = source
        self.glossary: dict[str, _Details] = {}

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        info = self._read_glossary(stream)
        stream.seek(0)
        yield info
        buffer = MergeBuffer()
        for _, element in xmlsafe.iterparse(stream, source=self.source,
                                            tag=("HOST", "NO_RESULTS", "VULN_DETAILS")):
            if element.tag == "HOST":
                yield from self._host(element, buffer)
            elif element.tag == "NO_RESULTS":
                yield from _no_result_targets(element)
            xmlsafe.clear(element)
        yield from buffer.flush()

    def _read_glossary(self, stream: BinaryIO) -> ScanInfo:
        info = ScanInfo(scanner=SCANNER)
        for _, element in xmlsafe.iterparse(stream, source=self.source,
                                            tag=("HEADER", "VULN_DETAILS", "HOST")):
            if element.tag == "HEADER":
                when = parse_date(element.findtext("GENERATION_DATETIME"), (),
                                  source=self.source, line=element.sourceline,
                                  field="GENERATION_DATETIME")
                info = ScanInfo(scanner=SCANNER, scan_time=when,
                                name=_text(element, "TEMPLATE"))
            elif element.tag == "VULN_DETAILS":
                qid = _text(element, "QID")
                self.glossary[qid] = _details(element)
            xmlsafe.clear(element)
        return info

    def _host(self, host: etree._Element, buffer: MergeBuffer) -> Iterator[Record]:
        asset = _asset(host, self.source)
        yield Target(SCOPE, asset)
        for info in host.iterfind("VULN_INFO_LIST/VULN_INFO"):
            yield from buffer.add(self._finding(asset, info))

    def _finding(self, asset: Asset, info: etree._Element) -> Finding:
        line = info.sourceline
        qid = _text(info, "QID")
        if not qid.isdigit():
            raise FormatError(f"QID {qid!r} is not a number", source=self.source, line=line,
                              field="QID")
        details = self.glossary.get(qid)
        if details is None:  # its title and severity live only in the glossary
            raise FormatError(f"QID {qid} has no VULN_DETAILS entry in the GLOSSARY; export "
                              "the report with its glossary", source=self.source, line=line,
                              field="QID")
        kind = _text(info, "TYPE")
        status_word = _text(info, "VULN_STATUS")
        if status_word and status_word.lower() not in STATUSES:
            raise FormatError(f"unknown VULN_STATUS {status_word!r}", source=self.source,
                              line=line, field="VULN_STATUS")
        port, vhost = port_and_host(_text(info, "PORT"), _text(info, "FQDN"))
        extra = dict(details.extra, type=kind_label(kind), service=_text(info, "SERVICE"),
                     times_found=_text(info, "TIMES_FOUND"), vuln_status=status_word)
        for name in ("CVSS_FINAL", "CVSS3_FINAL"):
            value, _ = score_and_vector(info.findtext(name))
            if value is not None:
                extra[name.lower()] = value
        return Finding(
            scope=SCOPE, weakness_id=qid, asset=asset, title=details.title or f"QID {qid}",
            status=STATUSES.get(status_word.lower(), ResultStatus.OPEN),
            severity=severity_for(details.level, kind), raw_severity=details.level,
            port=port, protocol=_text(info, "PROTOCOL").lower(),
            description=details.description, solution=details.solution,
            evidence=site_evidence(_text(info, "RESULT"), vhost), cves=details.cves,
            references=details.references, scanner=SCANNER,
            first_seen=self._date(info, "FIRST_FOUND"), last_seen=self._date(info, "LAST_FOUND"),
            extra={k: v for k, v in extra.items() if v not in ("", None)},
        )

    def _date(self, element: etree._Element, name: str):
        return parse_date(element.findtext(name), (), source=self.source,
                          line=element.sourceline, field=name)


def _asset(host: etree._Element, source: str) -> Asset:
    ip, dns, netbios = _text(host, "IP"), _text(host, "DNS"), _text(host, "NETBIOS")
    # Qualys host/agent ids when the report has them, else names, else the IP.
    key = first(_text(host, "ASSET_ID"), _text(host, "QG_HOSTID"), _text(host, "HOST_ID"),
                dns, netbios, ip)
    if not key:
        raise FormatError("HOST without IP or name", source=source, line=host.sourceline,
                          field="IP")
    return Asset(key=key.lower(), name=dns or netbios or ip, ip=ip, fqdn=dns, netbios=netbios,
                 os=_text(host, "OPERATING_SYSTEM"))


def _no_result_targets(element: etree._Element) -> Iterator[Target]:
    """APPENDICES/NO_RESULTS: addresses scanned that returned nothing: still covered."""
    for rng in element.iterfind(".//RANGE"):
        try:
            start = ipaddress.ip_address((rng.findtext("START") or "").strip())
            end = ipaddress.ip_address((rng.findtext("END") or "").strip())
        except ValueError:
            continue
        if int(end) < int(start) or int(end) - int(start) >= MAX_RANGE:
            continue
        for number in range(int(start), int(end) + 1):
            ip = str(ipaddress.ip_address(number))
            yield Target(SCOPE, Asset(key=ip, name=ip, ip=ip))
    for single in element.iterfind(".//IP"):
        ip = (single.text or "").strip()
        if ip:
            yield Target(SCOPE, Asset(key=ip.lower(), name=ip, ip=ip))


class _ScanReport:
    """SCAN XML from the Qualys web GUI: one IP element per host, details inline."""

    SECTIONS = {"VULNS": "vuln", "PRACTICES": "practice", "INFOS": "ig", "SERVICES": "ig"}

    def __init__(self, source: str):
        self.source = source

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        info = ScanInfo(scanner=SCANNER)
        for _, element in xmlsafe.iterparse(stream, source=self.source, tag=("HEADER", "IP")):
            if element.tag == "HEADER":
                keys = {k.get("value", ""): clean(k.text) for k in element.iterfind("KEY")}
                info = ScanInfo(scanner=SCANNER, name=keys.get("TITLE", ""),
                                scan_time=parse_date(keys.get("DATE"), (), source=self.source,
                                                     line=element.sourceline, field="DATE"))
            elif element.getparent() is not None and element.getparent().tag == "SCAN":
                yield from self._host(element, info)
            xmlsafe.clear(element)
        yield info

    def _host(self, host: etree._Element, info: ScanInfo) -> Iterator[Record]:
        ip, name = host.get("value", "").strip(), host.get("name", "").strip()
        if not ip and not name:
            raise FormatError("IP element without value", source=self.source,
                              line=host.sourceline, field="IP/@value")
        asset = Asset(key=(name if name and name != "No registered hostname" else ip).lower(),
                      name=name or ip, ip=ip, fqdn=name if "." in name else "",
                      os=_text(host, "OS"))
        yield Target(SCOPE, asset)
        pending: dict[tuple, Finding] = {}
        for section, kind in self.SECTIONS.items():
            for cat in host.iterfind(f"{section}/CAT"):
                for item in cat:
                    if isinstance(item.tag, str):
                        finding = self._finding(asset, cat, item, kind, info)
                        kept = pending.setdefault(finding.identity, finding)
                        if kept is not finding:  # reported again: keep its result too
                            merge_into(kept, finding)
        yield from pending.values()

    def _finding(self, asset: Asset, cat: etree._Element, item: etree._Element, kind: str,
                 info: ScanInfo) -> Finding:
        qid = item.get("number", "").strip()
        if not qid.isdigit():
            raise FormatError(f"QID {qid!r} is not a number", source=self.source,
                              line=item.sourceline, field=f"{item.tag}/@number")
        details = _details(item)
        level = item.get("severity", "").strip()
        port, vhost = port_and_host(cat.get("port", ""), cat.get("fqdn", ""))
        return Finding(
            scope=SCOPE, weakness_id=qid, asset=asset, title=details.title or f"QID {qid}",
            severity=severity_for(level, kind), raw_severity=level,
            port=port, protocol=cat.get("protocol", "").strip().lower(),
            description=details.description, solution=details.solution,
            evidence=site_evidence(_text(item, "RESULT"), vhost), cves=details.cves,
            references=details.references, scanner=SCANNER, last_seen=info.scan_time,
            extra=dict(details.extra, type=kind_label(kind)),
        )
