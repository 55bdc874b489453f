"""Anchore Grype JSON reports (``grype -o json``), old (0.7) and new (0.9x) schemas.

Field names are from Grype's JSON presenter (grype/presenter/models: Document, Match,
Vulnerability, Package, Source, Descriptor) as they appear in the sample reports; see
samples/FORMATS.md section 7.

Identity (stable from one monthly scan to the next):
- asset: the image without tag or digest (``source.target.userInput``), or the scanned path;
- weakness: ``<vulnerability id>:<package name>``, plus the package location for non-OS
  packages (one CVE in two copies of a jar stays two items) with the version in the path
  replaced by ``*``; never the package version.
A match repeated with the same identity (Grype lists one per matcher) is yielded once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, BinaryIO

from openpoam.domain.findings import Asset, Finding, Record, ScanInfo, Severity, Target
from openpoam.formats.base import ASSET, FormatError
from openpoam.formats.streams import sniff_text
from openpoam.formats.container_images import image_key
from openpoam.formats.json_common import (as_dict, as_list, iso_datetime, load_json,
                                             required_text, text, unique, without_version)

SCOPE = "grype"
SCANNER = "Grype"

# Grype's severity words (grype/vulnerability/severity.go).
SEVERITIES = {
    "negligible": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MODERATE,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}

# Package types whose location is the OS package database, not a copy of the package.
OS_PACKAGE_TYPES = {"deb", "rpm", "apk", "alpm", "portage", "kb", "linux-kernel"}

_MATCHES_FIRST = re.compile(r'^\{\s*"matches"\s*:\s*(\[\s*\{\s*"(vulnerability|artifact|'
                            r'relatedVulnerabilities|matchDetails)"|\[\s*\])')
_DESCRIPTOR = re.compile(r'"descriptor"\s*:\s*\{')
_GRYPE_NAME = re.compile(r'"name"\s*:\s*"grype"')


class GrypeImporter:
    key = "grype"
    label = "Anchore Grype JSON"
    options = frozenset({ASSET})

    def sniff(self, head: bytes, filename: str) -> bool:
        text_head = sniff_text(head).lstrip()
        if not text_head.startswith("{"):
            return False
        if _MATCHES_FIRST.match(text_head):
            return True
        # Newer Grype sorts keys: "descriptor" (with "name": "grype") comes first.
        return bool(_DESCRIPTOR.search(text_head) and _GRYPE_NAME.search(text_head))

    def parse(self, stream: BinaryIO, *, source: str, asset: str = "") -> Iterator[Record]:
        """``asset`` names the scanned thing when the report does not."""
        data = load_json(stream, source=source)
        if not isinstance(data, dict) or "matches" not in data:
            raise FormatError("not a Grype JSON report (no matches[])", source=source)
        descriptor = as_dict(data.get("descriptor"), source=source, field="descriptor")
        scan_time = iso_datetime(descriptor.get("timestamp"), source=source,
                                 field="descriptor.timestamp")
        scanned = _asset(data, source, asset.strip())
        yield ScanInfo(scanner=SCANNER, scanner_version=text(descriptor.get("version")),
                       scan_time=scan_time, name=scanned.name)
        yield Target(SCOPE, scanned)
        seen: set[tuple] = set()
        for i, match in enumerate(as_list(data.get("matches"), source=source, field="matches")):
            finding = _finding(match, scanned, source, f"matches[{i}]")
            finding.last_seen = scan_time
            finding.scanner_version = text(descriptor.get("version"))
            if finding.identity not in seen:
                seen.add(finding.identity)
                yield finding


def _asset(data: dict, source: str, override: str) -> Asset:
    src = as_dict(data.get("source"), source=source, field="source")
    distro = as_dict(data.get("distro"), source=source, field="distro")
    os_name = " ".join(filter(None, (text(distro.get("name")), text(distro.get("version")))))
    kind_word = text(src.get("type"))
    target = src.get("target")
    if override:
        return Asset(key=override, name=override, kind="image" if kind_word == "image"
                     else "component", os=os_name)
    if kind_word == "image" and isinstance(target, dict):
        candidates = [text(target.get("userInput")), *map(text, target.get("tags") or []),
                      *map(text, target.get("repoDigests") or []), text(target.get("imageID"))]
        ref = next((c for c in candidates if c), "")
        if ref:
            return Asset(key=image_key(ref), name=ref, kind="image", os=os_name)
    if isinstance(target, str) and target.strip() not in ("", "."):
        path = target.strip().rstrip("/") or "/"
        return Asset(key=path, name=path, kind="component", os=os_name)
    if isinstance(target, dict) and text(target.get("path")):  # newer directory sources
        path = text(target.get("path"))
        return Asset(key=path, name=path, kind="component", os=os_name)
    # Fail safe: a report that names nothing is its own asset, so it never closes others.
    stem = PurePath(source).stem or source
    return Asset(key=stem, name=stem, kind="component", os=os_name)


def _finding(match: Any, asset: Asset, source: str, field: str) -> Finding:
    match = as_dict(match, source=source, field=field)
    vuln = as_dict(match.get("vulnerability"), source=source, field=f"{field}.vulnerability")
    artifact = as_dict(match.get("artifact"), source=source, field=f"{field}.artifact")
    related = [as_dict(r, source=source, field=f"{field}.relatedVulnerabilities")
               for r in as_list(match.get("relatedVulnerabilities"), source=source,
                                field=f"{field}.relatedVulnerabilities")]
    vid = required_text(vuln, "id", source=source, field=f"{field}.vulnerability.id")
    name = required_text(artifact, "name", source=source, field=f"{field}.artifact.name")
    version = text(artifact.get("version"))
    pkg_type = text(artifact.get("type"))
    paths = [text(loc.get("path")) for loc in as_list(artifact.get("locations"), source=source,
                                                       field=f"{field}.artifact.locations")
             if isinstance(loc, dict)]
    weakness = f"{vid}:{name}"
    if pkg_type not in OS_PACKAGE_TYPES and paths and paths[0]:
        weakness = f"{weakness}:{without_version(paths[0], version)}"
    cvss = _cvss(vuln, related)
    raw = text(vuln.get("severity"))
    fixed = _fixed_versions(vuln)
    fix = as_dict(vuln.get("fix"), source=source, field=f"{field}.vulnerability.fix")
    fix_state = text(fix.get("state"))
    description = text(vuln.get("description")) or next(
        (text(r.get("description")) for r in related if text(r.get("description"))), "")
    epss = [e for e in as_list(vuln.get("epss"), source=source,
                               field=f"{field}.vulnerability.epss") if isinstance(e, dict)]
    extra = {
        "package": name, "installed_version": version, "fixed_version": ", ".join(fixed),
        "package_type": pkg_type, "purl": text(artifact.get("purl")), "paths": paths,
        "file_path": paths[0] if paths and pkg_type not in OS_PACKAGE_TYPES else "",
        "fix_state": fix_state, "namespace": text(vuln.get("namespace")), "cvss": cvss,
        "epss": epss[0].get("epss") if epss else None,
        "epss_percentile": epss[0].get("percentile") if epss else None,
        "risk": vuln.get("risk"),
    }
    return Finding(
        scope=SCOPE, weakness_id=weakness, asset=asset,
        title=f"{vid} in {name}",
        severity=_severity(raw, cvss, source, f"{field}.vulnerability.severity"),
        raw_severity=raw, description=description,
        solution=_solution(name, fixed, fix_state),
        evidence="\n".join(filter(None, [f"Package: {name} {version} ({pkg_type})",
                                         f"Fixed in: {', '.join(fixed)}" if fixed else "",
                                         *(f"Path: {p}" for p in paths if p)])),
        cves=unique([vid if vid.upper().startswith("CVE-") else "",
                     *(text(r.get("id")) for r in related
                       if text(r.get("id")).upper().startswith("CVE-"))]),
        references=_references(vuln, related),
        scanner=SCANNER,
        extra={k: v for k, v in extra.items() if v not in (None, "", [], {})},
    )


def _severity(raw: str, cvss: list[dict], source: str, field: str) -> Severity:
    word = raw.lower()
    if word in SEVERITIES:
        return SEVERITIES[word]
    if word not in ("", "unknown"):
        raise FormatError(f"unknown severity {raw!r}", source=source, field=field)
    # Missing (issue_9618.json) or Unknown: take the highest CVSS base score when there is
    # one, with the CVSS v3 qualitative bands (FIRST CVSS v3.1 specification, section 5).
    scores = [c["score"] for c in cvss if isinstance(c.get("score"), (int, float))]
    if not scores:
        return Severity.INFO
    top = max(scores)
    if top >= 9.0:
        return Severity.CRITICAL
    if top >= 7.0:
        return Severity.HIGH
    if top >= 4.0:
        return Severity.MODERATE
    return Severity.LOW if top > 0 else Severity.INFO


def _cvss(vuln: dict, related: list[dict]) -> list[dict]:
    """CVSS entries as {version, vector, score, source}; old Grype has cvssV2/cvssV3."""
    found = []
    for owner in (vuln, *related):
        for entry in owner.get("cvss") or []:
            if isinstance(entry, dict):
                metrics = entry.get("metrics") if isinstance(entry.get("metrics"), dict) else {}
                found.append({"version": text(entry.get("version")),
                              "vector": text(entry.get("vector")),
                              "score": metrics.get("baseScore"),
                              "source": text(entry.get("source")) or text(owner.get("namespace"))})
    for key, version in (("cvssV3", "3"), ("cvssV2", "2")):
        entry = vuln.get(key)
        if isinstance(entry, dict):
            found.append({"version": version, "vector": text(entry.get("vector")),
                          "score": entry.get("baseScore"), "source": ""})
    return found


def _fixed_versions(vuln: dict) -> list[str]:
    fix = vuln.get("fix") if isinstance(vuln.get("fix"), dict) else {}
    versions = [text(v) for v in fix.get("versions") or []]
    old = text(vuln.get("fixedInVersion"))  # Grype 0.7
    return list(unique([*versions, old]))


def _solution(name: str, fixed: list[str], state: str) -> str:
    if fixed:
        return f"Upgrade {name} to {' or '.join(fixed)} or later."
    if state == "wont-fix":
        return f"The vendor will not fix {name} (fix state: wont-fix)."
    return f"No fixed version of {name} is available yet."


def _references(vuln: dict, related: list[dict]) -> tuple[str, ...]:
    refs = [text(vuln.get("dataSource")), *map(text, vuln.get("urls") or []),
            *map(text, vuln.get("links") or [])]
    for advisory in vuln.get("advisories") or []:
        if isinstance(advisory, dict):
            refs.append(text(advisory.get("link")))
    for rel in related:
        refs.extend([text(rel.get("dataSource")), *map(text, rel.get("urls") or [])])
    return unique(refs)
