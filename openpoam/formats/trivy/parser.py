"""Aqua Trivy JSON reports: schema 2, the legacy top-level array, and ``trivy k8s``.

Field names are from Trivy's JSON output (pkg/types/report.go, pkg/types/vulnerability.go,
pkg/k8s/report) as they appear in the sample reports; see samples/FORMATS.md section 6.

Identity (stable from one monthly scan to the next):
- asset: the image without tag or digest, the scanned path or repository, or for
  ``trivy k8s`` the resource ``cluster/namespace/kind/name``;
- vulnerability: ``<VulnerabilityID>:<PkgName>``, plus the package path for language
  packages (two copies of a library are two items), with the version in the path replaced
  by ``*``; never the installed version;
- misconfiguration: ``<ID>:<Target>`` (+ ``@L<StartLine>`` when one file fails a check twice);
- secret: ``<RuleID>:<Target>`` (+ ``@L<StartLine>`` likewise).
The same CVE in the same package reported for several layers is yielded once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, BinaryIO

from openpoam.domain.findings import (Asset, Finding, Record, ResultStatus, ScanInfo,
                                      Severity, Target)
from openpoam.formats.base import ASSET, FormatError
from openpoam.formats.streams import sniff_text
from openpoam.formats.container_images import image_key, strip_os_suffix
from openpoam.formats.json_common import (as_dict, as_list, cwe, iso_datetime, load_json,
                                             required_text, text, unique, without_version)

SCOPE = "trivy"
SCANNER = "Trivy"

# Trivy's severity words (pkg/types: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL).
SEVERITIES = {
    "UNKNOWN": Severity.INFO,
    "LOW": Severity.LOW,
    "MEDIUM": Severity.MODERATE,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}

# Vulnerability Status (Trivy >= 0.38, pkg/types/vulnerability.go). "fixed" means a fixed
# version exists while the installed one is still vulnerable, so it is open; only the
# vendor's "not_affected" says the package is not exposed.
STATUSES = {"not_affected": ResultStatus.NOT_APPLICABLE}

# Misconfiguration Status: FAIL, PASS (with --include-non-failures), EXCEPTION (waived).
MISCONF_STATUSES = {
    "FAIL": ResultStatus.OPEN,
    "PASS": ResultStatus.PASSED,
    "EXCEPTION": ResultStatus.NOT_APPLICABLE,
}

# Result.Type values of OS package results, for the legacy layout that has no Class.
OS_TYPES = {
    "alpine", "alma", "amazon", "azurelinux", "cbl-mariner", "centos", "chainguard",
    "debian", "fedora", "mariner", "opensuse", "opensuse.leap", "opensuse.tumbleweed",
    "oracle", "photon", "redhat", "rocky", "sles", "suse linux enterprise server",
    "ubuntu", "wolfi",
}

_SCHEMA = re.compile(r'"SchemaVersion"\s*:\s*\d')
_LEGACY = re.compile(r'^\s*\[\s*\{\s*"Target"\s*:')
_K8S = re.compile(r'"ClusterName"\s*:')


class TrivyImporter:
    key = "trivy"
    label = "Aqua Trivy JSON (image, filesystem, repository, kubernetes)"
    options = frozenset({ASSET})

    def sniff(self, head: bytes, filename: str) -> bool:
        text_head = sniff_text(head).lstrip()
        if text_head.startswith("["):
            return bool(_LEGACY.match(text_head))
        if not text_head.startswith("{"):
            return False
        if _K8S.search(text_head):
            return any(k in text_head for k in ('"Resources"', '"Vulnerabilities"',
                                                 '"Misconfigurations"'))
        return bool(_SCHEMA.search(text_head)) and ('"ArtifactName"' in text_head
                                                    or '"Results"' in text_head)

    def parse(self, stream: BinaryIO, *, source: str, asset: str = "") -> Iterator[Record]:
        """``asset`` names the scanned thing when the report does not (ArtifactName '.')."""
        data = load_json(stream, source=source)
        if data is None:
            # Trivy < 0.20 printed a bare null when it found nothing; it does not say what
            # was scanned, so it covers nothing.
            yield ScanInfo(scanner=SCANNER)
        elif isinstance(data, list):
            yield from _Parser(source, asset).legacy(data)
        elif isinstance(data, dict) and "ClusterName" in data:
            yield from _Parser(source, asset).kubernetes(data)
        elif isinstance(data, dict) and ("Results" in data or "SchemaVersion" in data):
            yield from _Parser(source, asset).report(data)
        else:
            raise FormatError("not a Trivy JSON report (no Results, SchemaVersion or "
                              "ClusterName)", source=source)


class _Parser:
    def __init__(self, source: str, asset_override: str):
        self.source = source
        self.asset_override = asset_override.strip()
        self.seen: set[tuple] = set()
        self.scan_time = None
        self.version = ""

    # -- the three layouts -------------------------------------------------------------

    def report(self, data: dict) -> Iterator[Record]:
        src = self.source
        self.scan_time = iso_datetime(data.get("CreatedAt"), source=src, field="CreatedAt")
        trivy = as_dict(data.get("Trivy"), source=src, field="Trivy")
        self.version = text(trivy.get("Version"))
        name = text(data.get("ArtifactName"))
        yield ScanInfo(scanner=SCANNER, scanner_version=self.version,
                       scan_time=self.scan_time, name=name)
        results = as_list(data.get("Results"), source=src, field="Results")
        asset = self._report_asset(data, results)
        yield Target(SCOPE, asset)
        yield from self._results(results, asset, "Results")

    def legacy(self, data: list) -> Iterator[Record]:
        yield ScanInfo(scanner=SCANNER)
        results = [as_dict(r, source=self.source, field=f"[{i}]") for i, r in enumerate(data)]
        named = ""
        for result in results:
            if _is_os_result(result):
                named = image_key(strip_os_suffix(text(result.get("Target"))))
                break
        asset = self._asset(named, kind="image" if named else "component")
        yield Target(SCOPE, asset)
        yield from self._results(results, asset, "")

    def kubernetes(self, data: dict) -> Iterator[Record]:
        src = self.source
        cluster = text(data.get("ClusterName"))
        yield ScanInfo(scanner=SCANNER, name=cluster)
        covered: set[str] = set()
        for section in ("Resources", "Vulnerabilities", "Misconfigurations"):
            resources = as_list(data.get(section), source=src, field=section)
            for i, resource in enumerate(resources):
                where = f"{section}[{i}]"
                resource = as_dict(resource, source=src, field=where)
                asset = _k8s_asset(cluster, resource)
                if asset.key not in covered:
                    covered.add(asset.key)
                    yield Target(SCOPE, asset)
                results = as_list(resource.get("Results"), source=src, field=f"{where}.Results")
                yield from self._results(results, asset, f"{where}.Results", k8s=True)

    # -- assets ----------------------------------------------------------------------

    def _report_asset(self, data: dict, results: list) -> Asset:
        kind_word = text(data.get("ArtifactType"))
        meta = as_dict(data.get("Metadata"), source=self.source, field="Metadata")
        os_info = as_dict(meta.get("OS"), source=self.source, field="Metadata.OS")
        os_name = " ".join(filter(None, (text(os_info.get("Family")), text(os_info.get("Name")))))
        name = text(data.get("ArtifactName"))
        if kind_word in ("container_image", "") and (name or meta.get("ImageID")):
            # ArtifactName is empty when Trivy scanned an image archive (issue_9333.json):
            # fall back to the tags, the digests, the OS result's target, the image ID.
            candidates = [name, *map(text, meta.get("RepoTags") or []),
                          *map(text, meta.get("RepoDigests") or []),
                          *(strip_os_suffix(text(r.get("Target"))) for r in results
                            if isinstance(r, dict) and _is_os_result(r)),
                          text(meta.get("ImageID"))]
            ref = next((c for c in candidates if c), "")
            return self._asset(image_key(ref) if ref else "", name=ref, kind="image",
                               os=os_name)
        if name in ("", "."):  # "trivy fs ." names nothing that tells two projects apart
            name = ""
        kind = "repository" if kind_word == "repository" else "component"
        return self._asset(name.rstrip("/"), name=name, kind=kind, os=os_name)

    def _asset(self, key: str, *, name: str = "", kind: str = "component",
               os: str = "") -> Asset:
        if self.asset_override:
            return Asset(key=self.asset_override, name=self.asset_override, kind=kind, os=os)
        if not key:
            # Fail safe: without a name, one asset per report file, so that a report of
            # another project can never close these findings.
            key = PurePath(self.source).stem or self.source
        return Asset(key=key, name=name or key, kind=kind, os=os)

    # -- results ----------------------------------------------------------------------

    def _results(self, results: list, asset: Asset, where: str,
                 k8s: bool = False) -> Iterator[Finding]:
        for i, result in enumerate(results):
            field = f"{where}[{i}]"
            result = as_dict(result, source=self.source, field=field)
            vulns = as_list(result.get("Vulnerabilities"), source=self.source,
                            field=f"{field}.Vulnerabilities")
            for j, vuln in enumerate(vulns):
                finding = self._vulnerability(result, vuln, asset, f"{field}.Vulnerabilities[{j}]",
                                              k8s)
                if self._first(finding):
                    yield finding
            yield from self._misconfigurations(result, asset, field, k8s)
            yield from self._secrets(result, asset, field)

    def _first(self, finding: Finding) -> bool:
        """Once per identity: the same CVE per package is listed once per layer."""
        if finding.identity in self.seen:
            return False
        self.seen.add(finding.identity)
        return True

    def _vulnerability(self, result: dict, vuln: Any, asset: Asset, field: str,
                       k8s: bool) -> Finding:
        src = self.source
        vuln = as_dict(vuln, source=src, field=field)
        vid = required_text(vuln, "VulnerabilityID", source=src, field=f"{field}.VulnerabilityID")
        pkg = required_text(vuln, "PkgName", source=src, field=f"{field}.PkgName")
        installed = text(vuln.get("InstalledVersion"))
        fixed = text(vuln.get("FixedVersion"))
        target = text(result.get("Target"))
        pkg_path = text(vuln.get("PkgPath"))
        weakness = f"{vid}:{pkg}"
        if not _is_os_result(result):
            where = without_version(pkg_path or target, installed)
            if where:
                weakness = f"{weakness}:{where}"
        raw = text(vuln.get("Severity")).upper()
        status_word = text(vuln.get("Status"))
        title = text(vuln.get("Title"))
        extra = {
            "package": pkg, "installed_version": installed, "fixed_version": fixed,
            "package_path": pkg_path, "target": target,
            "file_path": "" if _is_os_result(result) else (pkg_path or target),
            "class": text(result.get("Class")),
            "type": text(result.get("Type")), "status": status_word,
            "severity_source": text(vuln.get("SeveritySource")),
            "cvss": vuln.get("CVSS") or {}, "vendor_severity": vuln.get("VendorSeverity") or {},
            "published": text(vuln.get("PublishedDate")),
            "last_modified": text(vuln.get("LastModifiedDate")),
        }
        if k8s:
            extra["image"] = strip_os_suffix(target)
        return Finding(
            scope=SCOPE, weakness_id=weakness, asset=asset,
            title=f"{vid} in {pkg}: {title}" if title else f"{vid} in {pkg}",
            status=STATUSES.get(status_word, ResultStatus.OPEN),
            severity=_severity(raw, src, f"{field}.Severity"), raw_severity=raw,
            description=text(vuln.get("Description")),
            solution=_solution(pkg, fixed, status_word),
            evidence=_package_evidence(pkg, installed, fixed, pkg_path, target),
            cves=(vid,) if vid.upper().startswith("CVE-") else (),
            cwes=unique(cwe(c) for c in as_list(vuln.get("CweIDs"), source=src,
                                                 field=f"{field}.CweIDs")),
            references=unique([text(vuln.get("PrimaryURL")),
                               *map(text, as_list(vuln.get("References"), source=src,
                                                  field=f"{field}.References"))]),
            scanner=SCANNER, scanner_version=self.version,
            last_seen=self.scan_time,
            extra={k: v for k, v in extra.items() if v},
        )

    def _misconfigurations(self, result: dict, asset: Asset, field: str,
                           k8s: bool) -> Iterator[Finding]:
        src = self.source
        items = as_list(result.get("Misconfigurations"), source=src,
                        field=f"{field}.Misconfigurations")
        target = text(result.get("Target"))
        ids = [text(m.get("ID")) if isinstance(m, dict) else "" for m in items]
        for j, item in enumerate(items):
            where = f"{field}.Misconfigurations[{j}]"
            item = as_dict(item, source=src, field=where)
            check = text(item.get("ID")) or required_text(item, "AVDID", source=src,
                                                          field=f"{where}.ID")
            cause = as_dict(item.get("CauseMetadata"), source=src, field=f"{where}.CauseMetadata")
            start = cause.get("StartLine")
            weakness = check if (k8s or not target) else f"{check}:{target}"
            if ids.count(check) > 1 and start:
                weakness = f"{weakness}@L{start}"
            raw = text(item.get("Severity")).upper()
            status_word = text(item.get("Status")).upper() or "FAIL"
            message = text(item.get("Message"))
            finding = Finding(
                scope=SCOPE, weakness_id=weakness, asset=asset,
                title=text(item.get("Title")) or check,
                status=MISCONF_STATUSES.get(status_word, ResultStatus.OPEN),
                severity=_severity(raw, src, f"{where}.Severity"), raw_severity=raw,
                description=text(item.get("Description")),
                solution=text(item.get("Resolution")),
                evidence="\n".join(filter(None, [message, _code_lines(cause)])),
                references=unique([text(item.get("PrimaryURL")),
                                   *map(text, as_list(item.get("References"), source=src,
                                                      field=f"{where}.References"))]),
                scanner=SCANNER, scanner_version=self.version,
            last_seen=self.scan_time,
                extra={k: v for k, v in {
                    "target": target, "check_type": text(item.get("Type")),
                    "avd_id": text(item.get("AVDID")), "status": status_word,
                    "file_path": target, "line": start, "end_line": cause.get("EndLine"),
                }.items() if v},
            )
            if self._first(finding):
                yield finding

    def _secrets(self, result: dict, asset: Asset, field: str) -> Iterator[Finding]:
        src = self.source
        items = as_list(result.get("Secrets"), source=src, field=f"{field}.Secrets")
        target = text(result.get("Target"))
        rules = [text(s.get("RuleID")) if isinstance(s, dict) else "" for s in items]
        for j, item in enumerate(items):
            where = f"{field}.Secrets[{j}]"
            item = as_dict(item, source=src, field=where)
            rule = required_text(item, "RuleID", source=src, field=f"{where}.RuleID")
            start = item.get("StartLine")
            weakness = f"{rule}:{target}"
            if rules.count(rule) > 1 and start:
                weakness = f"{weakness}@L{start}"
            raw = text(item.get("Severity")).upper()
            title = text(item.get("Title")) or rule
            finding = Finding(
                scope=SCOPE, weakness_id=weakness, asset=asset,
                title=f"{title} in {target}" if target else title,
                severity=_severity(raw, src, f"{where}.Severity"), raw_severity=raw,
                description=f"A secret matching the rule {rule!r} "
                            f"({text(item.get('Category')) or 'uncategorised'}) was found.",
                solution="Remove the secret from the file and revoke or rotate it.",
                evidence=text(item.get("Match")),  # Trivy masks the secret value
                scanner=SCANNER, scanner_version=self.version,
            last_seen=self.scan_time,
                extra={k: v for k, v in {
                    "target": target, "file_path": target, "line": start,
                    "end_line": item.get("EndLine"), "category": text(item.get("Category")),
                }.items() if v},
            )
            if self._first(finding):
                yield finding


def _is_os_result(result: dict) -> bool:
    cls = text(result.get("Class"))
    if cls:
        return cls == "os-pkgs"
    return text(result.get("Type")).lower() in OS_TYPES


def _k8s_asset(cluster: str, resource: dict) -> Asset:
    parts = [text(resource.get(k)) for k in ("Namespace", "Kind", "Name")]
    name = "/".join(p for p in parts if p)
    key = f"{cluster}/{name}" if cluster else name
    return Asset(key=key, name=name, kind="component")


def _severity(raw: str, source: str, field: str) -> Severity:
    if not raw:
        return Severity.INFO
    try:
        return SEVERITIES[raw]
    except KeyError:
        raise FormatError(f"unknown severity {raw!r}", source=source, field=field) from None


def _solution(pkg: str, fixed: str, status: str) -> str:
    if fixed:
        return f"Upgrade {pkg} to {fixed} or later."
    if status:
        return f"No fixed version of {pkg} is available yet (vendor status: {status})."
    return f"No fixed version of {pkg} is available yet."


def _package_evidence(pkg: str, installed: str, fixed: str, path: str, target: str) -> str:
    lines = [f"Package: {pkg}", f"Installed version: {installed}"]
    if fixed:
        lines.append(f"Fixed version: {fixed}")
    if path:
        lines.append(f"Path: {path}")
    if target:
        lines.append(f"Target: {target}")
    return "\n".join(lines)


def _code_lines(cause: dict) -> str:
    code = cause.get("Code") if isinstance(cause.get("Code"), dict) else {}
    lines = code.get("Lines") or []
    shown = [f"{line.get('Number')}: {line.get('Content', '')}" for line in lines
             if isinstance(line, dict) and line.get("IsCause")]
    return "\n".join(shown)
