"""A first guess at rating, LEV and IRV from what a scanner says, for a person to evaluate.

This is OpenPOAM's own heuristic, not a FedRAMP rule: the rules make the provider evaluate
(VER-EVA-ELX, -EIR, -EPA), and a scanner knows neither the customer effect nor the network.
A proposal is therefore stored as proposed and never counts as the completed evaluation.
It leans towards the cautious answer the rules ask for when something is unknown:

- VER-EVA-AIA: assume exploitation can be automated unless there is evidence otherwise, so any
  finding above Low, or any KEV, is proposed LEV.
- FRD-DCE: an unknown customer effect is treated as debilitating, so a KEV or a critical
  finding starts high (N4; N5 when also internet-reachable).
- FRD-IRV concerns payloads from the public internet: a globally routable address, or a
  network attack vector on an asset whose address is not known, is proposed IRV.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openpoam.domain.findings import Severity

# Severity -> starting N-rating (OpenPOAM heuristic, see the module docstring).
_BASE_RATING = {Severity.INFO: 1, Severity.LOW: 1, Severity.MODERATE: 2, Severity.HIGH: 3,
                Severity.CRITICAL: 4}
# CVSS v3/v4 qualitative bands (FIRST CVSS v3.1 specification, section 5).
_CVSS_BANDS = ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MODERATE),
               (0.1, Severity.LOW))


@dataclass(frozen=True, slots=True)
class Proposal:
    rating: int
    lev: bool
    irv: bool
    basis: str  # the inputs, in words, shown beside the proposal


def cvss_score(extra: Mapping[str, object]) -> float | None:
    """The highest CVSS base score among a finding's extras (keys containing "cvss")."""
    scores = []
    for key, value in extra.items():
        if "cvss" not in key.lower() or "vector" in key.lower():
            continue
        try:
            score = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if 0.0 <= score <= 10.0:
            scores.append(score)
    return max(scores, default=None)


def network_vector(extra: Mapping[str, object]) -> bool | None:
    """True for a CVSS attack vector of Network, False for another vector, None when absent."""
    vectors = [str(v) for k, v in extra.items() if "vector" in k.lower() and v]
    if not vectors:
        return None
    return any("AV:N" in v for v in vectors)


def internet_reachable(addresses: Iterable[str]) -> bool | None:
    """True when an asset address is globally routable, False when all are private, None if
    no address is known."""
    seen = False
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            continue
        seen = True
        if address.is_global:
            return True
    return False if seen else None


def propose(severity: Severity, *, cvss: float | None, kev: bool,
            addresses: Iterable[str], vector_network: bool | None) -> Proposal:
    """The proposed rating, LEV and IRV, with the inputs that led to them."""
    if cvss is not None:
        severity = max(severity, _band(cvss), key=lambda s: list(Severity).index(s))
    reachable = internet_reachable(addresses)
    irv = reachable if reachable is not None else bool(vector_network)
    lev = kev or severity in (Severity.MODERATE, Severity.HIGH, Severity.CRITICAL)
    rating = _BASE_RATING[severity]
    if kev:
        rating = max(rating, 4)
    if irv and lev and rating >= 4:
        rating = 5
    return Proposal(rating, lev, irv, _basis(severity, cvss, kev, reachable, vector_network))


def _band(score: float) -> Severity:
    for floor, severity in _CVSS_BANDS:
        if score >= floor:
            return severity
    return Severity.INFO


def _basis(severity: Severity, cvss: float | None, kev: bool, reachable: bool | None,
           vector_network: bool | None) -> str:
    parts = [f"scanner severity {severity.value}"]
    if cvss is not None:
        parts.append(f"CVSS {cvss:.1f}")
    if kev:
        parts.append("in the CISA KEV catalog")
    if reachable is True:
        parts.append("a public address")
    elif reachable is False:
        parts.append("private addresses only")
    elif vector_network:
        parts.append("network attack vector, address unknown")
    return "proposed from " + ", ".join(parts)
