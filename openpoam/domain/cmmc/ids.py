"""Turn the many ways people write a requirement ID into the CMMC ID.

Accepted, case-insensitively and ignoring spaces:

- Level 2: "3.1.1", "AC.L2-3.1.1", and the typos of the Federal Register text
  (RULES.md §10.5): "IA-L2-3.5.1" (hyphen for dot), "AC.L2- 3.1.19" (stray space).
- Level 1: "AC.L1-b.1.i", "b.1.i", one of the 17 NIST numbers ("3.10.4" is part of
  PE.L1-b.1.ix, table 2 to §170.15), "AC.L2-3.1.1", or the older "AC.L1-3.1.1"
  practice numbering.
- Level 3: "3.1.2e" or "AC.L3-3.1.2e".

The number decides the requirement. A domain prefix that contradicts it
("AC.L2-3.5.3" for IA.L2-3.5.3) is tolerated, because the number is unambiguous;
callers can spot it with ``family_mismatch`` and report it, or pass ``strict=True``
to reject it. A level prefix for another level is always rejected.
"""

from __future__ import annotations

import re
from functools import cache

from openpoam.domain.cmmc import catalog
from openpoam.domain.cmmc.errors import UnknownRequirementError

# Optional "DD.L#-" prefix (any of . - _ as separators), then the requirement number.
_PREFIX = re.compile(r"^(?:(?P<family>[A-Z]{2})[.\-_]?)?L(?P<level>[123])[.\-_]?(?P<rest>.+)$")
_NIST = re.compile(r"^3\.\d{1,2}\.\d{1,2}E?$")
_FAR = re.compile(r"^B\.?1\.?(?P<roman>[IVX]+)$")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def _split(raw: str) -> tuple[str | None, int | None, str]:
    # Word processors turn hyphens into en/em dashes; treat them as hyphens.
    text = re.sub(r"\s+", "", raw).upper().translate(_DASHES)
    match = _PREFIX.match(text)
    if match and (_NIST.match(match["rest"]) or _FAR.match(match["rest"])):
        return match["family"], int(match["level"]), match["rest"]
    return None, None, text


@cache
def _nist_to_l1() -> dict[str, str]:
    return {nist: r.id for r in catalog.level1() for nist in r.nist}


@cache
def _number_index(level: int) -> dict[str, str]:
    """Upper-case requirement number -> CMMC ID for one level."""
    return {r.number.upper().replace(".", "") if level == 1 else r.number.upper(): r.id
            for r in catalog.requirements(level)}


def normalize(raw: str, level: int, strict: bool = False) -> str:
    """The CMMC ID of ``raw`` at ``level``; raises UnknownRequirementError naming ``raw``."""
    if not isinstance(raw, str) or not raw.strip():
        raise UnknownRequirementError(str(raw), level, "empty or not text")
    family, prefix_level, number = _split(raw)
    found = _lookup(number, level, prefix_level)
    if found is None:
        raise UnknownRequirementError(raw, level, _hint(number, level, prefix_level))
    if strict and family is not None and family != catalog.by_id(level)[found].family:
        raise UnknownRequirementError(
            raw, level, f"{number.lower() if level == 1 else number} belongs to "
            f"{catalog.by_id(level)[found].family}, not {family}")
    return found


def _lookup(number: str, level: int, prefix_level: int | None) -> str | None:
    if level == 1:
        far = _FAR.match(number)
        if far and prefix_level in (None, 1):
            return _number_index(1).get(f"B1{far['roman']}")
        # The 17 NIST numbers, bare or with an L1/L2 prefix (older "AC.L1-3.1.1" numbering).
        if prefix_level in (None, 1, 2):
            return _nist_to_l1().get(number)
        return None
    if level == 2 and prefix_level == 1 and number in _nist_to_l1():
        # Older CMMC 2.0 v2.0 numbering listed the 17 Level 1 practices as "AC.L1-3.1.1".
        return _number_index(2).get(number)
    if prefix_level not in (None, level):
        return None
    return _number_index(level).get(number)


def _hint(number: str, level: int, prefix_level: int | None) -> str:
    if prefix_level is not None and prefix_level != level and level != 1:
        return f"it is written as a Level {prefix_level} ID"
    if level == 3 and _NIST.match(number) and not number.endswith("E"):
        return "Level 3 IDs are NIST SP 800-172 numbers such as 3.1.2e"
    if level == 2 and number.endswith("E"):
        return "Level 2 IDs are NIST SP 800-171 numbers such as 3.1.1"
    if level == 1:
        return "Level 1 IDs are AC.L1-b.1.i to SI.L1-b.1.xv or one of their 17 NIST numbers"
    return "not in the catalog"


def family_mismatch(raw: str, req_id: str) -> bool:
    """True when ``raw`` names a domain other than that of ``req_id`` (its CMMC ID)."""
    family, _, _ = _split(raw)
    return family is not None and family != req_id[:2]


def try_normalize(raw: str, level: int) -> str | None:
    """Like ``normalize`` but returns None for an unknown ID."""
    try:
        return normalize(raw, level)
    except UnknownRequirementError:
        return None
