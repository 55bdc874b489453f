"""Tenable Nessus ``.nessus`` (NessusClientData_v2) importer, streaming.

Layout (FORMATS.md section 1, Tenable's ".nessus file format" guide):
``Policy`` (ignored) then ``Report/ReportHost*``; each ReportHost holds
``HostProperties/tag[@name]`` then ``ReportItem*``. Compliance (audit)
results are ReportItems with ``cm:`` children (namespace
http://www.nessus.org/cm).

Memory: elements are cleared as soon as they are read; findings are held
for one host at a time (so a plugin reported twice on one port merges).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import BinaryIO

from lxml import etree

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo, Severity,
                                      Skipped, Target)
from openpoam.formats import xmlsafe
from openpoam.formats.base import BRIEF_BELOW, SKIP, FormatError, Skip
from openpoam.formats.scan_common import (Memo, cap, clean, cwe_id, find_cves, iso_text,
                                            merge_into, parse_date, score, to_float, unique)

SCOPE = "tenable"
CM_NS = "http://www.nessus.org/cm"

# ReportItem/@severity 0-4 (Tenable: Info, Low, Medium, High, Critical).
_RANK = {severity: rank for rank, severity in enumerate(Severity)}
SEVERITIES = {"0": Severity.INFO, "1": Severity.LOW, "2": Severity.MODERATE,
              "3": Severity.HIGH, "4": Severity.CRITICAL}

# Compliance results: PASSED / FAILED / WARNING / ERROR. Tenable's Compliance Checks
# Reference ("Forced Reporting") uses WARNING to tell the auditor that Nessus could
# not perform the check and it must be verified by hand (physical inspection, manual
# items of DISA/CIS audits). A WARNING is thus no proof of a failure and no proof of
# a fix: NOT_REVIEWED, which never opens or closes an item by itself. ERROR means the
# check could not run. SKIPPED / N/A items did not apply to the host.
COMPLIANCE_STATUS = {
    "PASSED": ResultStatus.PASSED,
    "FAILED": ResultStatus.OPEN,
    "WARNING": ResultStatus.NOT_REVIEWED,
    "ERROR": ResultStatus.ERROR,
    "SKIPPED": ResultStatus.NOT_APPLICABLE,
    "N/A": ResultStatus.NOT_APPLICABLE,
}

# DISA STIG categories (CAT I/II/III = high/medium/low, DISA STIG Viewer guide).
STIG_CATEGORIES = {"I": Severity.HIGH, "II": Severity.MODERATE, "III": Severity.LOW}

# Plugin dates: '2018/04/10' (Nessus) or ISO (Tenable WAS).
PLUGIN_DATE_PATTERNS = ("%Y/%m/%d",)
# HOST_START: 'Mon Jul  1 11:33:11 2013' (strptime takes the double space).
HOST_TIME_PATTERNS = ("%a %b %d %H:%M:%S %Y",)

# Score-like children -> extra key.
SCORES = {
    "cvss_base_score": "cvss2_base_score", "cvss": "cvss2_base_score",
    "cvss_temporal_score": "cvss2_temporal_score",
    "cvss3_base_score": "cvss3_base_score", "cvssv3": "cvss3_base_score",
    "cvss3_temporal_score": "cvss3_temporal_score",
    "cvss4_base_score": "cvss4_base_score", "vpr_score": "vpr_score",
}
VECTORS = {
    "cvss_vector": "cvss2_vector", "cvss_temporal_vector": "cvss2_temporal_vector",
    "cvss3_vector": "cvss3_vector", "cvss3_temporal_vector": "cvss3_temporal_vector",
    "cvss4_vector": "cvss4_vector",
}
FLAGS = frozenset(("exploit_available", "exploited_by_malware", "in_the_news", "stig_severity",
         "risk_factor", "plugin_type", "exploitability_ease", "exploit_code_maturity",
         "age_of_vuln", "threat_intensity_last_28", "product_coverage", "script_version"))
DATES = frozenset(("plugin_publication_date", "plugin_modification_date",
                   "vuln_publication_date", "patch_publication_date"))
# Reference children kept as "PREFIX:value".
REF_PREFIX = {"bid": "BID", "iava": "IAVA", "iavb": "IAVB", "iavt": "IAVT", "osvdb": "OSVDB",
              "cert": "CERT", "edb-id": "EDB-ID", "secunia": "SECUNIA", "msft": "MSFT",
              "mskb": "MSKB", "owasp": "OWASP"}
# A ReportItem whose texts (all but the plugin output) are longer than this is worked
# out without the memo: real plugins are far shorter, and its 2,048 keys then hold at
# most ~64 MB of text even in a hostile file (a few MB in a real one).
MEMO_TEXT_LIMIT = 32 * 1024
# Only these elements raise events: the rest is read from its parent.
WATCHED = ("NessusClientData_v2", "Policy", "Report", "ReportHost", "HostProperties",
           "ReportItem")
VERSION_RE = re.compile(r"Nessus version\s*:\s*([\w.\-]+)")


class NessusImporter:
    key = "nessus"
    label = "Tenable Nessus (.nessus)"
    options = frozenset({BRIEF_BELOW, SKIP})

    def sniff(self, head: bytes, filename: str) -> bool:
        return xmlsafe.root_tag(head) == "NessusClientData_v2"

    def parse(self, stream: BinaryIO, *, source: str, brief_below: Severity | None = None,
              skip: Skip | None = None) -> Iterator[Record]:
        """``brief_below``: findings under this severity carry only identity, title and
        severity (no text, references or extras). The importer drops them anyway, and
        they are most of a scan, so this halves the parsing of a large file.
        ``skip``: of those, the ones of untracked weaknesses are not built at all, only
        counted (one ``Skipped`` record per host)."""
        return _Reader(source, brief_below, skip).read(stream)


class _Host:
    """What HostProperties said about one ReportHost."""

    def __init__(self, name: str):
        self.name = name
        self.tags: dict[str, str] = {}
        self.asset = Asset(key=name.lower(), name=name)
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.announced = False  # Target yielded


class _Reader:
    def __init__(self, source: str, brief_below: Severity | None = None,
                 skip: Skip | None = None):
        self.source = source
        brief = {s for s in Severity if brief_below and _RANK[s] < _RANK[brief_below]}
        left_out = {s for s in Severity if skip and _RANK[s] < _RANK[skip.below]}
        # The raw levels (ReportItem/@severity) of those.
        self.brief_raw = frozenset(raw for raw, s in SEVERITIES.items() if s in brief)
        self.skip_raw = frozenset(raw for raw, s in SEVERITIES.items() if s in left_out)
        self.tracked = skip.tracked if skip else None
        self.scanner = "Nessus"
        self.version = ""
        self.report_name = ""
        self.first_start: datetime | None = None
        self.root_checked = False
        # A plugin's text, references and scores repeat on every host it is found on:
        # each distinct raw value is worked out once (the same result, far less work).
        self._texts = Memo()
        self._references = Memo()
        self._extras = Memo()
        self._plugins = Memo()
        self._families = Memo()
        self._plugin_tracked = Memo()

    def read(self, stream: BinaryIO) -> Iterator[Record]:
        self.host: _Host | None = None
        # This host's findings, merged by identity (a _Left for one only to be counted).
        self.pending: dict[tuple, Finding | _Left] = {}
        events = xmlsafe.iterparse(stream, source=self.source, events=("start", "end"),
                                   tag=WATCHED)
        for event, element in events:
            if event == "start":
                self._on_start(element)
            elif element.tag == "ReportItem":  # most events: read here, no generator made
                if self.host is not None:
                    self._pend(self._finding(self.host, element))
                xmlsafe.clear(element)
            else:
                yield from self._on_end(element)
        if not self.root_checked:
            raise FormatError("not a .nessus v2 file: no <NessusClientData_v2> element",
                              source=self.source)
        yield ScanInfo(scanner=self.scanner, scanner_version=self.version,
                       scan_time=self.first_start, name=self.report_name)

    def _on_start(self, element: etree._Element) -> None:
        if not self.root_checked:
            self._check_root(element)
        elif element.tag == "Report":
            self._start_report(element)
        elif element.tag == "ReportHost":
            self.host = _Host(element.get("name", "").strip())

    def _on_end(self, element: etree._Element) -> Iterator[Record]:
        tag, host = element.tag, self.host
        if tag == "HostProperties" and host is not None and not host.announced:
            self._read_properties(host, element)
            host.announced = True
            yield Target(SCOPE, host.asset)
        elif tag == "ReportHost":
            if host is not None and not host.announced:  # no HostProperties at all
                yield Target(SCOPE, host.asset)
            yield from self._flush()
            self.host = None
        if tag != "NessusClientData_v2" and tag != "Report":
            xmlsafe.clear(element)

    def _check_root(self, element: etree._Element) -> None:
        self.root_checked = True
        if element.tag != "NessusClientData_v2":
            raise FormatError(f"not a .nessus v2 file: root element is <{element.tag}>, "
                              "expected <NessusClientData_v2>", source=self.source,
                              line=element.sourceline)

    def _start_report(self, element: etree._Element) -> None:
        self.report_name = element.get("name", "")
        if element.get("type", "").lower() == "was":
            self.scanner = "Tenable Web App Scanning"

    def _pend(self, found: Finding | _Left) -> None:
        """Keep a finding of the current host, merged with an earlier one of its identity."""
        identity = found.identity
        kept = self.pending.get(identity)
        if kept is None:
            self.pending[identity] = found
        elif type(kept) is _Left and type(found) is _Left:
            pass  # one finding, still under the bar and untracked: counted once
        else:
            # A finding left out meets a built one (a file may report a plugin twice on a
            # port at two severities): merged as the brief findings they stand for.
            if type(kept) is _Left:
                kept = self.pending[identity] = kept.finding()
            merge_into(kept, found.finding() if type(found) is _Left else found)

    def _flush(self) -> Iterator[Record]:
        left: list[tuple[str, str]] = []
        for finding in self.pending.values():
            if type(finding) is _Left:
                left.append((SCOPE, finding.plugin_id))
                continue
            finding.scanner_version = self.version
            yield finding
        if left:
            yield Skipped(tuple(left))
        self.pending = {}

    # --- host properties ---------------------------------------------------

    def _read_properties(self, host: _Host, element: etree._Element) -> None:
        tags = host.tags
        for tag in element:
            if tag.tag == "tag" and tag.get("name"):
                tags[tag.get("name")] = (tag.text or "").strip()
        host.start = self._host_time(tags, "HOST_START", element)
        host.end = self._host_time(tags, "HOST_END", element)
        if host.start and (self.first_start is None or _before(host.start, self.first_start)):
            self.first_start = host.start
        host.asset = _asset(host.name, tags, self.scanner)

    def _host_time(self, tags: dict[str, str], name: str,
                   element: etree._Element) -> datetime | None:
        stamp = tags.get(f"{name}_TIMESTAMP", "")
        if stamp.isdigit():  # epoch seconds: preferred, it carries the zone
            return datetime.fromtimestamp(int(stamp), tz=timezone.utc)
        return parse_date(tags.get(name), HOST_TIME_PATTERNS, source=self.source,
                          line=element.sourceline, field=name)

    # --- report items ------------------------------------------------------

    def _finding(self, host: _Host, item: etree._Element) -> Finding | _Left:
        plugin_id = item.get("pluginID", "").strip()
        if not plugin_id.isdigit():
            raise FormatError(f"ReportItem without a numeric pluginID ({plugin_id!r})",
                              source=self.source, line=item.sourceline, field="pluginID")
        raw = item.get("severity", "").strip()
        if raw not in SEVERITIES:
            raise FormatError(f"severity {raw!r} is not 0-4", source=self.source,
                              line=item.sourceline, field="severity")
        port = item.get("port", "").strip()
        # By the raw level: an enum member hashes in Python, a short string once.
        if (raw in self.brief_raw or raw in self.skip_raw) and self._may_be_brief(plugin_id, item):
            left = _Left(self.scanner, host, plugin_id, item.get("pluginName") or plugin_id,
                         SEVERITIES[raw], raw, "" if port in ("", "0") else port,
                         item.get("protocol", "").strip().lower())
            if raw in self.skip_raw and not self._tracked(plugin_id):
                return left
            if raw in self.brief_raw:
                return left.finding()
        children = [(child.tag, child.text) for child in item]  # one pass, in C mostly
        # Everything but the plugin output is the plugin's own and repeats on every host
        # it is found on: worked out once, then only compared (equal raw children give
        # the same result; comparing costs far less than hashing them as a key). A
        # compliance result never gets here from the memo: its children differ.
        memo_key = (plugin_id, item.get("pluginFamily"), item.get("svc_name"))
        plugin = [pair for pair in children if pair[0] != "plugin_output"]
        recent = self._plugins.get(memo_key)
        if recent is not None and recent[0] == plugin:
            known = recent[1]
            output = next((text for tag, text in children if tag == "plugin_output"), None)
            output = (output or "").strip()
        else:
            pairs, output, compliance = _sort_children(children)
            if compliance:
                return self._compliance_finding(host, item, plugin_id, raw, port,
                                                item.sourceline)
            known = self._plugin(item, _gather(pairs))
            # Only plugin-sized content is kept, so the memo stays small whatever the file.
            if _memo_fits(plugin):
                self._plugins.keep(memo_key, (plugin, known))
        description, solution, plugin_name, extra, (cves, cwes, references) = known
        if "cpe" in extra:
            extra = {**extra, "cpe": list(extra["cpe"])}
        else:
            extra = dict(extra)
        finding = Finding(
            scope=SCOPE, weakness_id=plugin_id, asset=host.asset,
            title=item.get("pluginName") or plugin_name or plugin_id,
            severity=SEVERITIES[raw], raw_severity=raw,
            port="" if port in ("", "0") else port,
            protocol=item.get("protocol", "").strip().lower(),
            description=description, solution=solution,
            evidence=cap(clean(output)), cves=cves, cwes=cwes, references=references,
            scanner=self.scanner, last_seen=host.end or host.start, extra=extra,
        )
        if plugin_id == "19506" and not self.version:
            match = VERSION_RE.search(finding.evidence)
            self.version = match.group(1) if match else ""
        return finding

    def _plugin(self, item: etree._Element, children: "_Children") -> tuple:
        """What a ReportItem's children say about its plugin (all but the plugin output)."""
        return (cap(_description(children)), cap(_solution(children)),
                children.first("plugin_name"), self._extra(item, children),
                _references(children))

    def _compliance_finding(self, host: _Host, item: etree._Element, plugin_id: str,
                            raw: str, port: str, line: int | None) -> Finding:
        children = _children(item)
        single = children.single
        texts_key = (single.get("synopsis"), single.get("description"), single.get("solution"))
        texts = self._texts.get(texts_key)
        if texts is None:
            texts = self._texts.keep(texts_key, (cap(_description(children)),
                                                 cap(_solution(children))))
        finding = Finding(
            scope=SCOPE, weakness_id=plugin_id, asset=host.asset,
            title=item.get("pluginName") or children.first("plugin_name") or plugin_id,
            severity=SEVERITIES[raw], raw_severity=raw,
            port="" if port in ("", "0") else port,
            protocol=item.get("protocol", "").strip().lower(),
            description=texts[0], solution=texts[1],
            evidence=cap(clean(children.first("plugin_output"))),
            scanner=self.scanner, last_seen=host.end or host.start,
            extra=self._cached_extra(item, children),
        )
        self._add_references(finding, children)
        self._apply_compliance(finding, children, line)
        return finding

    def _may_be_brief(self, plugin_id: str, item: etree._Element) -> bool:
        # 19506 carries the scanner version in its output; compliance checks take
        # their identity and result from their cm: children.
        if plugin_id == "19506":
            return False
        family = item.get("pluginFamily", "")
        briefable = self._families.get(family)  # a scan names a few dozen families
        if briefable is None:
            briefable = self._families.keep(family, "compliance" not in family.lower())
        return briefable

    def _tracked(self, plugin_id: str) -> bool:
        """Whether the system tracks the plugin's weakness, asked once per plugin."""
        tracked = self._plugin_tracked.get(plugin_id)
        if tracked is None:
            tracked = self._plugin_tracked.keep(plugin_id, self.tracked(SCOPE, plugin_id))
        return tracked

    def _cached_extra(self, item: etree._Element, children: "_Children") -> dict:
        single = children.single
        key = (item.get("pluginFamily"), item.get("svc_name"),
               tuple([(n, single[n]) for n in single if n in EXTRA_NAMES]),
               tuple(children.multi.get("cpe", ())))
        extra = self._extras.get(key)
        if extra is None:
            extra = self._extras.keep(key, self._extra(item, children))
        return {k: list(v) if isinstance(v, list) else v for k, v in extra.items()}

    def _extra(self, item: etree._Element, children: "_Children") -> dict:
        extra: dict = {"plugin_family": item.get("pluginFamily", ""),
                       "service": item.get("svc_name", "")}
        for name, text in children.single.items():
            if not text:
                continue
            if name in SCORES:
                value = score(text)
                if value is not None:
                    extra.setdefault(SCORES[name], value)
            elif name in VECTORS:
                extra[VECTORS[name]] = text
            elif name in FLAGS:
                extra[name] = text
            elif name in DATES:
                extra[name] = self._plugin_date(text, item.sourceline, name)
            elif name == "epss_score" and to_float(text) is not None:
                extra[name] = to_float(text)
        cpes = children.all("cpe")
        if cpes:
            extra["cpe"] = list(unique(c for text in cpes for c in text.split()))
        return {k: v for k, v in extra.items() if v not in ("", None)}

    def _plugin_date(self, text: str, line: int | None, name: str) -> str:
        """'2018/04/10' -> '2018-04-10' (fast path); ISO (WAS) and errors via parse_date."""
        if len(text) == 10 and text[4] == "/" and text[7] == "/":
            try:
                return date(int(text[:4]), int(text[5:7]), int(text[8:])).isoformat()
            except ValueError:
                pass
        moment = parse_date(text, PLUGIN_DATE_PATTERNS, source=self.source, line=line,
                            field=name)
        return iso_text(moment)[:10]

    def _add_references(self, finding: Finding, children: "_Children") -> None:
        key = tuple([(n, tuple(texts)) for n, texts in children.multi.items()])
        found = self._references.get(key)
        if found is None:
            found = self._references.keep(key, _references(children))
        finding.cves, finding.cwes, finding.references = found

    # --- compliance (audit) results -----------------------------------------

    def _apply_compliance(self, finding: Finding, children: "_Children",
                          line: int | None) -> None:
        check_id = children.first("cm:compliance-check-id")
        check_name = children.first("cm:compliance-check-name")
        if not (check_id or check_name):
            raise FormatError("compliance result without cm:compliance-check-id or "
                              "cm:compliance-check-name", source=self.source, line=line,
                              field="cm:compliance-check-id")
        # One pluginID (21156, 21157 ...) covers every check: the check id keeps them apart.
        finding.weakness_id = f"{finding.weakness_id}:{check_id or check_name}"
        finding.title = check_name or finding.title
        result = children.first("cm:compliance-result").upper()
        if result not in COMPLIANCE_STATUS:
            raise FormatError(f"unknown compliance result {result!r}", source=self.source,
                              line=line, field="cm:compliance-result")
        finding.status = COMPLIANCE_STATUS[result]
        finding.raw_severity = f"{finding.raw_severity} {result}".strip()
        info = clean(children.first("cm:compliance-info"))
        if info:
            finding.description = cap(info)
        solution = clean(children.first("cm:compliance-solution"))
        if solution:
            finding.solution = cap(solution)
        finding.evidence = cap(_compliance_evidence(children, finding.evidence))
        controls, ccis, other = _compliance_references(children.first("cm:compliance-reference"))
        category = (other.get("CAT") or [""])[0].upper()
        if category in STIG_CATEGORIES and finding.status == ResultStatus.OPEN:
            # A failed STIG check weighs by its DISA category, not by Nessus' fixed level.
            finding.severity = STIG_CATEGORIES[category]
        finding.controls = unique((*finding.controls, *controls))
        finding.ccis = unique((*finding.ccis, *ccis))
        refs = [*finding.references, *children.first("cm:compliance-see-also").split()]
        finding.references = unique(refs)
        finding.extra.update({
            "compliance_check_id": check_id,
            "compliance_result": result,
            "compliance_audit_file": children.first("cm:compliance-audit-file"),
            "compliance_policy_value": children.first("cm:compliance-policy-value"),
            "compliance_references": other,
        })
        finding.extra = {k: v for k, v in finding.extra.items() if v not in ("", None, {})}


class _Left:
    """A finding only to be counted (``skip``), with what its brief Finding would hold
    should another ReportItem of the same identity on the host have to merge with it."""

    __slots__ = ("scanner", "asset", "last_seen", "plugin_id", "title", "severity", "raw",
                 "port", "protocol", "identity")

    def __init__(self, scanner: str, host: _Host, plugin_id: str, title: str,
                 severity: Severity, raw: str, port: str, protocol: str):
        # The host as it is now: a brief Finding built here would hold the same.
        asset = self.asset = host.asset
        self.scanner, self.last_seen = scanner, host.end or host.start
        self.plugin_id, self.title, self.severity, self.raw = plugin_id, title, severity, raw
        self.port, self.protocol = port, protocol
        self.identity = (SCOPE, plugin_id, asset.key, port, protocol)

    def finding(self) -> Finding:
        """The brief finding (identity, title, severity) this ReportItem stands for."""
        return Finding(scope=SCOPE, weakness_id=self.plugin_id, asset=self.asset,
                       title=self.title, severity=self.severity, raw_severity=self.raw,
                       port=self.port, protocol=self.protocol, scanner=self.scanner,
                       last_seen=self.last_seen)


class _Children:
    """ReportItem children by name ('cm:' prefix for the compliance namespace).

    ``single`` holds the first text of each child (stripped), ``multi`` every
    text of the repeatable ones; both are plain dicts for speed (this runs for
    every ReportItem of multi-GB files).
    """

    __slots__ = ("single", "multi", "compliance")

    def __init__(self) -> None:
        self.single: dict[str, str] = {}
        self.multi: dict[str, list[str]] = {}
        self.compliance = False

    def first(self, name: str) -> str:
        return self.single.get(name, "")

    def all(self, name: str) -> list[str]:
        return self.multi.get(name, [])

    def has_compliance(self) -> bool:
        return self.compliance


EXTRA_NAMES = frozenset((*SCORES, *VECTORS, *FLAGS, *DATES, "epss_score"))
REPEATED = frozenset(("cve", "bid", "xref", "see_also", "cwe", "cpe", *REF_PREFIX))


def _children(item: etree._Element) -> _Children:
    pairs, output, compliance = _sort_children([(c.tag, c.text) for c in item])
    found = _gather(pairs)
    if output is not None:
        found.single["plugin_output"] = output  # the first one, as for any other child
    found.compliance = compliance
    return found


def _sort_children(children: list[tuple]) -> tuple[tuple, str | None, bool]:
    """A ReportItem's (tag, text) children as _children reads them: the (name, text)
    pairs but the first plugin output (comments and attachments left out), that
    output, and whether any is a compliance one."""
    pairs = []
    output = None
    compliance = False
    for tag, text in children:
        if not isinstance(tag, str) or tag == "attachment":
            continue
        if tag[0] == "{":
            namespace, _, local = tag[1:].partition("}")
            tag = f"cm:{local}" if namespace == CM_NS else local
            compliance = compliance or namespace == CM_NS
        text = (text or "").strip()
        if tag == "plugin_output" and output is None:
            output = text
        else:
            pairs.append((tag, text))
    return tuple(pairs), output, compliance


def _memo_fits(children: list[tuple]) -> bool:
    """Whether a ReportItem's raw children, plugin output aside (what the memo holds), may
    be kept in it: plugin-sized, and no namespaced plugin output (the memo's hits take the
    plain one)."""
    size = sum(len(text) for _, text in children if isinstance(text, str))
    return size <= MEMO_TEXT_LIMIT and not any(
        isinstance(tag, str) and tag.endswith("}plugin_output") for tag, _ in children)


def _gather(pairs: tuple) -> _Children:
    """_Children from the pairs of _sort_children (the plugin output left out)."""
    found = _Children()
    single, multi = found.single, found.multi
    for tag, text in pairs:
        if tag in REPEATED:
            if text:
                multi.setdefault(tag, []).append(text)
        elif tag not in single:
            single[tag] = text
    return found


def _references(children: _Children) -> tuple[tuple[str, ...], ...]:
    """CVEs, CWEs and other references (URLs, 'IAVA:...') of a ReportItem."""
    cves: list[str] = []
    cwes: list[str] = []
    refs: list[str] = []
    for name, texts in children.multi.items():
        if name == "cve":
            cves.extend(c for text in texts for c in find_cves(text))
        elif name == "cwe":
            cwes.extend(cwe_id(text) for text in texts)
        elif name == "xref":
            for xref in texts:
                kind, _, value = xref.partition(":")
                if kind.strip().upper() == "CWE":
                    cwes.append(cwe_id(value))
                else:
                    refs.append(xref)
        elif name == "see_also":
            refs.extend(url for block in texts for url in block.split())
        elif name in REF_PREFIX:
            refs.extend(f"{REF_PREFIX[name]}:{value}" for value in texts)
    return unique(cves), unique(cwes), unique(refs)


def _description(children: _Children) -> str:
    synopsis = clean(children.first("synopsis"))
    description = clean(children.first("description"))
    if synopsis and description and synopsis not in description:
        return f"{synopsis}\n\n{description}"
    return description or synopsis


def _solution(children: _Children) -> str:
    solution = clean(children.first("solution"))
    return "" if solution.lower() == "n/a" else solution


def _compliance_evidence(children: _Children, output: str) -> str:
    parts = []
    actual = clean(children.first("cm:compliance-actual-value"))
    policy = clean(children.first("cm:compliance-policy-value"))
    if actual:
        parts.append(f"Actual value:\n{actual}")
    if policy:
        parts.append(f"Policy value:\n{policy}")
    if output:
        parts.append(output)
    return "\n\n".join(parts)


def _compliance_references(text: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """'800-53|AC-2,CCI|CCI-000366,STIG-ID|WN10-00-000005' -> controls, CCIs, others."""
    controls: list[str] = []
    ccis: list[str] = []
    other: dict[str, list[str]] = {}
    for pair in text.split(","):
        kind, sep, value = pair.partition("|")
        kind, value = kind.strip(), value.strip()
        if not sep or not value:
            continue
        if kind.upper().startswith("800-53"):
            controls.append(value.upper())
        elif kind.upper() == "CCI":
            ccis.append(value.upper() if value.upper().startswith("CCI-") else f"CCI-{value}")
        else:
            other.setdefault(kind, []).append(value)
    return controls, ccis, other


def _asset(name: str, tags: dict[str, str], scanner: str) -> Asset:
    """Stable key: agent UUID, Tenable asset TAG, FQDN, NetBIOS name, IP, report name."""
    fqdn = tags.get("host-fqdn", "")
    key = (tags.get("host-uuid") or tags.get("TAG") or fqdn or tags.get("netbios-name")
           or tags.get("host-ip") or name)
    url = scanner != "Nessus" and "://" in (fqdn or name)
    return Asset(
        key=key.strip().lower(), name=name or fqdn, kind="url" if url else "host",
        ip=tags.get("host-ip", ""), fqdn=fqdn, netbios=tags.get("netbios-name", ""),
        mac=tags.get("mac-address", "").split()[0] if tags.get("mac-address") else "",
        os=tags.get("operating-system", "").splitlines()[0] if tags.get("operating-system")
        else "",
    )


def _before(a: datetime, b: datetime) -> bool:
    try:
        return a < b
    except TypeError:  # naive and aware: keep the first one found
        return False
