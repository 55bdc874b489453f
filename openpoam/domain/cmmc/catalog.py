"""The CMMC catalogs, loaded once from the JSON files in ``data/``.

Each data file carries its sources in a ``_source`` key; see README.md in this
folder. The loaders return immutable records and are cached, so repeated calls
are free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LEVELS = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One CMMC requirement at one level.

    ``number`` is the NIST SP 800-171 R2 number at Level 2 ("3.1.1"), the
    NIST SP 800-172 number at Level 3 ("3.1.2e") and the FAR 52.204-21
    paragraph at Level 1 ("b.1.i"). ``nist`` lists the NIST SP 800-171 R2
    requirements it covers (one at Level 2, one to three at Level 1, none at 3).
    """

    id: str  # CMMC ID: "AC.L2-3.1.1", "AC.L1-b.1.i", "AC.L3-3.1.2e"
    level: int
    number: str
    family: str
    name: str
    points: int | None = None  # value subtracted when NOT MET; None = no value
    partial_points: int | None = None  # only 3.5.3 and 3.13.11 (DoDAM §5(e))
    kind: str = ""  # "basic" or "derived" (Level 2 only)
    nist: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}"


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def level2() -> tuple[Requirement, ...]:
    """The 110 NIST SP 800-171 R2 requirements, in catalog order."""
    rows = _load("nist_800_171_r2.json")["requirements"]
    return tuple(Requirement(id=r["id"], level=2, number=r["nist"], family=r["family"],
                             name=r["name"], points=r["points"],
                             partial_points=r.get("partial_points"), kind=r["kind"],
                             nist=(r["nist"],))
                 for r in rows)


@cache
def level1() -> tuple[Requirement, ...]:
    """The 15 FAR 52.204-21 requirements with their NIST SP 800-171 mapping."""
    rows = _load("cmmc_level1.json")["requirements"]
    return tuple(Requirement(id=r["id"], level=1, number=r["far"], family=r["family"],
                             name=r["name"], nist=tuple(r["nist"]))
                 for r in rows)


@cache
def level3() -> tuple[Requirement, ...]:
    """The 24 NIST SP 800-172 requirements of CMMC Level 3, one point each."""
    rows = _load("cmmc_level3.json")["requirements"]
    return tuple(Requirement(id=r["id"], level=3, number=r["nist"], family=r["family"],
                             name=r["name"], points=r["points"])
                 for r in rows)


def requirements(level: int) -> tuple[Requirement, ...]:
    if level not in LEVELS:
        raise ValueError(f"CMMC level must be 1, 2 or 3, not {level!r}")
    return {1: level1, 2: level2, 3: level3}[level]()


@cache
def by_id(level: int) -> dict[str, Requirement]:
    """Requirements of a level keyed by CMMC ID."""
    return {r.id: r for r in requirements(level)}


@dataclass(frozen=True, slots=True)
class IneligibleList:
    citation: str
    ids: tuple[str, ...]  # in the rule's order


@cache
def poam_ineligible(level: int) -> IneligibleList:
    """Requirements never allowed on a POA&M: 32 CFR 170.21(a)(2)(iii) and (a)(3)(ii).

    Level 1 has no list because no POA&M at all is permitted (§170.21(a)(1)).
    """
    if level not in (2, 3):
        raise ValueError("only Levels 2 and 3 have a never-on-a-POA&M list")
    entry = _load("poam_ineligible.json")[f"level{level}"]
    return IneligibleList(entry["citation"], tuple(entry["requirements"]))


def sources() -> dict[str, list[str]]:
    """The ``_source`` header of every data file, for display and audit."""
    names = ("nist_800_171_r2.json", "cmmc_level1.json", "cmmc_level3.json",
             "poam_ineligible.json")
    return {name: _load(name)["_source"] for name in names}


def by_id_any(req_id: str) -> Requirement:
    """A requirement by CMMC ID at any level (the level is part of the ID)."""
    for level in LEVELS:
        found = by_id(level).get(req_id)
        if found is not None:
            return found
    raise KeyError(req_id)
