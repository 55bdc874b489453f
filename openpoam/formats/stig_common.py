"""What the DISA STIG formats (CKL, CKLB, XCCDF results) share.

Identity, per samples/FORMATS.md sections 10-12: scope ``stig:<STIG id>`` (a
Chrome checklist must never close a Windows finding on the same host), the
Group V-number as weakness id (it survives STIG releases; the Rule id's
``r123456`` revision does not), and the asset's host name as key, so that a
manual CKL, a CKLB and an SCC scan of the same host and STIG merge.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from openpoam.domain.findings import Asset, Finding, ResultStatus, Severity
from openpoam.formats.base import FormatError
from openpoam.formats.cci import controls_for, sorted_controls

# Checklist status words, compared after lower-casing and dropping "_" and spaces:
# CKL "Open", "NotAFinding", "Not_Applicable", "Not_Reviewed" (STIG Viewer 2);
# CKLB "open", "not_a_finding", "not_applicable", "not_reviewed" (STIG Viewer 3).
_CHECKLIST_STATUS = {
    "open": ResultStatus.OPEN,
    "notafinding": ResultStatus.PASSED,
    "notapplicable": ResultStatus.NOT_APPLICABLE,
    "notreviewed": ResultStatus.NOT_REVIEWED,
}

# DISA gives each STIG rule a severity category (CNSSI 4009, "severity category":
# CAT I, II, III, CAT I the most urgent), written as the words high / medium / low in
# XCCDF, CKL and CKLB; samples/xccdf/scc_scan-xccdf.xml pairs severity="high" with
# "CAT I" in SCC's own message. FedRAMP rates risk High / Moderate / Low (CSP POA&M
# Template Completion Guide v2.2: 30 days for high, 90 for moderate, 180 for low
# vulnerabilities), so CAT I -> HIGH, CAT II -> MODERATE, CAT III -> LOW.
_SEVERITY = {
    "high": Severity.HIGH, "cat i": Severity.HIGH, "i": Severity.HIGH,
    "medium": Severity.MODERATE, "cat ii": Severity.MODERATE, "ii": Severity.MODERATE,
    "moderate": Severity.MODERATE,
    "low": Severity.LOW, "cat iii": Severity.LOW, "iii": Severity.LOW,
    # XCCDF 1.2 section 6.4.4.2: "info" and "unknown" (the default) rate nothing.
    "info": Severity.INFO, "unknown": Severity.INFO, "": Severity.INFO,
}

# Ids sit inside longer ones ("xccdf_mil.disa.stig_group_V-251545"), so "_" may precede.
_VULN_ID = re.compile(r"(?<![A-Za-z0-9])V-\d+(?![0-9])")
_SV_NUMBER = re.compile(r"(?<![A-Za-z0-9])SV-(\d+)r\d+")
_CCI = re.compile(r"^CCI-(\d{1,6})$", re.IGNORECASE)
_VULN_DISCUSSION = re.compile(r"<VulnDiscussion>(.*?)</VulnDiscussion>", re.DOTALL)
_DISA_BENCHMARK = re.compile(r"^xccdf_mil\.disa\.stig_benchmark_(.+)$")
_LOOPBACK = ("127.", "::1", "0.0.0.0", "localhost")


def checklist_status(word: str | None, *, source: str, line: int | None = None,
                     field: str = "STATUS") -> ResultStatus:
    """Map a CKL/CKLB status; an empty status is STIG Viewer's default, Not_Reviewed."""
    key = re.sub(r"[\s_]", "", (word or "")).lower()
    if not key:
        return ResultStatus.NOT_REVIEWED
    if key not in _CHECKLIST_STATUS:
        raise FormatError(f"unknown checklist status {word!r}", source=source, line=line,
                          field=field)
    return _CHECKLIST_STATUS[key]


def severity(word: str | None) -> Severity:
    """Normalised severity of a STIG severity word; unknown words rate nothing (INFO)."""
    return _SEVERITY.get((word or "").strip().lower(), Severity.INFO)


def effective_severity(word: str, override: str) -> Severity:
    """A SEVERITY_OVERRIDE set by the assessor (with its justification) wins."""
    if override and override.strip().lower() in _SEVERITY:
        return severity(override)
    return severity(word)


def scope(stig_id: str) -> str:
    return f"stig:{stig_id}"


def stig_id_from_benchmark(benchmark_id: str) -> str:
    """``xccdf_mil.disa.stig_benchmark_MOZ_Firefox_Linux`` -> ``MOZ_Firefox_Linux``.

    That is the ``stigid`` a CKL of the same STIG carries, so scopes match.
    """
    match = _DISA_BENCHMARK.match(benchmark_id)
    return match.group(1) if match else ""


def vuln_id(text: str) -> str:
    """The ``V-123456`` in a Group id or Vuln_Num, '' when there is none."""
    match = _VULN_ID.search(text or "")
    return match.group(0) if match else ""


def vuln_id_from_rule(rule_id: str) -> str:
    """``SV-221558r879534_rule`` -> ``V-221558``, for results that carry no Group.

    DISA numbers a Group and its Rule alike since the 2020 renumbering
    (V-221558 / SV-221558r...); older STIGs differ, which is why the Group id
    is always preferred when the file has one.
    """
    match = _SV_NUMBER.search(rule_id or "")
    return f"V-{match.group(1)}" if match else ""


def ccis(values) -> tuple[str, ...]:
    """``CCI-000366`` spelling, de-duplicated, order kept; other strings dropped."""
    found: list[str] = []
    for value in values:
        match = _CCI.match((value or "").strip())
        if match:
            cci = f"CCI-{int(match.group(1)):06d}"
            if cci not in found:
                found.append(cci)
    return tuple(found)


def with_cci_controls(finding: Finding) -> Finding:
    """Add the SP 800-53 Rev 5 controls behind the finding's CCIs (DISA CCI List,
    see openpoam.formats.cci) to any controls the file itself names.

    Both are kept, unique, in catalog order. Checklists carry CCIs only; XCCDF rules
    may also name SP 800-53 in their references.
    """
    finding.controls = sorted_controls((*finding.controls, *controls_for(finding.ccis)))
    return finding

def discussion(text: str | None) -> str:
    """The rule discussion without DISA's packed ``<VulnDiscussion>…`` markup.

    XCCDF descriptions (and some CKL Vuln_Discuss values) hold an escaped XML
    fragment: after XML decoding it reads ``<VulnDiscussion>text</VulnDiscussion>
    <FalsePositives>…``; its inner text is escaped once more.
    """
    text = text or ""
    match = _VULN_DISCUSSION.search(text)
    if match:
        text = html.unescape(match.group(1))
    return text.strip()


def join_text(*parts: tuple[str, str]) -> str:
    """Join labelled text blocks, skipping empty ones: (label, text) pairs."""
    blocks = []
    for label, text in parts:
        text = (text or "").strip()
        if text:
            blocks.append(f"{label}:\n{text}" if label else text)
    return "\n\n".join(blocks)


def first_of_list(value: str | None) -> str:
    """First entry of a comma/space separated list (HOST_IP "10.0.0.1, 10.0.0.2")."""
    for part in re.split(r"[,\s;]+", value or ""):
        if part:
            return part
    return ""


def usable_address(value: str) -> bool:
    return bool(value) and not value.lower().startswith(_LOOPBACK)


def clean_fqdn(value: str | None) -> str:
    """SCC writes ``WORK-UBUNTU..`` for a host without a domain: drop the dots."""
    return first_of_list(value).strip(".")


def _dotted(name: str) -> str:
    """A single-label name is not an FQDN; keep the field empty rather than wrong."""
    return name if "." in name else ""


def stig_asset(*, source: str, host_name: str = "", fqdn: str = "", ip: str = "",
               mac: str = "", os: str = "", web_or_database: bool = False,
               site: str = "", instance: str = "") -> Asset:
    """The asset of a checklist or STIG scan; its key is the lower-cased host name.

    Host name first (the field every STIG tool fills and matches on), then FQDN,
    then IP (IPs move). A web or database site/instance is a separate asset
    (FORMATS.md section 10): its key gets ``/site/instance`` appended.
    """
    host_name = (host_name or "").strip()
    fqdn = clean_fqdn(fqdn)
    ip = first_of_list(ip)
    base = host_name or fqdn or ip
    if not base:
        raise FormatError("the file names no asset (host name, FQDN and IP are all empty)",
                          source=source, field="HOST_NAME")
    key, name, kind = base, base, "host"
    site, instance = (site or "").strip(), (instance or "").strip()
    if web_or_database and (site or instance):
        key = f"{base}/{site}/{instance}"
        name = " / ".join(part for part in (base, site, instance) if part)
        kind = "component"
    return Asset(key=key.lower(), name=name, kind=kind, ip=ip, fqdn=_dotted(fqdn),
                 netbios="", mac=first_of_list(mac), os=os)


def is_true(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("true", "1", "yes")


def parse_time(value: str | None, *, source: str, field: str) -> datetime | None:
    """ISO 8601 as STIG tools write it; '' -> None; anything else is an error.

    Seen: ``2023-12-06T12:54:10`` (SCC, local time, no zone), ``2023-11-13T16:32:15.409Z``
    (STIG Manager), ``2023-12-11T12:56:14.3576272-05:00`` (Evaluate-STIG, 7 digits).
    """
    text = (value or "").strip()
    if not text:
        return None
    # Python takes at most 6 fractional digits; .NET writes 7.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise FormatError(f"unreadable date {value!r} (expected ISO 8601)",
                          source=source, field=field) from None
