"""Control reference IDs: the format each catalog uses, validated and normalised.

This checks the *shape* of an ID (is "AC-2(1)" a well-formed SP 800-53 control?).
Whether a NIST SP 800-171 / CMMC requirement actually exists is the CMMC
catalog's job (openpoam.domain.cmmc), which the tracker also consults.

Formats:
- NIST SP 800-171 Rev 2: "3.<family 1-14>.<n>" (SP 800-171r2, chapter 3).
- CMMC: "<FAMILY>.L1-b.1.<roman>" (Level 1, FAR 52.204-21), "<FAMILY>.L2-3.x.y"
  (Level 2), "<FAMILY>.L3-3.x.ye" (Level 3, SP 800-172) — 32 CFR 170 / CMMC model.
- NIST SP 800-53 Rev 5: "<FAMILY>-<n>" with optional enhancement "(<n>)"; OSCAL's
  "ac-2.1" spelling is accepted and normalised to "AC-2(1)".
"""

from __future__ import annotations

import re

from openpoam.domain.poam import Catalog, ControlRef, Framework

SP800_53_FAMILIES = frozenset(
    "AC AT AU CA CM CP IA IR MA MP PE PL PM PS PT RA SA SC SI SR".split())
CMMC_FAMILIES = frozenset("AC AT AU CA CM IA IR MA MP PE PS RA SC SI".split())

_SP800_171 = re.compile(r"^3\.(1[0-4]|[1-9])\.([1-9]\d?)$")
_CMMC = re.compile(r"^([A-Z]{2})\.(L1-B\.1\.[IVX]+|L2-3\.(?:1[0-4]|[1-9])\.[1-9]\d?|"
                   r"L3-3\.(?:1[0-4]|[1-9])\.[1-9]\d?E)$")
_SP800_53 = re.compile(r"^([A-Z]{2})-([1-9]\d?)(?:[(.]([1-9]\d?)\)?)?$")


class ControlIdError(ValueError):
    """An ID that does not fit its catalog's format; the message names both."""


def normalise(catalog: Catalog, control_id: str) -> str:
    """Return the canonical spelling, or raise ControlIdError."""
    raw = re.sub(r"\s+", "", control_id or "")
    if catalog is Catalog.NIST_800_171_R2:
        if _SP800_171.match(raw):
            return raw
    elif catalog is Catalog.CMMC:
        match = _CMMC.match(raw.upper().replace("_", "-"))
        if match and match.group(1) in CMMC_FAMILIES:
            return _cmmc_case(match.group(0))
    elif catalog is Catalog.NIST_800_53_R5:
        match = _SP800_53.match(raw.upper())
        if match and match.group(1) in SP800_53_FAMILIES:
            family, number, enhancement = match.groups()
            return f"{family}-{number}" + (f"({enhancement})" if enhancement else "")
    raise ControlIdError(f"{control_id!r} is not a valid {catalog.label} identifier "
                         f"(expected e.g. {_EXAMPLES[catalog]})")


_EXAMPLES = {
    Catalog.NIST_800_171_R2: "3.1.1",
    Catalog.CMMC: "AC.L2-3.1.1, AC.L1-b.1.i or AC.L3-3.1.2e",
    Catalog.NIST_800_53_R5: "AC-2 or AC-2(1)",
}


def _cmmc_case(upper: str) -> str:
    # The model writes "AC.L1-b.1.i" (lower-case b and roman numeral) and "3.1.2e".
    family, rest = upper.split(".", 1)
    if rest.startswith("L1-B"):
        return f"{family}.L1-b" + rest[4:].lower()
    return f"{family}.{rest[:-1]}e" if rest.endswith("E") else f"{family}.{rest}"


def parse_ref(text: str, default: Catalog = Catalog.NIST_800_53_R5) -> ControlRef:
    """Read "AC-2", "3.1.1", "AC.L2-3.1.1" or "nist-800-53r5:AC-2" into a ControlRef."""
    text = text.strip()
    if ":" in text:
        prefix, _, rest = text.partition(":")
        try:
            catalog = Catalog(prefix.strip().lower())
        except ValueError:
            raise ControlIdError(f"unknown control catalog {prefix!r} in {text!r} "
                                 f"(known: {', '.join(c.value for c in Catalog)})") from None
        return ControlRef(catalog, normalise(catalog, rest))
    return ControlRef(guess_catalog(text, default), normalise(guess_catalog(text, default), text))


def guess_catalog(text: str, default: Catalog = Catalog.NIST_800_53_R5) -> Catalog:
    compact = re.sub(r"\s+", "", text)
    if _SP800_171.match(compact):
        return Catalog.NIST_800_171_R2
    if re.match(r"^[A-Za-z]{2}\.L[123]", compact):
        return Catalog.CMMC
    return default


def catalog_for(framework: Framework) -> Catalog:
    """The control catalog a system's POA&M items cite.

    CMMC Levels 1 and 2 assess the NIST SP 800-171 Rev 2 requirements (32 CFR 170.14(c));
    Level 3 adds NIST SP 800-172 ones, written in CMMC form; FedRAMP baselines and the RMF
    select NIST SP 800-53 Rev 5 controls.
    """
    if framework.is_fedramp or framework is Framework.RMF:
        return Catalog.NIST_800_53_R5
    return Catalog.NIST_800_171_R2


def parse_for_system(text: str, framework: Framework) -> ControlRef:
    """Read a reference typed for a system; a wrong one is refused naming the catalog that
    applies to the system and why the reference does not fit it."""
    try:
        return parse_ref(text)
    except ControlIdError:
        if ":" in text:  # a catalog was named: parse_ref's message names it
            raise
    catalog = catalog_for(framework)
    raise ControlIdError(f"{text.strip()!r} is not a {catalog.label} identifier, the catalog "
                         f"that applies to {framework.label} systems: {_why(catalog, text)}")


def _why(catalog: Catalog, text: str) -> str:
    raw = re.sub(r"\s+", "", text or "").upper()
    if catalog is Catalog.NIST_800_171_R2:
        match = re.match(r"^3\.(\d+)\.(\d+)$", raw)
        if match and not 1 <= int(match.group(1)) <= 14:
            return (f"there is no family 3.{int(match.group(1))} (the families are 3.1 to "
                    "3.14)")
        if match:
            return f"family 3.{int(match.group(1))} has no requirement {raw}"
        return f"expected e.g. {_EXAMPLES[catalog]}, or a CMMC ID such as AC.L2-3.1.1"
    match = _SP800_53.match(raw)
    if match:
        return (f"{match.group(1)} is not a NIST SP 800-53 family (families: "
                f"{', '.join(sorted(SP800_53_FAMILIES))})")
    return f"expected e.g. {_EXAMPLES[catalog]}"
