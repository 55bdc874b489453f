"""OWASP ZAP XML reports ("Traditional XML" and "XML plus", ZAP 2.x).

Element names are from ZAP's traditional-xml report template (OWASPZAPReport/site/alerts/
alertitem) as they appear in the sample reports; riskcode 0-3 and confidence 0-4 are ZAP's
Alert.RISK_* and Alert.CONFIDENCE_* constants. See samples/FORMATS.md section 9.

Identity: the site (``scheme://host:port``) is the asset; the weakness is the alert
reference (``alertRef``, else ``pluginid``). One finding per alert per site, which is how
ZAP itself groups them; the affected URLs (uri, method, param) are kept in
``extra["instances"]`` and summarised in the evidence, and they change from scan to scan
without changing the item. Request and response bodies are not stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo,
                                      Severity)
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from openpoam.formats.scan_common import cap
from openpoam.formats.web_common import html_links, html_to_text, site_asset, site_targets

SCOPE = "zap"
MAX_INSTANCES = 1000  # per finding; ZAP's own <count> is kept too
MAX_VALUE = 2048  # per instance field: evidence can be a whole response snippet

# Alert.RISK_INFO..RISK_HIGH
RISKS = {"0": Severity.INFO, "1": Severity.LOW, "2": Severity.MODERATE, "3": Severity.HIGH}
RISK_WORDS = {"0": "Informational", "1": "Low", "2": "Medium", "3": "High"}
CONFIDENCE_FALSE_POSITIVE = "0"  # Alert.CONFIDENCE_FALSE_POSITIVE, set by a user

# Month names as ZAP writes them in the report locale ("Sun, 20 Jun 2021", German
# "Fr., 30 Sep. 2022"): English, German, French, Spanish, Italian, Dutch, Portuguese.
MONTHS = {
    "jan": 1, "jän": 1, "janv": 1, "ene": 1, "gen": 1,
    "feb": 2, "févr": 2, "fév": 2, "fev": 2,
    "mar": 3, "mär": 3, "mrz": 3, "mars": 3, "mrt": 3,
    "apr": 4, "avr": 4, "abr": 4,
    "may": 5, "mai": 5, "mag": 5, "mei": 5,
    "jun": 6, "juin": 6, "giu": 6,
    "jul": 7, "juil": 7, "lug": 7,
    "aug": 8, "août": 8, "aoû": 8, "ago": 8,
    "sep": 9, "sept": 9, "set": 9,
    "oct": 10, "okt": 10, "ott": 10, "out": 10,
    "nov": 11,
    "dec": 12, "dez": 12, "déc": 12, "dic": 12,
}
_GENERATED = re.compile(r"^(?:[^\d,]+,\s*)?(\d{1,2})\.?\s+([^\W\d_]+)\.?\s+(\d{4}),?\s+"
                        r"(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


class ZapImporter:
    key = "zap"
    label = "OWASP ZAP XML report"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        return xmlsafe.root_tag(head) == "OWASPZAPReport"

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        scan_time = None
        version = ""
        site: Asset | None = None
        port = ""
        seen: set[tuple] = set()
        root_seen = False
        for event, element in xmlsafe.iterparse(stream, source=source, events=("start", "end"),
                                                tag=("OWASPZAPReport", "site", "alertitem")):
            tag = element.tag
            if event == "start" and tag == "OWASPZAPReport":
                root_seen = True
                version = element.get("version", "")
                scan_time = parse_generated(element.get("generated", ""), source=source,
                                            line=element.sourceline)
                yield ScanInfo(scanner=element.get("programName") or "OWASP ZAP",
                               scanner_version=element.get("version", ""), scan_time=scan_time)
            elif event == "start" and tag == "site":
                if not root_seen:
                    break
                site, port = _site(element, source)
                yield from site_targets(SCOPE, site)
            elif event == "end" and tag == "alertitem":
                if site is None:
                    raise FormatError("an alertitem outside a site", source=source,
                                      line=element.sourceline)
                finding = _finding(element, site, port, source)
                finding.last_seen = scan_time
                finding.scanner_version = version
                if finding.identity in seen:
                    # Old reports without alertRef list variants of one plugin separately.
                    finding.weakness_id = f"{finding.weakness_id}:{finding.title}"
                seen.add(finding.identity)
                xmlsafe.clear(element)
                yield finding
            elif event == "end" and tag == "site":
                xmlsafe.clear(element)
        if not root_seen:
            raise FormatError("not a ZAP XML report (no OWASPZAPReport root)", source=source)


def parse_generated(value: str, *, source: str, line: int | None = None) -> datetime | None:
    """ZAP's @generated: 'Sun, 20 Jun 2021 09:30:00' in the report's locale, no zone."""
    value = value.strip()
    if not value:
        return None
    if _ISO.match(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    match = _GENERATED.match(value)
    month = _month(match.group(2)) if match else None
    if not match or month is None:
        raise FormatError(f"unrecognised report date {value!r}", source=source, line=line,
                          field="generated")
    day, year, hour, minute = (int(match.group(i)) for i in (1, 3, 4, 5))
    try:
        return datetime(year, month, day, hour, minute, int(match.group(6) or 0))
    except ValueError as exc:
        raise FormatError(f"invalid report date {value!r}: {exc}", source=source, line=line,
                          field="generated") from None


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    for candidate in (word, word[:4], word[:3]):
        if candidate in MONTHS:
            return MONTHS[candidate]
    return None


def _site(element, source: str) -> tuple[Asset, str]:
    name = element.get("name", "")
    if not name and not element.get("host"):
        raise FormatError("a site without name or host", source=source,
                          line=element.sourceline, field="site/@name")
    return site_asset(name, host=element.get("host", ""), port=element.get("port", ""),
                      ssl=element.get("ssl", ""))


def _child(element, name: str) -> str:
    found = element.find(name)
    return (found.text or "").strip() if found is not None and found.text else ""


def _finding(item, site: Asset, port: str, source: str) -> Finding:
    plugin = _child(item, "pluginid")
    ref = _child(item, "alertRef") or plugin
    if not ref:
        raise FormatError("an alertitem without pluginid", source=source,
                          line=item.sourceline, field="pluginid")
    risk = _child(item, "riskcode")
    if risk not in RISKS:
        raise FormatError(f"riskcode {risk!r} is not 0-3", source=source,
                          line=item.sourceline, field="riskcode")
    confidence = _child(item, "confidence")
    instances = _instances(item)
    references = html_links(_child(item, "reference"))
    cwe_id = _child(item, "cweid")
    extra = {
        "plugin_id": plugin, "alert_ref": ref, "site": site.name,
        "confidence": _child(item, "confidencedesc") or confidence,
        "count": _child(item, "count") or str(len(instances)),
        "wasc_id": _child(item, "wascid") if _child(item, "wascid") not in ("", "-1", "0")
        else "",
        "instances": instances[:MAX_INSTANCES],
    }
    return Finding(
        scope=SCOPE, weakness_id=ref, asset=site, port=port, protocol="tcp",
        title=html_to_text(_child(item, "alert") or _child(item, "name")) or ref,
        status=(ResultStatus.NOT_APPLICABLE if confidence == CONFIDENCE_FALSE_POSITIVE
                else ResultStatus.OPEN),
        severity=RISKS[risk], raw_severity=_child(item, "riskdesc") or RISK_WORDS[risk],
        description=html_to_text(_child(item, "desc")),
        solution=html_to_text(_child(item, "solution")),
        evidence=_evidence(item, instances),
        cwes=(f"CWE-{int(cwe_id)}",) if cwe_id.isdigit() and int(cwe_id) > 0 else (),
        references=tuple(references),
        scanner="OWASP ZAP",
        extra={k: v for k, v in extra.items() if v},
    )


def _instances(item) -> list[dict]:
    found = []
    for instance in item.iterfind("instances/instance"):
        entry = {k: _child(instance, k)[:MAX_VALUE] for k in ("uri", "method", "param",
                                                               "attack", "evidence")}
        found.append({k: v for k, v in entry.items() if v})
    return found


def _evidence(item, instances: list[dict]) -> str:
    lines = []
    other = html_to_text(_child(item, "otherinfo"))
    if other:
        lines.append(other)
    for entry in instances:
        line = " ".join(filter(None, [entry.get("method"), entry.get("uri")]))
        if entry.get("param"):
            line += f" [param {entry['param']}]"
        if entry.get("evidence"):
            line += f": {entry['evidence']}"
        lines.append(line)
    text = "\n".join(lines)
    return cap(text)  # the shared per-field limit, cut with a visible marker
