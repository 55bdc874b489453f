"""Column mapping for the generic CSV importer: which column holds what.

See README.md in this folder for the user-facing description and an example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpoam.domain.findings import ResultStatus, Severity
from openpoam.formats.json_depth import check_bytes

# Field -> header names recognised by default, in order of preference. Headers are compared
# after normalising (lower case, letters and digits only), so "Rule ID", "rule_id" and
# "RuleId" are one name.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "weakness_id": ("Weakness ID", "Rule ID", "Check ID", "Vulnerability ID", "Vuln ID",
                    "Plugin ID", "Signature ID"),
    "title": ("Title", "Name", "Vulnerability", "Vulnerability Name", "Vulnerability Title",
              "Vuln Title", "Finding", "Finding Title", "Issue", "Issue Name", "Weakness",
              "Weakness Name"),
    "asset": ("Asset", "Asset Name", "Host", "Hostname", "Host Name", "Target", "System",
              "Component", "Resource", "Device", "IP", "IP Address", "FQDN", "URL"),
    "ip": ("IP", "IP Address", "IPv4", "IPv4 Address"),
    "fqdn": ("FQDN", "DNS", "DNS Name"),
    "os": ("OS", "Operating System"),
    "port": ("Port",),
    "protocol": ("Protocol", "Proto"),
    "severity": ("Severity", "Risk", "Risk Rating", "Criticality", "Severity Level"),
    "cve": ("CVE", "CVEs", "CVE ID", "CVE IDs"),
    "cwe": ("CWE", "CWE ID", "CWEs"),
    "cvss": ("CVSS", "CVSS Score", "CVSS Base Score", "CVSS3", "CVSS v3 Base Score",
             "CVSS3 Base Score"),
    "description": ("Description", "Details", "Synopsis", "Summary"),
    "solution": ("Solution", "Remediation", "Recommendation", "Fix", "Mitigation"),
    "evidence": ("Evidence", "Output", "Plugin Output", "Proof", "Result"),
    "references": ("References", "Reference", "See Also", "Links"),
    "first_seen": ("First Seen", "First Detected", "First Found", "First Discovered",
                   "Date Found", "Discovered"),
    "last_seen": ("Last Seen", "Last Detected", "Last Found", "Last Observed"),
    "status": ("Status", "State", "Vulnerability State", "Result Status"),
    "scanner": ("Scanner", "Tool", "Source Tool"),
}
FIELDS = tuple(DEFAULT_ALIASES)
REQUIRED = ("asset", "title")  # "title" is satisfied by a weakness_id column too

# Words understood without a severity_map (case-insensitive).
SEVERITY_WORDS = {
    "critical": Severity.CRITICAL, "very high": Severity.CRITICAL, "urgent": Severity.CRITICAL,
    "high": Severity.HIGH, "important": Severity.HIGH, "cat i": Severity.HIGH,
    "medium": Severity.MODERATE, "moderate": Severity.MODERATE, "cat ii": Severity.MODERATE,
    "low": Severity.LOW, "minor": Severity.LOW, "cat iii": Severity.LOW,
    "info": Severity.INFO, "informational": Severity.INFO, "information": Severity.INFO,
    "none": Severity.INFO, "negligible": Severity.INFO, "unknown": Severity.INFO,
}
STATUS_WORDS = {
    "open": ResultStatus.OPEN, "active": ResultStatus.OPEN, "new": ResultStatus.OPEN,
    "reopened": ResultStatus.OPEN, "re-opened": ResultStatus.OPEN, "fail": ResultStatus.OPEN,
    "failed": ResultStatus.OPEN, "vulnerable": ResultStatus.OPEN,
    "fixed": ResultStatus.PASSED, "closed": ResultStatus.PASSED,
    "resolved": ResultStatus.PASSED, "remediated": ResultStatus.PASSED,
    "pass": ResultStatus.PASSED, "passed": ResultStatus.PASSED,
    "not applicable": ResultStatus.NOT_APPLICABLE, "n/a": ResultStatus.NOT_APPLICABLE,
    "false positive": ResultStatus.NOT_APPLICABLE,
    "not reviewed": ResultStatus.NOT_REVIEWED, "error": ResultStatus.ERROR,
}


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass(frozen=True)
class Mapping:
    """How to read one CSV layout.

    ``columns`` names the header of a field explicitly (it must then exist); fields not
    named there are looked up among ``DEFAULT_ALIASES`` unless ``use_defaults`` is False.
    """

    columns: dict[str, str] = field(default_factory=dict)
    scope: str = ""  # default: "csv:<scanner column value>" or "csv:generic"
    delimiter: str = ","
    date_formats: tuple[str, ...] = ()  # strptime formats tried after ISO 8601
    severity_map: dict[str, str] = field(default_factory=dict)  # raw value -> Severity word
    status_map: dict[str, str] = field(default_factory=dict)  # raw value -> ResultStatus
    use_defaults: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        known = {"columns", "scope", "delimiter", "date_formats", "severity_map",
                 "status_map", "use_defaults"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown mapping keys: {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(known))})")
        columns = dict(data.get("columns") or {})
        bad = set(columns) - set(FIELDS)
        if bad:
            raise ValueError(f"unknown fields in columns: {', '.join(sorted(bad))} "
                             f"(known: {', '.join(FIELDS)})")
        severity_map = {str(k).strip().lower(): str(v).strip().lower()
                        for k, v in (data.get("severity_map") or {}).items()}
        for raw, word in severity_map.items():
            if word not in {s.value for s in Severity}:
                raise ValueError(f"severity_map: {raw!r} -> {word!r} is not one of "
                                 f"{', '.join(s.value for s in Severity)}")
        status_map = {str(k).strip().lower(): str(v).strip().lower()
                      for k, v in (data.get("status_map") or {}).items()}
        for raw, word in status_map.items():
            if word not in {s.value for s in ResultStatus}:
                raise ValueError(f"status_map: {raw!r} -> {word!r} is not one of "
                                 f"{', '.join(s.value for s in ResultStatus)}")
        delimiter = str(data.get("delimiter", ","))
        if len(delimiter) != 1:
            raise ValueError("delimiter must be one character")
        return cls(columns=columns, scope=str(data.get("scope", "")).strip(),
                   delimiter=delimiter,
                   date_formats=tuple(str(f) for f in data.get("date_formats") or ()),
                   severity_map=severity_map, status_map=status_map,
                   use_defaults=bool(data.get("use_defaults", True)))

    @classmethod
    def from_json(cls, path: str | Path) -> Mapping:
        data = Path(path).read_bytes()
        check_bytes(data, source=str(path))
        return cls.from_dict(json.loads(data.decode("utf-8")))

    def resolve(self, headers: list[str]) -> tuple[dict[str, int], list[str]]:
        """Field -> column index for this header row, and the explicit columns not found."""
        by_name = {}
        for index, header in enumerate(headers):
            by_name.setdefault(normalise(header), index)
        found: dict[str, int] = {}
        missing: list[str] = []
        for name, header in self.columns.items():
            if normalise(header) in by_name:
                found[name] = by_name[normalise(header)]
            else:
                missing.append(f"{name} ({header!r})")
        if self.use_defaults:
            taken = set(found.values())
            for name, aliases in DEFAULT_ALIASES.items():
                if name in found or name in self.columns:
                    continue
                for alias in aliases:
                    index = by_name.get(normalise(alias))
                    # one column serves one field, except ip/fqdn which may also be the asset
                    if index is not None and (index not in taken or name in ("ip", "fqdn")):
                        found[name] = index
                        if name not in ("ip", "fqdn"):
                            taken.add(index)
                        break
        return found, missing


DEFAULT_MAPPING = Mapping()
