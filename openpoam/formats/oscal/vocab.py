"""OSCAL vocabulary shared by the writer and the readers: names, mappings, small codecs.

Facts carried over, with their source:
- OSCAL model version 1.2.1 and the POA&M JSON shape: NIST OSCAL v1.2.1
  ``oscal_poam_schema.json`` (shipped in ``data/``).
- Observation methods EXAMINE / INTERVIEW / TEST / UNKNOWN, risk status values
  (open, investigating, remediating, deviation-requested, deviation-approved, closed),
  the ``http://ietf.org/rfc/rfc4122`` identifier type, facet systems: the same schema's
  enumerations and the OSCAL assessment-common model documentation.
- The FedRAMP namespace ``https://fedramp.gov/ns/oscal`` and its prop names (POAM-ID,
  impacted-control-id, vendor-dependency, false-positive, operational-requirement,
  risk-adjustment, plugin-id, no-oscal-ssp, title-short), the ``risk`` facet with a
  ``state`` prop of initial/adjusted, the ``cve-id`` facet and the deviation observation
  types: GSA fedramp-automation, FedRAMP POA&M OSCAL template rev5.
- KEV props (kev-catalog, kev-due-date), likelihood/impact facets in the
  ``https://fedramp.gov`` system with a state prop, on-date milestone timing, vendor
  check-in and closure risk-log entries, the evidence ``type`` prop: GSA
  fedramp-automation, POA&M guide "POA&M Template to OSCAL Mapping" (sections 4.2-4.6).
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone

from openpoam.domain.poam import Catalog, Risk, Source, Status

OSCAL_VERSION = "1.2.1"
ROOT = "plan-of-action-and-milestones"
NIST_NS = "http://csrc.nist.gov/ns/oscal"
FEDRAMP_NS = "https://fedramp.gov/ns/oscal"
# Our own namespace for props OSCAL has no name for (the tracker's own fields).
OPENPOAM_NS = "https://openpoam.org/ns/oscal"
FEDRAMP_RISK_SYSTEM = "https://fedramp.gov"  # FedRAMP template rev5, risk facet
CVE_SYSTEM = "http://cve.mitre.org"  # FedRAMP template rev5, cve-id facet
RFC4122 = "http://ietf.org/rfc/rfc4122"
FEDRAMP_ID_TYPE = "https://fedramp.gov"

# Every uuid we write is a uuid5 under this namespace, so re-exports match.
UUID_BASE = uuidlib.uuid5(uuidlib.NAMESPACE_URL, OPENPOAM_NS)
_BASE_BYTES = UUID_BASE.bytes
_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}

# UUIDDatatype and TokenDatatype patterns of the OSCAL schema (Python spelling).
UUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-"
                     r"[0-9A-Fa-f]{12}")
TOKEN_RE = re.compile(r"[^\W\d](?:[^\W]|[.\-])*")
# StringDatatype: no leading/trailing white space; "." stops at line ends in ECMA regexes.
_PLAIN_RE = re.compile(r"\S(?:[^\n\r\u2028\u2029]*\S)?")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

STATUS_TO_OSCAL = {
    Status.OPEN: "open",
    Status.IN_PROGRESS: "remediating",
    Status.COMPLETED: "closed",
    Status.RISK_ACCEPTED: "deviation-approved",
    Status.FALSE_POSITIVE: "closed",
    Status.REOPENED: "open",
}
OSCAL_TO_STATUS = {
    "open": Status.OPEN,
    "investigating": Status.IN_PROGRESS,
    "remediating": Status.IN_PROGRESS,
    "deviation-requested": Status.IN_PROGRESS,
    "deviation-approved": Status.RISK_ACCEPTED,
    "closed": Status.COMPLETED,
}

SOURCE_METHODS = {
    Source.SELF_ASSESSMENT: ["EXAMINE", "INTERVIEW"],
    Source.THIRD_PARTY_ASSESSMENT: ["EXAMINE", "INTERVIEW", "TEST"],
    Source.VULNERABILITY_SCAN: ["TEST"],
    Source.PENETRATION_TEST: ["TEST"],
    Source.INCIDENT: ["UNKNOWN"],
    Source.AUDIT: ["EXAMINE", "INTERVIEW"],
    Source.OTHER: ["UNKNOWN"],
}
# Sources whose origin is a tool (an OSCAL component) rather than a party.
TOOL_SOURCES = frozenset({Source.VULNERABILITY_SCAN})
# Sources that are assessments: they also get OSCAL findings against their controls.
ASSESSMENT_SOURCES = frozenset({Source.SELF_ASSESSMENT, Source.THIRD_PARTY_ASSESSMENT,
                                Source.AUDIT})

# Observation types FedRAMP uses for deviation justifications (template rev5).
DEVIATION_TYPES = ("false-positive", "operational-requirement", "risk-adjustment")
RISK_ACCEPTANCE_TYPE = "risk-acceptance"

NO_PLAN = "No remediation plan has been recorded yet."
NO_STATEMENT = "No risk statement provided."

# OSCAL likelihood/impact use low/moderate/high; our critical is the top of "high".
LEVEL3 = {Risk.LOW: "low", Risk.MODERATE: "moderate", Risk.HIGH: "high", Risk.CRITICAL: "high"}


def derive_uuid(*parts: str) -> str:
    """A uuid5 that only depends on its inputs.

    Same value as ``uuid.uuid5(UUID_BASE, "/".join(parts))``, computed without building
    UUID objects: a large export derives tens of thousands of them.
    """
    x = hashlib.sha1(_BASE_BYTES + "/".join(parts).encode()).hexdigest()
    # Version nibble 5; variant bits 10xx (RFC 4122) in the first nibble of group four.
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


def usable_uuid(value: str, *fallback: str) -> str:
    """The given uuid when OSCAL accepts it (v4/v5), else one derived from it."""
    if value and UUID_RE.fullmatch(value):
        return value.lower()
    return derive_uuid(*fallback, value)


def date_time(value: datetime) -> str:
    """UTC with a Z: OSCAL requires a time zone; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    if value.year >= 1000:  # isoformat writes what the formats below do, faster
        return value.replace(tzinfo=None).isoformat() + "Z"
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return value.strftime(fmt)


def day(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


def parse_date_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def parse_day(text: str) -> date:
    """The calendar date as written (an offset does not move the day)."""
    return date.fromisoformat(text[:10])


def line(text: str, limit: int = 0) -> str:
    """A MarkupLine: one non-empty line."""
    # Printable text has no whitespace but the space: most text is one line already.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        flat = text
    else:
        flat = " ".join(text.split())
    if limit and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def prop_value(text: str) -> str:
    """Text fit for a prop value (StringDatatype: one line, trimmed).

    Other text is written as a JSON string literal, which the readers decode, so multi-line
    values survive a round trip without breaking the schema.
    """
    if not text.startswith('"') and _is_plain(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_plain(text: str) -> bool:
    """``_PLAIN_RE`` matches all of ``text``."""
    if text.isprintable():  # the one whitespace of printable text is the space
        return text[:1] not in ("", " ") and text[-1] != " "
    return _PLAIN_RE.fullmatch(text) is not None


def prop_text(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return decoded
    return value


def prop(name: str, value: str, ns: str = OPENPOAM_NS, **extra: str) -> dict:
    out = {"name": name, "ns": ns, "value": prop_value(value)} if ns else \
        {"name": name, "value": prop_value(value)}
    if extra:
        out.update(extra)
    return out


def control_to_oscal(catalog: Catalog, control_id: str) -> str:
    """NIST SP 800-53 ids as OSCAL catalogs spell them: AC-2(1) -> ac-2.1."""
    if catalog is Catalog.NIST_800_53_R5:
        if "(" not in control_id:  # no enhancement: nothing to replace
            return control_id.strip().lower()
        return re.sub(r"\((\w+)\)", r".\1", control_id.strip()).lower()
    return control_id


def control_from_oscal(catalog: Catalog, value: str) -> str:
    if catalog is Catalog.NIST_800_53_R5:
        match = re.fullmatch(r"([a-z]{2})-(\d+)((?:\.\w+)*)", value.strip().lower())
        if match:
            family, number, parts = match.groups()
            enhancements = "".join(f"({p})" for p in parts.split(".") if p)
            return f"{family.upper()}-{number}{enhancements}"
    return value


def token(text: str, prefix: str) -> str:
    """A TokenDatatype made from free text (finding target ids)."""
    if TOKEN_RE.fullmatch(text):
        return text
    cleaned = re.sub(r"[^\w.\-]", "-", text)
    return f"{prefix}_{cleaned}"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic trees.

    A 10,000-item POA&M is millions of dicts and lists; the collector would rescan the
    growing heap again and again (more than half the export time) to find no cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
