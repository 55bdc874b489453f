"""DISA STIG Viewer 2 checklist (.ckl, XML) -> ScanInfo, Targets and Findings.

Layout (samples/FORMATS.md section 10)::

    <!-- tool comment -->            Evaluate-STIG or STIG Manager, optional
    <CHECKLIST>
      <ASSET> HOST_NAME, HOST_IP, HOST_FQDN, HOST_MAC, WEB_OR_DATABASE ... </ASSET>
      <STIGS>
        <iSTIG>                        one per STIG; a checklist may hold several
          <!-- Evaluate-STIG time -->
          <STIG_INFO> SI_DATA(SID_NAME, SID_DATA): stigid, title, version, releaseinfo
          <VULN> STIG_DATA(VULN_ATTRIBUTE, ATTRIBUTE_DATA)*, STATUS, FINDING_DETAILS,
                 COMMENTS, SEVERITY_OVERRIDE, SEVERITY_JUSTIFICATION </VULN>*

The file is streamed: each VULN is turned into a Finding and freed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from openpoam.domain.findings import Asset, Finding, Record, ScanInfo, Target
from openpoam.formats import stig_common as stig
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError

STIG_VIEWER = "DISA STIG Viewer"
_EVALUATE_STIG_VERSION = re.compile(r"<Evaluate-STIG>\s*<version>([^<]*)</version>")
_EVALUATE_STIG_TIME = re.compile(r"<Evaluate-STIG>\s*<time>([^<]*)</time>")
_STIG_MANAGER = re.compile(r"^\s*STIG Manager\s+(\S+)\s*$")


@dataclass
class _Tool:
    name: str = STIG_VIEWER
    version: str = ""


@dataclass
class _Stig:
    stig_id: str
    title: str
    version: str
    release: str
    time: datetime | None

    @property
    def scope(self) -> str:
        return stig.scope(self.stig_id)


@dataclass
class _State:
    source: str
    tool: _Tool = field(default_factory=_Tool)
    asset: Asset | None = None
    stig: _Stig | None = None
    stig_time: datetime | None = None  # from the Evaluate-STIG comment of this iSTIG
    told_scan: bool = False


def parse_ckl(stream: BinaryIO, *, source: str) -> Iterator[Record]:
    state = _State(source)
    saw_root = False
    for event, element in xmlsafe.iterparse(stream, source=source,
                                            events=("start", "end", "comment")):
        if event == "start":
            if not saw_root:
                saw_root = True
                _check_root(element, source)
            continue
        if event == "comment":
            _read_comment(element, state)
            continue
        yield from _on_end(element, state)
    if state.stig is None:
        raise FormatError("the checklist holds no STIG (no STIGS/iSTIG/STIG_INFO)",
                          source=source)


def _check_root(element: etree._Element, source: str) -> None:
    if element.tag != "CHECKLIST":
        raise FormatError(f"expected a CHECKLIST root element, found {element.tag!r}",
                          source=source, line=element.sourceline)


def _read_comment(comment: etree._Element, state: _State) -> None:
    text = comment.text or ""
    version = _EVALUATE_STIG_VERSION.search(text)
    if version:
        state.tool = _Tool("Evaluate-STIG", version.group(1).strip())
    manager = _STIG_MANAGER.match(text)
    if manager and comment.getparent() is None:
        state.tool = _Tool("STIG Manager", manager.group(1))
    when = _EVALUATE_STIG_TIME.search(text)
    if when and comment.getparent() is not None and comment.getparent().tag == "iSTIG":
        state.stig_time = stig.parse_time(when.group(1), source=state.source,
                                          field="Evaluate-STIG time")


def _on_end(element: etree._Element, state: _State) -> Iterator[Record]:
    tag = element.tag
    if tag == "ASSET":
        state.asset = _asset(element, state.source)
        xmlsafe.clear(element)
    elif tag == "STIG_INFO":
        yield from _start_stig(element, state)
        xmlsafe.clear(element)
    elif tag == "VULN":
        yield _finding(element, state)
        xmlsafe.clear(element)
    elif tag == "iSTIG":
        state.stig_time = None
        xmlsafe.clear(element)


def _asset(element: etree._Element, source: str) -> Asset:
    def text(name: str) -> str:
        return (element.findtext(name) or "").strip()

    return stig.stig_asset(
        source=source, host_name=text("HOST_NAME"), fqdn=text("HOST_FQDN"),
        ip=text("HOST_IP"), mac=text("HOST_MAC"),
        web_or_database=stig.is_true(text("WEB_OR_DATABASE")),
        site=text("WEB_DB_SITE"), instance=text("WEB_DB_INSTANCE"))


def _start_stig(element: etree._Element, state: _State) -> Iterator[Record]:
    info = {(si.findtext("SID_NAME") or "").strip(): (si.findtext("SID_DATA") or "").strip()
            for si in element.iter("SI_DATA")}
    if not info.get("stigid"):
        raise FormatError("the STIG has no stigid, so its findings cannot be told apart "
                          "from another STIG's", source=state.source,
                          line=element.sourceline, field="stigid")
    if state.asset is None:
        raise FormatError("the checklist has no ASSET before its STIGs",
                          source=state.source, line=element.sourceline, field="ASSET")
    state.stig = _Stig(info["stigid"], info.get("title", ""), info.get("version", ""),
                       info.get("releaseinfo", ""), state.stig_time)
    if not state.told_scan:
        state.told_scan = True
        yield ScanInfo(scanner=state.tool.name, scanner_version=state.tool.version,
                       scan_time=state.stig_time, name=state.stig.title)
    yield Target(scope=state.stig.scope, asset=state.asset)


def _stig_data(vuln: etree._Element) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for item in vuln.iterchildren("STIG_DATA"):
        name = (item.findtext("VULN_ATTRIBUTE") or "").strip()
        value = item.findtext("ATTRIBUTE_DATA") or ""
        data.setdefault(name, []).append(value)
    return data


def _finding(vuln: etree._Element, state: _State) -> Finding:
    if state.stig is None or state.asset is None:
        raise FormatError("a VULN comes before its STIG_INFO", source=state.source,
                          line=vuln.sourceline)
    data = _stig_data(vuln)

    def one(name: str) -> str:
        return (data.get(name) or [""])[0].strip()

    weakness = stig.vuln_id(one("Vuln_Num"))
    if not weakness:
        raise FormatError("the VULN has no Vuln_Num (V-number)", source=state.source,
                          line=vuln.sourceline, field="Vuln_Num")
    raw_severity = one("Severity")
    override = (vuln.findtext("SEVERITY_OVERRIDE") or "").strip()
    comments = (vuln.findtext("COMMENTS") or "").strip()
    return stig.with_cci_controls(Finding(
        scope=state.stig.scope,
        weakness_id=weakness,
        asset=state.asset,
        title=one("Rule_Title"),
        status=stig.checklist_status(vuln.findtext("STATUS"), source=state.source,
                                     line=vuln.sourceline),
        severity=stig.effective_severity(raw_severity, override),
        raw_severity=raw_severity,
        description=stig.join_text(("", stig.discussion(one("Vuln_Discuss"))),
                                   ("Check", one("Check_Content"))),
        solution=one("Fix_Text"),
        evidence=stig.join_text(("", vuln.findtext("FINDING_DETAILS") or ""),
                                ("Comments", comments)),
        ccis=stig.ccis(data.get("CCI_REF", [])),
        scanner=state.tool.name,
        scanner_version=state.tool.version,
        last_seen=state.stig.time,
        extra=_extra(data, vuln, state.stig, override, comments),
    ))


def _extra(data: dict[str, list[str]], vuln: etree._Element, info: _Stig,
           override: str, comments: str) -> dict:
    def one(name: str) -> str:
        return (data.get(name) or [""])[0].strip()

    extra = {
        "rule_id": one("Rule_ID"),
        "rule_version": one("Rule_Ver"),
        "group_title": one("Group_Title"),
        "legacy_ids": [v.strip() for v in data.get("LEGACY_ID", []) if v.strip()],
        "stig_id": info.stig_id,
        "stig_title": info.title,
        "stig_version": info.version,
        "stig_release": info.release,
        "comments": comments,
    }
    if override:
        extra["severity_override"] = override
        extra["severity_justification"] = (vuln.findtext("SEVERITY_JUSTIFICATION")
                                           or "").strip()
    return {key: value for key, value in extra.items() if value}
