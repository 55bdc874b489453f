"""XCCDF 1.1/1.2 results -> ScanInfo, Targets and Findings.

Writers seen (samples/FORMATS.md section 12): DISA SCAP Compliance Checker,
Evaluate-STIG, STIG Manager (XCCDF 1.2, ``cdf:`` prefix or default namespace)
and OpenSCAP (XCCDF 1.1 generated from Red Hat's RHSA OVAL). Layout::

    Benchmark[@id]
      title, version, plain-text[@id=release-info]
      Group[@id=..._group_V-nnn]*  (may nest)
        Rule[@id, @severity]: version, title, description, ident*, reference*,
                              fixtext, check/check-content
      Rule*                        (OpenSCAP: no Groups)
      TestResult[@start-time, @end-time, @test-system]
        target, target-address*, target-facts/fact[@name]*
        rule-result[@idref, @severity, @time, @version]*: result, ident*, message*

Rules come before the results, so their text is kept (a few hundred bytes each)
while the file streams; each Rule and rule-result is freed once read.
Elements are matched by local name within the XCCDF namespaces, never by prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from openpoam.domain.controls import ControlIdError, normalise
from openpoam.domain.findings import Asset, Finding, Record, ResultStatus, ScanInfo, Target
from openpoam.domain.poam import Catalog
from openpoam.formats import stig_common as stig
from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError

NAMESPACES = frozenset({"http://checklists.nist.gov/xccdf/1.1",
                        "http://checklists.nist.gov/xccdf/1.2"})

# XCCDF 1.2 (NISTIR 7275r4) table 27, result values. Only fail opens an item;
# pass and fixed prove the check ran clean; notchecked (every manual check in an
# automated SCC scan), unknown and informational tell nothing either way.
RESULTS = {
    "pass": ResultStatus.PASSED,
    "fixed": ResultStatus.PASSED,
    "fail": ResultStatus.OPEN,
    "error": ResultStatus.ERROR,
    "unknown": ResultStatus.NOT_REVIEWED,
    "notchecked": ResultStatus.NOT_REVIEWED,
    "informational": ResultStatus.NOT_REVIEWED,
    "notapplicable": ResultStatus.NOT_APPLICABLE,
    "notselected": ResultStatus.NOT_APPLICABLE,
}

# Tools by the product part of TestResult/@test-system (a CPE name).
_TOOLS = {
    "scc": "SCAP Compliance Checker",
    "openscap": "OpenSCAP",
    "evaluate-stig": "Evaluate-STIG",
    "stig-manager": "STIG Manager",
}
_CPE = re.compile(r"^cpe:(?:/[aho]|2\.3:[aho]):([^:]*):([^:]*)(?::([^:]*))?")
_CCI_SYSTEM = "http://cyber.mil/cci"
_LEGACY_SYSTEM = "http://cyber.mil/legacy"
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_DISA_RULE = re.compile(r"(SV-\d+r\d+_rule)")
# An SP 800-53 control or enhancement at the start of a reference ("CM-6(a)" -> "CM-6").
_CONTROL = re.compile(r"^\s*([A-Za-z]{2}-\d+(?:\s*\(\d+\))?)")
_WRAP = re.compile(r"[ \t]*\n[ \t]{2,}")
_SM_ASSET_NAME = ":asset:name"  # STIG Manager's fact, the name its CKL exports use


@dataclass
class _Rule:
    title: str = ""
    severity: str = ""
    description: str = ""
    check: str = ""
    fix: str = ""
    version: str = ""
    group_id: str = ""
    group_title: str = ""
    idents: tuple[tuple[str, str], ...] = ()
    controls: tuple[str, ...] = ()


@dataclass
class _Run:
    """One TestResult: one target."""

    start: datetime | None
    tool: str
    tool_version: str
    asset: Asset | None = None
    scope: str = ""


@dataclass
class _State:
    source: str
    benchmark_id: str = ""
    title: str = ""
    version: str = ""
    release: str = ""
    rules: dict[str, _Rule] = field(default_factory=dict)
    groups: list[dict[str, str]] = field(default_factory=list)
    run: _Run | None = None
    told_scan: bool = False
    results: int = 0


def _local(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        return ""  # comment or processing instruction
    qname = etree.QName(element)
    return qname.localname if qname.namespace in NAMESPACES else ""


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _prose(element: etree._Element | None) -> str:
    """Rule text without the pretty-printer's line wraps (SCC indents continuation
    lines); paragraph breaks, which carry no indentation, are kept."""
    return _WRAP.sub(" ", _text(element))


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if _local(child) == name:
            return child
    return None


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def parse_xccdf(stream: BinaryIO, *, source: str) -> Iterator[Record]:
    state = _State(source)
    root: etree._Element | None = None
    for event, element in xmlsafe.iterparse(stream, source=source, events=("start", "end")):
        if root is None:
            root = element
            _check_root(element, state)
        name = _local(element)
        if event == "start":
            _on_start(name, element, state)
        else:
            yield from _on_end(name, element, state, root)
    if state.results == 0:
        raise FormatError("the XCCDF file holds no rule results (no TestResult): it is a "
                          "benchmark, not a scan", source=source)


def _check_root(element: etree._Element, state: _State) -> None:
    name = _local(element)
    if name not in ("Benchmark", "TestResult"):
        raise FormatError(f"expected an XCCDF Benchmark or TestResult root element, found "
                          f"{element.tag!r}", source=state.source, line=element.sourceline)
    if name == "Benchmark":
        state.benchmark_id = element.get("id", "")


def _on_start(name: str, element: etree._Element, state: _State) -> None:
    if name == "Group":
        state.groups.append({"id": element.get("id", ""), "title": ""})
    elif name == "TestResult":
        state.run = _start_run(element, state.source)


def _on_end(name: str, element: etree._Element, state: _State,
            root: etree._Element) -> Iterator[Record]:
    parent = element.getparent()
    if name == "rule-result":
        yield from _result(element, state)
        xmlsafe.clear(element)
    elif name == "Rule":
        state.rules[element.get("id", "")] = _rule(element, state)
        xmlsafe.clear(element)
    elif name == "Group":
        state.groups.pop()
        xmlsafe.clear(element)
    elif name == "TestResult":
        yield from _finish_run(element, state)
        xmlsafe.clear(element)
    elif parent is root and name and _local(root) == "Benchmark":
        _benchmark_detail(name, element, state)
        xmlsafe.clear(element)
    elif name == "title" and parent is not None and _local(parent) == "Group":
        state.groups[-1]["title"] = _text(element)


def _benchmark_detail(name: str, element: etree._Element, state: _State) -> None:
    if name == "title":
        state.title = _text(element)
    elif name == "version":
        state.version = _text(element)
    elif name == "plain-text" and element.get("id") == "release-info":
        state.release = _text(element)


def _rule(element: etree._Element, state: _State) -> _Rule:
    group = state.groups[-1] if state.groups else {"id": "", "title": ""}
    check = _child(element, "check")
    return _Rule(
        title=_text(_child(element, "title")),
        severity=element.get("severity", ""),
        description=_WRAP.sub(" ", stig.discussion(_text(_child(element, "description")))),
        check=_prose(_child(check, "check-content")) if check is not None else "",
        fix=_prose(_child(element, "fixtext")),
        version=_text(_child(element, "version")),
        group_id=group["id"],
        group_title=group["title"],
        idents=_idents(element),
        controls=_controls(element),
    )


def _idents(element: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple((ident.get("system", ""), _text(ident))
                 for ident in _children(element, "ident"))


def _controls(element: etree._Element) -> tuple[str, ...]:
    """SP 800-53 ids from Rule references that name SP 800-53 (SCAP Security Guide
    content does; DISA STIG content does not, it carries CCIs only)."""
    found: list[str] = []
    for reference in _children(element, "reference"):
        if "800-53" not in reference.get("href", ""):
            continue
        for part in _text(reference).split(","):
            match = _CONTROL.match(part)
            if not match:
                continue
            try:
                control = normalise(Catalog.NIST_800_53_R5, match.group(1))
            except ControlIdError:
                continue
            if control not in found:
                found.append(control)
    return tuple(found)


def _start_run(element: etree._Element, source: str) -> _Run:
    start = stig.parse_time(element.get("start-time"), source=source, field="start-time")
    end = stig.parse_time(element.get("end-time"), source=source, field="end-time")
    tool, version = _tool(element.get("test-system", ""))
    return _Run(start=start or end, tool=tool, tool_version=version)


def _tool(test_system: str) -> tuple[str, str]:
    match = _CPE.match(test_system.strip())
    if not match:
        return (test_system.strip() or "XCCDF"), ""
    product = match.group(2).lower()
    return _TOOLS.get(product, match.group(2)), (match.group(3) or "")


def _result(element: etree._Element, state: _State) -> Iterator[Record]:
    run = state.run
    if run is None:
        raise FormatError("a rule-result outside a TestResult", source=state.source,
                          line=element.sourceline)
    if run.asset is None:
        yield from _begin_target(element.getparent(), state)
    state.results += 1
    yield _finding(element, state, run)


def _finish_run(element: etree._Element, state: _State) -> Iterator[Record]:
    """A TestResult with no rule-result still covers its target."""
    if state.run is not None and state.run.asset is None:
        yield from _begin_target(element, state)
    state.run = None


def _begin_target(test_result: etree._Element, state: _State) -> Iterator[Record]:
    run = state.run
    assert run is not None
    run.asset = _asset(test_result, state.source)
    run.scope = _scope(test_result, state)
    if not state.told_scan:
        state.told_scan = True
        yield ScanInfo(scanner=run.tool, scanner_version=run.tool_version,
                       scan_time=run.start, name=state.title)
    yield Target(scope=run.scope, asset=run.asset)


def _scope(test_result: etree._Element, state: _State) -> str:
    """``stig:<STIG id>`` for DISA benchmarks (same as their CKL), else ``xccdf:<id>``."""
    if not state.benchmark_id:
        benchmark = _child(test_result, "benchmark")
        if benchmark is not None:
            state.benchmark_id = benchmark.get("id") or benchmark.get("href", "")
    if not state.benchmark_id:
        raise FormatError("the results name no benchmark", source=state.source,
                          line=test_result.sourceline, field="benchmark")
    stig_id = stig.stig_id_from_benchmark(state.benchmark_id)
    if stig_id:
        return stig.scope(stig_id)
    # Not a DISA STIG (e.g. OpenSCAP over Red Hat OVAL): its own family of checks.
    return f"xccdf:{state.benchmark_id}"


def _facts(test_result: etree._Element) -> dict[str, list[str]]:
    """Target facts by the last part of their name (``...:identifier:fqdn`` -> fqdn)."""
    facts: dict[str, list[str]] = {}
    target_facts = _child(test_result, "target-facts")
    for fact in _children(target_facts, "fact") if target_facts is not None else []:
        name = fact.get("name", "")
        key = "sm_asset_name" if name.endswith(_SM_ASSET_NAME) else name.rsplit(":", 1)[-1]
        facts.setdefault(key.lower(), []).append(_text(fact))
    return facts


def _asset(test_result: etree._Element, source: str) -> Asset:
    facts = _facts(test_result)

    def fact(*names: str) -> str:
        for name in names:
            for value in facts.get(name, []):
                if value:
                    return value
        return ""

    addresses = [_text(a).split("/")[0] for a in _children(test_result, "target-address")]
    ips = [a for a in [*facts.get("ipv4", []), *addresses] if stig.usable_address(a)]
    macs = [m for m in [*facts.get("mac", []), *facts.get("macaddress", [])]
            if m and m.strip("0:") != ""]
    host = (fact("sm_asset_name") or _text(_child(test_result, "target"))
            or fact("host_name", "hostname"))
    os_name = " ".join(part for part in (fact("os_name"), fact("os_version")) if part)
    return stig.stig_asset(
        source=source, host_name=host, fqdn=fact("fqdn"),
        ip=(ips[0] if ips else fact("ipaddress")), mac=(macs[0] if macs else ""),
        os=os_name, web_or_database=stig.is_true(fact("webordatabase")),
        site=fact("site"), instance=fact("instance"))


def _status(element: etree._Element, source: str) -> tuple[ResultStatus, str]:
    word = _text(_child(element, "result")).lower()
    if word not in RESULTS:
        raise FormatError(f"unknown XCCDF result {word!r}" if word else
                          "the rule-result has no result", source=source,
                          line=element.sourceline, field="result")
    return RESULTS[word], word


def _weakness(idref: str, rule: _Rule) -> str:
    """The Group V-number for DISA content (stable across releases), else the rule id."""
    return (stig.vuln_id(rule.group_id) or stig.vuln_id_from_rule(idref) or idref)


def _finding(element: etree._Element, state: _State, run: _Run) -> Finding:
    idref = element.get("idref", "")
    if not idref:
        raise FormatError("the rule-result has no idref", source=state.source,
                          line=element.sourceline, field="idref")
    rule = state.rules.get(idref, _Rule())
    status, word = _status(element, state.source)
    idents = (*rule.idents, *_idents(element))
    raw_severity = element.get("severity") or rule.severity
    weakness = _weakness(idref, rule)
    version = element.get("version") or rule.version
    return stig.with_cci_controls(Finding(
        scope=run.scope,
        weakness_id=weakness,
        asset=run.asset,
        title=rule.title or version or weakness,
        status=status,
        severity=stig.severity(raw_severity),
        raw_severity=raw_severity,
        description=stig.join_text(("", rule.description), ("Check", rule.check)),
        solution=rule.fix,
        evidence=_evidence(element),
        cves=_unique(text.upper() for _, text in idents if _CVE.match(text)),
        ccis=stig.ccis(text for system, text in idents
                       if system == _CCI_SYSTEM or text.upper().startswith("CCI-")),
        controls=rule.controls,
        scanner=run.tool,
        scanner_version=run.tool_version,
        last_seen=stig.parse_time(element.get("time"), source=state.source,
                                  field="rule-result time") or run.start,
        extra=_extra(idref, rule, version, word, idents, state),
    ))


def _evidence(element: etree._Element) -> str:
    """Tool messages (SCC, Evaluate-STIG); STIG Manager puts its detail in the check."""
    parts = [_text(message) for message in _children(element, "message")]
    for node in element.iter():
        if isinstance(node.tag, str) and etree.QName(node).localname in ("detail", "comment") \
                and etree.QName(node).namespace not in NAMESPACES:
            parts.append(_text(node))
    return stig.join_text(*(("", part) for part in parts))


def _extra(idref: str, rule: _Rule, version: str, word: str,
           idents: tuple[tuple[str, str], ...], state: _State) -> dict:
    disa_rule = _DISA_RULE.search(idref)
    extra = {
        "rule_id": disa_rule.group(1) if disa_rule else idref,
        "rule_version": version,
        "group_title": rule.group_title,
        "legacy_ids": list(_unique(text for system, text in idents
                                   if system == _LEGACY_SYSTEM)),
        "result": word,
        "benchmark_id": state.benchmark_id,
        "stig_title": state.title,
        "stig_version": state.version,
        "stig_release": state.release,
    }
    return {key: value for key, value in extra.items() if value}


def _unique(values) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        if value and value not in found:
            found.append(value)
    return tuple(found)
