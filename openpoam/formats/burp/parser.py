"""PortSwigger Burp Suite XML issue exports (Burp 1.6 to 2021+).

Element names are from the export's own internal DTD (issues/issue: serialNumber, type,
name, host@ip, path, location, severity, confidence, issueBackground, ...), as in the
sample reports; see samples/FORMATS.md section 8.

Identity: the origin (``scheme://host:port``) is the asset and the numeric issue ``type``
the weakness (for issues raised by extensions, which all share type 134217728, the type
and the issue name). Burp lists one issue per path; they are grouped into one finding per type per
origin, with every path kept in ``extra["locations"]``, so a POA&M item is "reflected XSS on
this site" and it closes when no path has it any more. ``serialNumber`` is regenerated per
scan and kept only as a source reference. Base64 requests and responses are decoded for
the evidence but never stored whole: evidence is capped at 64 KiB per finding.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo,
                                      Severity)
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from openpoam.formats.scan_common import TEXT_LIMIT
from openpoam.formats.web_common import html_links, html_to_text, site_asset, site_targets

SCOPE = "burp"
MAX_EVIDENCE = TEXT_LIMIT  # the shared per-field limit (scan_common)
MAX_MESSAGE = 2 * 1024  # bytes of each decoded request/response shown in the evidence
MAX_LOCATIONS = 1000

# Burp's severity words; "False positive" is what a user sets to dismiss an issue.
SEVERITIES = {"high": Severity.HIGH, "medium": Severity.MODERATE, "low": Severity.LOW,
              "information": Severity.INFO, "info": Severity.INFO,
              "false positive": Severity.INFO}
SEVERITY_ORDER = list(Severity)
# "Extension generated issue" in PortSwigger's issue definitions (0x08000000).
EXTENSION_TYPE = "134217728"

# Java Date.toString(), always English: "Fri Apr 30 11:45:49 IST 2021".
_EXPORT_TIME = re.compile(r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
                          r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) "
                          r"(\d{2}):(\d{2}):(\d{2}) ([A-Za-z][A-Za-z0-9+\-:/_]*) (\d{4})$")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)


@dataclass
class _Group:
    """All issues of one type on one origin."""

    asset: Asset
    port: str
    type_id: str
    name: str = ""
    severity: Severity = Severity.INFO
    raw: str = ""
    confidence: str = ""
    all_false_positive: bool = True
    background: str = ""
    remediation: str = ""
    cwes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    evidence_size: int = 0
    count: int = 0


class BurpImporter:
    key = "burp"
    label = "Burp Suite XML issue export"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        return xmlsafe.root_tag(head) == "issues" and b"burpVersion" in head

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        groups: dict[tuple[str, str], _Group] = {}
        covered: set[str] = set()
        scan_time = None
        version = ""
        root_seen = False
        for event, element in xmlsafe.iterparse(stream, source=source, events=("start", "end"),
                                                tag=("issues", "issue")):
            if element.tag == "issues":
                if event == "start":
                    root_seen = True
                    version = element.get("burpVersion", "")
                    scan_time = parse_export_time(element.get("exportTime", ""), source=source,
                                                  line=element.sourceline)
                    yield ScanInfo(scanner="Burp Suite",
                                   scanner_version=element.get("burpVersion", ""),
                                   scan_time=scan_time)
                continue
            if event != "end":
                continue
            if not root_seen:
                break
            group = _add_issue(groups, element, source)
            if group.asset.key not in covered:
                covered.add(group.asset.key)
                yield from site_targets(SCOPE, group.asset)
            xmlsafe.clear(element)
        if not root_seen:
            raise FormatError("not a Burp XML export (no issues root)", source=source)
        for group in groups.values():
            finding = _finding(group, scan_time)
            finding.scanner_version = version
            yield finding


def parse_export_time(value: str, *, source: str, line: int | None = None) -> datetime | None:
    """The export time; UTC/GMT stays aware, other zone names (IST, CEST) are ambiguous
    abbreviations, so the wall-clock time is kept without a zone."""
    value = " ".join(value.split())
    if not value:
        return None
    match = _EXPORT_TIME.match(value)
    if not match:
        raise FormatError(f"unrecognised export time {value!r}", source=source, line=line,
                          field="exportTime")
    month = _MONTHS.index(match.group(1)) + 1
    day, hour, minute, second, year = (int(match.group(i)) for i in (2, 3, 4, 5, 7))
    zone = timezone.utc if match.group(6).upper() in ("UTC", "GMT", "Z") else None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise FormatError(f"invalid export time {value!r}: {exc}", source=source, line=line,
                          field="exportTime") from None


def _text(element, name: str) -> str:
    found = element.find(name)
    return (found.text or "").strip() if found is not None else ""


def _add_issue(groups: dict, issue, source: str) -> _Group:
    type_id = _text(issue, "type")
    host = issue.find("host")
    origin = (host.text or "").strip() if host is not None else ""
    if not type_id or not origin:
        missing = "type" if not type_id else "host"
        raise FormatError(f"an issue without {missing}", source=source, line=issue.sourceline,
                          field=missing)
    raw = _text(issue, "severity")
    if raw.lower() not in SEVERITIES:
        raise FormatError(f"unknown severity {raw!r}", source=source, line=issue.sourceline,
                          field="severity")
    asset, port = site_asset(origin)
    if host is not None and host.get("ip") and not asset.ip:
        asset = Asset(key=asset.key, name=asset.name, kind=asset.kind, fqdn=asset.fqdn,
                      ip=host.get("ip", ""))
    weakness = type_id
    if type_id == EXTENSION_TYPE:  # every extension's issues share one type: add the name
        weakness = f"{type_id}:{_text(issue, 'name')}"
    group = groups.get((asset.key, weakness))
    if group is None:
        group = groups[(asset.key, weakness)] = _Group(asset=asset, port=port, type_id=weakness)
    _merge(group, issue, raw)
    return group


def _merge(group: _Group, issue, raw: str) -> None:
    group.count += 1
    severity = SEVERITIES[raw.lower()]
    false_positive = raw.lower() == "false positive"
    only_false_positives = group.all_false_positive  # so far (True before the first issue)
    group.all_false_positive = only_false_positives and false_positive
    # The most severe real issue speaks for the group; dismissed ones only when all are.
    if not false_positive and (only_false_positives or SEVERITY_ORDER.index(severity)
                               > SEVERITY_ORDER.index(group.severity)):
        group.severity, group.raw = severity, raw
        group.confidence = _text(issue, "confidence")
    elif not group.raw:
        group.raw = raw
    group.name = group.name or _text(issue, "name")
    group.background = group.background or _text(issue, "issueBackground")
    group.remediation = group.remediation or _text(issue, "remediationBackground")
    classes = _text(issue, "vulnerabilityClassifications")
    group.cwes.extend(f"CWE-{int(n)}" for n in _CWE.findall(html_to_text(classes)))
    group.references.extend([*html_links(_text(issue, "references")), *html_links(classes)])
    path, location = _text(issue, "path"), _text(issue, "location")
    serial = _text(issue, "serialNumber")
    if serial and len(group.serials) < 20:
        group.serials.append(serial)
    if len(group.locations) < MAX_LOCATIONS:
        group.locations.append({k: v for k, v in {
            "path": path, "location": location if location != path else "",
            "severity": raw, "confidence": _text(issue, "confidence"),
        }.items() if v})
    _add_evidence(group, issue, path, location)


def _add_evidence(group: _Group, issue, path: str, location: str) -> None:
    parts = [location or path]
    detail = html_to_text(_text(issue, "issueDetail"))
    if detail:
        parts.append(detail)
    parts.extend(f"- {html_to_text(i.text)}" for i in issue.iterfind("issueDetailItems/"
                                                                     "issueDetailItem") if i.text)
    remediation = html_to_text(_text(issue, "remediationDetail"))
    if remediation:
        parts.append(f"Remediation: {remediation}")
    for pair in issue.iterfind("requestresponse"):
        for name in ("request", "response"):
            message = _message(pair.find(name))
            if message:
                parts.append(f"{name.capitalize()} (first {MAX_MESSAGE} bytes):\n{message}")
        break  # the first request/response pair is enough to show what was found
    block = "\n".join(parts)
    room = MAX_EVIDENCE - group.evidence_size
    if room <= 0:
        return
    block = block[:room]
    group.evidence.append(block)
    group.evidence_size += len(block) + 2


def _message(element) -> str:
    """The start of a request or response, decoded when base64, as text."""
    if element is None or not element.text:
        return ""
    raw = element.text.strip()
    if element.get("base64") == "true":
        # Decode only a prefix: 4 base64 chars give 3 bytes.
        chunk = raw[: (MAX_MESSAGE // 3 + 1) * 4]
        try:
            data = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=False)
        except (binascii.Error, ValueError):
            return "(undecodable base64)"
        text = data[:MAX_MESSAGE].decode("utf-8", errors="replace")
    else:
        text = raw[:MAX_MESSAGE]
    return text.replace("\r\n", "\n").strip()


def _finding(group: _Group, scan_time: datetime | None) -> Finding:
    extra = {"locations": group.locations, "count": group.count,
             "confidence": group.confidence, "ip": group.asset.ip}
    return Finding(
        scope=SCOPE, weakness_id=group.type_id, asset=group.asset, port=group.port,
        protocol="tcp", title=group.name or f"Burp issue type {group.type_id}",
        status=(ResultStatus.NOT_APPLICABLE if group.all_false_positive
                else ResultStatus.OPEN),
        severity=group.severity, raw_severity=group.raw,
        description=html_to_text(group.background),
        solution=html_to_text(group.remediation),
        evidence="\n\n".join(group.evidence),
        cwes=tuple(dict.fromkeys(group.cwes)),
        references=tuple(dict.fromkeys(group.references)),
        scanner="Burp Suite", last_seen=scan_time, source_ref=",".join(group.serials),
        extra={k: v for k, v in extra.items() if v},
    )
