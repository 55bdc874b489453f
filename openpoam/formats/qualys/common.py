"""Facts shared by the Qualys XML and CSV importers."""

from __future__ import annotations

import re

from openpoam.domain.findings import ResultStatus, Severity
from openpoam.formats.scan_common import cap, score

SCOPE = "qualys"
SCANNER = "Qualys"

# Qualys levels 1-5 are Minimal, Medium, Serious, Critical, Urgent (Qualys KB
# "Severity levels"). Qualys' own PCI export calls level 3 "Medium"
# (monthly_pci_issue6932.csv: SEVERITY=Medium, Q_SEVERITY=3), so 3 is MODERATE;
# 1 and 2 are LOW, 4 HIGH, 5 CRITICAL. Information-gathered QIDs are INFO whatever
# their level: they are facts about the host, not weaknesses.
LEVELS = {"1": Severity.LOW, "2": Severity.LOW, "3": Severity.MODERATE, "4": Severity.HIGH,
          "5": Severity.CRITICAL}

# VULN_INFO/TYPE, CSV 'Type' / 'Type Detected' / PCI 'TYPE' -> kind of result.
INFO_TYPES = {"ig", "info", "information", "information gathered", "infos", "services"}
POTENTIAL_TYPES = {"practice", "potential", "practices"}

# Vuln Status / Status: Fixed proves the weakness is gone here.
STATUSES = {"new": ResultStatus.OPEN, "active": ResultStatus.OPEN,
            "re-opened": ResultStatus.OPEN, "reopened": ResultStatus.OPEN,
            "fixed": ResultStatus.PASSED}

_SCORE_WITH_VECTOR = re.compile(r"^\s*([\d.]+)\s*(?:\(([^)]*)\))?")


def score_and_vector(text: str | None) -> tuple[float | None, str]:
    """'8.1 (AV:N/AC:H/...)' -> (8.1, 'AV:N/AC:H/...'); '-' or '' -> (None, '')."""
    match = _SCORE_WITH_VECTOR.match(text or "")
    if not match:
        return None, ""
    return score(match.group(1)), (match.group(2) or "").strip()


def severity_for(level: str, kind: str) -> Severity:
    if kind.lower() in INFO_TYPES:
        return Severity.INFO
    return LEVELS.get(level.strip(), Severity.INFO)


def kind_label(kind: str) -> str:
    lowered = kind.strip().lower()
    if lowered in INFO_TYPES:
        return "information"
    if lowered in POTENTIAL_TYPES:
        return "potential"
    return "confirmed" if lowered else ""


def not_applicable(text: str) -> str:
    """Qualys writes 'N/A' for an impact or solution it has none of: that is no text."""
    return "" if text.strip().upper() == "N/A" else text


def port_and_host(port: str, fqdn: str) -> tuple[str, str]:
    """The port alone ('' for none) and the virtual host name (lower case) reported on it.

    Qualys reports one result per virtual host: ``PORT`` 443 with ``FQDN``
    portal.example.gov. The virtual host is detail, not identity: coverage is per host
    (a Target), so a finding keyed by site could never be remediated once the site
    leaves the report. Results of several sites on one port merge into one finding
    whose evidence names each site (see ``site_evidence``).
    """
    port = port.strip()
    return ("" if port in ("", "0") else port), fqdn.strip().lower()


def site_evidence(result: str, vhost: str) -> str:
    """The result, headed by the virtual host it was found on when there is one."""
    if not vhost:
        return cap(result)
    return cap(f"Virtual host: {vhost}\n{result}" if result else f"Virtual host: {vhost}")
