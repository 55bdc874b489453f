"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) from any tool.

Field names are from the OASIS SARIF 2.1.0 specification (sarifLog, run, tool.driver,
reportingDescriptor, result, physicalLocation); severity bands for ``security-severity``
are GitHub code scanning's (>= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low).
See samples/FORMATS.md section 5.

Identity and granularity:
- scope ``sarif:<tool driver name, lower case>``: two tools never close each other's items;
- asset: the repository (``versionControlProvenance[0].repositoryUri``), else the
  ``asset`` argument, else the report's file name (fail safe: a report that does not say
  which code base it covers never closes the findings of another);
- weakness: the rule id. All results of one rule in one code base are one finding, with
  every location (file, line, partialFingerprints) kept in ``extra["locations"]``; line
  numbers and fingerprints move as code is edited, the rule does not. The item closes when
  a later complete run of the same tool reports no result of that rule.
Results that are suppressed, absent from the baseline, or of kind pass/notApplicable do not
open items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo,
                                      Severity, Target)
from openpoam.formats.base import ASSET, FormatError
from openpoam.formats.scan_common import TEXT_LIMIT
from openpoam.formats.streams import sniff_text
from openpoam.formats.json_common import (as_dict, as_list, cwe, iso_datetime, load_json,
                                             text, unique)

MAX_EVIDENCE = TEXT_LIMIT  # the shared per-field limit (scan_common)
MAX_LOCATIONS = 1000  # per finding; the count is kept in full

# SARIF 3.27.10 level -> normalised severity, used when no security-severity is given.
LEVELS = {"error": Severity.HIGH, "warning": Severity.MODERATE, "note": Severity.LOW,
          "none": Severity.INFO}
# Words tools put in result/rule properties (dependency-check "severity", CVSS v3
# qualitative ratings).
WORDS = {"info": Severity.INFO, "informational": Severity.INFO, "none": Severity.INFO,
         "low": Severity.LOW, "medium": Severity.MODERATE, "moderate": Severity.MODERATE,
         "high": Severity.HIGH, "critical": Severity.CRITICAL}
# SARIF 3.27.9 result.kind; "fail" is the default.
KINDS = {"fail": ResultStatus.OPEN, "pass": ResultStatus.PASSED,
         "notApplicable": ResultStatus.NOT_APPLICABLE,
         "informational": ResultStatus.NOT_APPLICABLE,
         "review": ResultStatus.NOT_REVIEWED, "open": ResultStatus.NOT_REVIEWED}
# When results of one rule disagree, the finding takes the first status found here.
STATUS_ORDER = (ResultStatus.OPEN, ResultStatus.NOT_REVIEWED, ResultStatus.PASSED,
                ResultStatus.NOT_APPLICABLE)
SEVERITY_ORDER = list(Severity)

_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_CWE_TAG = re.compile(r"(?i)^(?:external/cwe/)?cwe[-_/]?(\d+)$")
_VERSION = re.compile(r'"version"\s*:\s*"2\.1\.0"')
_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*sarif[^"]*"', re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


class SarifImporter:
    key = "sarif"
    label = "SARIF 2.1.0 (CodeQL, Semgrep, Grype, dependency-check, ...)"
    options = frozenset({ASSET})

    def sniff(self, head: bytes, filename: str) -> bool:
        text_head = sniff_text(head).lstrip()
        if not text_head.startswith("{") or '"runs"' not in text_head:
            return False
        return bool(_VERSION.search(text_head) or _SCHEMA.search(text_head))

    def parse(self, stream: BinaryIO, *, source: str, asset: str = "") -> Iterator[Record]:
        """``asset`` names the code base when the runs carry no versionControlProvenance."""
        data = load_json(stream, source=source)
        if not isinstance(data, dict) or "runs" not in data:
            raise FormatError("not a SARIF log (no runs[])", source=source)
        version = text(data.get("version"))
        if version != "2.1.0":
            raise FormatError(f"unsupported SARIF version {version or '(none)'!r}; "
                              "expected 2.1.0", source=source, field="version")
        runs = [as_dict(r, source=source, field=f"runs[{i}]")
                for i, r in enumerate(as_list(data["runs"], source=source, field="runs"))]
        yield _scan_info(runs, source)
        covered: set[tuple[str, str]] = set()
        for i, run in enumerate(runs):
            yield from _Run(run, i, source, asset.strip()).records(covered)


def _scan_info(runs: list[dict], source: str) -> ScanInfo:
    tools = unique(text(_driver(run, source, i).get("name")) for i, run in enumerate(runs))
    versions = unique(_tool_version(_driver(run, source, i)) for i, run in enumerate(runs))
    times = [t for i, run in enumerate(runs) for t in _invocation_times(run, source, i)]
    return ScanInfo(scanner=", ".join(tools) or "SARIF",
                    scanner_version=versions[0] if len(tools) == 1 and versions else "",
                    scan_time=min(times) if times else None)


def _driver(run: dict, source: str, index: int) -> dict:
    tool = as_dict(run.get("tool"), source=source, field=f"runs[{index}].tool")
    driver = as_dict(tool.get("driver"), source=source, field=f"runs[{index}].tool.driver")
    if not text(driver.get("name")):
        raise FormatError("the tool has no name", source=source,
                          field=f"runs[{index}].tool.driver.name")
    return driver


def _tool_version(driver: dict) -> str:
    return text(driver.get("version")) or text(driver.get("semanticVersion"))


def _invocation_times(run: dict, source: str, index: int) -> list:
    times = []
    for j, inv in enumerate(as_list(run.get("invocations"), source=source,
                                    field=f"runs[{index}].invocations")):
        inv = as_dict(inv, source=source, field=f"runs[{index}].invocations[{j}]")
        for key in ("startTimeUtc", "endTimeUtc"):
            when = iso_datetime(inv.get(key), source=source,
                                field=f"runs[{index}].invocations[{j}].{key}")
            if when:
                times.append(when)
                break
    return times


@dataclass
class _Group:
    """All results of one rule in one run."""

    rule_id: str
    rule: dict
    statuses: list[ResultStatus] = field(default_factory=list)
    graded: list[tuple[Severity, str, bool]] = field(default_factory=list)  # (sev, raw, open)
    locations: list[dict] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    evidence_size: int = 0
    messages: list[str] = field(default_factory=list)
    properties: dict = field(default_factory=dict)
    source_refs: list[str] = field(default_factory=list)
    count: int = 0


class _Run:
    def __init__(self, run: dict, index: int, source: str, asset_override: str):
        self.run = run
        self.index = index
        self.source = source
        self.driver = _driver(run, source, index)
        self.tool = text(self.driver.get("name"))
        self.scope = f"sarif:{self.tool.lower()}"
        self.asset = self._asset(asset_override)
        times = _invocation_times(run, source, index)
        self.scan_time = max(times) if times else None
        self.artifacts = as_list(run.get("artifacts"), source=source,
                                 field=f"runs[{index}].artifacts")
        self.rules = self._rules()

    def records(self, covered: set[tuple[str, str]]) -> Iterator[Record]:
        if self._ran():
            key = (self.scope, self.asset.key)
            if key not in covered:
                covered.add(key)
                yield Target(self.scope, self.asset)
        groups: dict[str, _Group] = {}
        where = f"runs[{self.index}].results"
        for j, result in enumerate(as_list(self.run.get("results"), source=self.source,
                                           field=where)):
            self._add(groups, as_dict(result, source=self.source, field=f"{where}[{j}]"),
                      f"{where}[{j}]")
        for group in groups.values():
            yield self._finding(group)

    def _ran(self) -> bool:
        """Coverage only when the tool ran: results null or a failed invocation tells nothing."""
        if self.run.get("results") is None:
            return False
        for inv in self.run.get("invocations") or []:
            if isinstance(inv, dict) and inv.get("executionSuccessful") is False:
                return False
        return True

    # -- asset and rules --------------------------------------------------------------

    def _asset(self, override: str) -> Asset:
        if override:
            return Asset(key=override, name=override, kind="repository")
        for vcp in self.run.get("versionControlProvenance") or []:
            uri = text(vcp.get("repositoryUri")) if isinstance(vcp, dict) else ""
            if uri:
                return Asset(key=repository_key(uri), name=uri, kind="repository")
        stem = PurePath(self.source).stem or self.source
        return Asset(key=stem, name=stem, kind="repository")

    def _rules(self) -> list[list[dict]]:
        """Rules of the driver (component 0 here) and of each extension (1..n)."""
        tool = self.run.get("tool") or {}
        components = [self.driver, *[e for e in tool.get("extensions") or []
                                     if isinstance(e, dict)]]
        return [[r for r in (c.get("rules") or []) if isinstance(r, dict)] for c in components]

    def _rule_for(self, result: dict) -> dict:
        ref = result.get("rule") if isinstance(result.get("rule"), dict) else {}
        index = result.get("ruleIndex", ref.get("index"))
        component = 0
        tool_ref = ref.get("toolComponent")
        if isinstance(tool_ref, dict) and isinstance(tool_ref.get("index"), int):
            component = tool_ref["index"] + 1
        rules = self.rules[component] if component < len(self.rules) else []
        if isinstance(index, int) and 0 <= index < len(rules):
            return rules[index]
        wanted = text(result.get("ruleId")) or text(ref.get("id"))
        for group in self.rules:
            for rule in group:
                if text(rule.get("id")) == wanted:
                    return rule
        return {}

    # -- results ----------------------------------------------------------------------

    def _add(self, groups: dict[str, _Group], result: dict, where: str) -> None:
        rule = self._rule_for(result)
        ref = result.get("rule") if isinstance(result.get("rule"), dict) else {}
        rule_id = text(result.get("ruleId")) or text(ref.get("id")) or text(rule.get("id"))
        if not rule_id:
            raise FormatError("the result names no rule", source=self.source,
                              field=f"{where}.ruleId")
        group = groups.setdefault(rule_id, _Group(rule_id, rule))
        group.count += 1
        level = text(result.get("level")) or _default_level(rule) or "warning"
        if level not in LEVELS:
            raise FormatError(f"unknown level {level!r}", source=self.source,
                              field=f"{where}.level")
        status = _status(result, level)
        severity, raw = self._severity(result, rule, level)
        group.statuses.append(status)
        group.graded.append((severity, raw, status is ResultStatus.OPEN))
        message = _message(result, rule)
        if message and message not in group.messages and len(group.messages) < 20:
            group.messages.append(message)
        props = result.get("properties") if isinstance(result.get("properties"), dict) else {}
        if props and not group.properties:
            group.properties = props
        ref_id = text(result.get("guid")) or text(result.get("correlationGuid"))
        if ref_id:
            group.source_refs.append(ref_id)
        location = self._location(result, status)
        if len(group.locations) < MAX_LOCATIONS:
            group.locations.append(location)
        place = location.get("uri", "")
        if "line" in location:
            place = f"{place}:{location['line']}"
        line = f"{place}: {message}" if place else message
        if group.evidence_size + len(line) < MAX_EVIDENCE:
            group.evidence.append(line)
            group.evidence_size += len(line) + 1

    def _severity(self, result: dict, rule: dict, level: str) -> tuple[Severity, str]:
        rule_props = rule.get("properties") if isinstance(rule.get("properties"), dict) else {}
        props = result.get("properties") if isinstance(result.get("properties"), dict) else {}
        score = text(props.get("security-severity")) or text(rule_props.get("security-severity"))
        if score:
            try:
                value = float(score)
            except ValueError:
                raise FormatError(f"security-severity {score!r} is not a number",
                                  source=self.source, field="security-severity") from None
            return _band(value), f"{level} (security-severity {score})"
        for key in ("severity", "cvssv3_baseSeverity", "cvssv2_severity"):
            word = text(props.get(key)).lower()
            if word in WORDS:
                return WORDS[word], f"{level} ({key} {props.get(key)})"
        return LEVELS[level], level

    def _location(self, result: dict, status: ResultStatus) -> dict:
        found: dict[str, Any] = {}
        locations = result.get("locations") or []
        first = locations[0] if locations and isinstance(locations[0], dict) else {}
        physical = first.get("physicalLocation") if isinstance(first.get("physicalLocation"),
                                                               dict) else {}
        artifact = physical.get("artifactLocation") if isinstance(
            physical.get("artifactLocation"), dict) else {}
        uri = text(artifact.get("uri"))
        index = artifact.get("index")
        if not uri and isinstance(index, int) and 0 <= index < len(self.artifacts):
            entry = self.artifacts[index] if isinstance(self.artifacts[index], dict) else {}
            uri = text((entry.get("location") or {}).get("uri"))
        if uri:
            found["uri"] = uri
        if text(artifact.get("uriBaseId")):
            found["uri_base"] = text(artifact.get("uriBaseId"))
        region = physical.get("region") if isinstance(physical.get("region"), dict) else {}
        if isinstance(region.get("startLine"), int):
            found["line"] = region["startLine"]
        prints = result.get("partialFingerprints") or result.get("fingerprints")
        if isinstance(prints, dict) and prints:
            found["fingerprint"] = ";".join(f"{k}={v}" for k, v in sorted(prints.items()))
        if status is not ResultStatus.OPEN:
            found["status"] = str(status)
        baseline = text(result.get("baselineState"))
        if baseline:
            found["baseline_state"] = baseline
        return found

    def _finding(self, group: _Group) -> Finding:
        rule = group.rule
        rule_props = rule.get("properties") if isinstance(rule.get("properties"), dict) else {}
        status = next(s for s in STATUS_ORDER if s in group.statuses)
        # The most severe open result speaks for the finding; when none is open, any.
        graded = [g for g in group.graded if g[2]] or group.graded
        severity, raw, _ = max(graded, key=lambda g: SEVERITY_ORDER.index(g[0]))
        title = (_text_of(rule.get("shortDescription")) or text(rule_props.get("name"))
                 or _headline(group.messages) or group.rule_id)
        description = _text_of(rule.get("fullDescription")) or "\n".join(group.messages)
        help_block = rule.get("help") if isinstance(rule.get("help"), dict) else {}
        help_text = text(help_block.get("text")) or text(help_block.get("markdown"))
        tags = [text(t) for t in rule_props.get("tags") or []]
        searched = " ".join([group.rule_id, title, *group.messages[:1]])
        first = group.locations[0] if group.locations else {}
        extra = {
            "file_path": first.get("uri", ""), "line": first.get("line"),
            "tool": self.tool, "rule": group.rule_id, "result_count": group.count,
            "locations": group.locations, "precision": text(rule_props.get("precision")),
            "tags": tags, "cvss": _cvss(group.properties),
        }
        return Finding(
            scope=self.scope, weakness_id=group.rule_id, asset=self.asset, title=title,
            status=status, severity=severity, raw_severity=raw,
            description=description, solution=help_text,
            evidence="\n".join(group.evidence),
            cves=unique(m.upper() for m in _CVE.findall(searched)),
            cwes=unique(_cwe_tag(t) for t in tags),
            references=unique([text(rule.get("helpUri"))]),
            scanner=self.tool, scanner_version=_tool_version(self.driver),
            last_seen=self.scan_time, source_ref=",".join(group.source_refs[:20]),
            extra={k: v for k, v in extra.items() if v not in ("", [], {}, None)},
        )


def repository_key(uri: str) -> str:
    """https://GitHub.com/org/repo.git/ -> https://github.com/org/repo"""
    key = uri.strip().rstrip("/")
    if key.endswith(".git"):
        key = key[:-4]
    match = re.match(r"^([a-zA-Z][\w+.-]*://)([^/]+)(.*)$", key)
    if match:
        key = match.group(1).lower() + match.group(2).lower() + match.group(3)
    return key


def _default_level(rule: dict) -> str:
    config = rule.get("defaultConfiguration")
    return text(config.get("level")) if isinstance(config, dict) else ""


def _status(result: dict, level: str) -> ResultStatus:
    for suppression in result.get("suppressions") or []:
        # A suppression under review or rejected does not (yet) hide the result.
        if isinstance(suppression, dict) and text(suppression.get("status")) not in (
                "underReview", "rejected"):
            return ResultStatus.NOT_APPLICABLE
    if text(result.get("baselineState")) == "absent":
        return ResultStatus.PASSED
    kind = text(result.get("kind")) or "fail"
    return KINDS.get(kind, ResultStatus.OPEN)


def _band(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MODERATE
    return Severity.LOW if score > 0 else Severity.INFO


def _headline(messages: list[str]) -> str:
    """First line of the first message; dependency-check repeats it as "A - A"."""
    if not messages:
        return ""
    line = messages[0].splitlines()[0].strip()
    half, sep, rest = line.partition(" - ")
    if sep and half == rest:
        line = half
    return line[:200]


def _text_of(value: Any) -> str:
    return text(value.get("text")) if isinstance(value, dict) else ""


def _message(result: dict, rule: dict) -> str:
    message = result.get("message") if isinstance(result.get("message"), dict) else {}
    body = text(message.get("text"))
    if not body and text(message.get("id")):  # a message template from the rule
        strings = rule.get("messageStrings") if isinstance(rule.get("messageStrings"),
                                                           dict) else {}
        body = _text_of(strings.get(text(message.get("id"))))
    arguments = message.get("arguments") or []
    if arguments and body:
        body = _PLACEHOLDER.sub(lambda m: str(arguments[int(m.group(1))])
                                if int(m.group(1)) < len(arguments) else m.group(0), body)
    return body


def _cwe_tag(tag: str) -> str:
    match = _CWE_TAG.match(tag.strip())
    return cwe(match.group(1)) if match else ""


def _cvss(props: dict) -> dict:
    """dependency-check writes CVSS as flat result properties (cvssv3_baseScore ...)."""
    return {k: v for k, v in props.items() if k.startswith("cvss")}
