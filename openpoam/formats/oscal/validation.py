"""Checks on OSCAL POA&M data: the official JSON schema, then FedRAMP's own rules.

Validator choice: the OSCAL schema's patterns use ``\\p{L}`` / ``\\p{N}`` classes, which
Python's ``re`` cannot compile, so plain ``jsonschema`` either fails on them or needs a
``regex``-module pattern hook. ``jsonschema-rs`` compiles them with its own regex engine,
checks ``format`` (date-time, email, uri) as well, and measured roughly two orders of
magnitude faster on a 10,000-item POA&M (see bench/bench_oscal.py), so it is the one used.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources

import jsonschema_rs

from openpoam.domain.fedramp.classic import REMEDIATION_DAYS
from openpoam.formats.oscal.vocab import ROOT, parse_day

SCHEMA_FILE = "oscal_poam_schema_v1.2.1.json"
MAX_ERRORS = 50

# FedRAMP's remediation deadlines by risk: the domain's one table (Risk is a StrEnum, so
# the OSCAL facet values "high", "moderate" ... are its keys as they are).
DEADLINE_DAYS = REMEDIATION_DAYS
OPEN_RISK_STATES = frozenset({"open", "investigating", "remediating", "deviation-requested"})


@cache
def schema() -> dict:
    text = resources.files("openpoam.formats.oscal").joinpath("data", SCHEMA_FILE).read_text(
        encoding="utf-8")
    return json.loads(text)


@cache
def _validator():
    return jsonschema_rs.Draft7Validator(schema(), validate_formats=True)


def json_path(parts) -> str:
    """$.plan-of-action-and-milestones.risks[3].deadline"""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# The POA&M's long arrays and the schema definition of one entry of each (from the
# schema's "plan-of-action-and-milestones" definition: each is a plain array of these).
ENTRY_DEFINITIONS = {
    "observations": "oscal-poam-oscal-assessment-common:observation",
    "risks": "oscal-poam-oscal-assessment-common:risk",
    "findings": "oscal-poam-oscal-assessment-common:finding",
    "poam-items": "oscal-poam-oscal-poam:poam-item",
}
# The same for the two arrays of the POA&M's local definitions (one entry per asset).
LOCAL = "local-definitions"
LOCAL_DEFINITIONS = {
    "components": "oscal-poam-oscal-implementation-common:system-component",
    "inventory-items": "oscal-poam-oscal-implementation-common:inventory-item",
}
# And for the resources of the back matter (evidence files: one per uploaded file), whose
# entry schema is written inline in the back matter's definition.
BACK_MATTER = "back-matter"
BACK_MATTER_DEFINITIONS = {
    "resources": "oscal-poam-oscal-metadata:back-matter/properties/resources/items",
}


_ENTRIES = {**ENTRY_DEFINITIONS, **LOCAL_DEFINITIONS, **BACK_MATTER_DEFINITIONS}


@cache
def _entry_validator(array: str):
    """A validator for one entry of ``array``: the same definitions, rooted at the entry."""
    whole = schema()
    rooted = {"$schema": whole["$schema"], "$id": whole["$id"],
              "definitions": whole["definitions"],
              "allOf": [{"$ref": "#/definitions/"
                         f"{_ENTRIES[array]}"}]}
    return jsonschema_rs.Draft7Validator(rooted, validate_formats=True)


def validate(document: dict) -> list[str]:
    """Schema errors as "<JSON path>: <message>", at most MAX_ERRORS of them."""
    return _errors(_validator(), document, ())


def validate_entry(array: str, index: int, entry: dict) -> list[str]:
    """Schema errors of entry ``index`` of the POA&M's ``array`` (one of ENTRY_DEFINITIONS,
    or of LOCAL_DEFINITIONS or BACK_MATTER_DEFINITIONS: an array of the local definitions
    or of the back matter), with the path it has in the whole document.

    The document's schema puts no constraint across entries (no uniqueItems), so a
    document is valid exactly when its skeleton (each array cut to one entry) and each
    entry are: a whole POA&M is checked an entry at a time, never all of it at once.
    """
    if array in ENTRY_DEFINITIONS:
        path: tuple = (ROOT, array, index)
    elif array in LOCAL_DEFINITIONS:
        path = (ROOT, LOCAL, array, index)
    else:
        path = (ROOT, BACK_MATTER, array, index)
    return _errors(_entry_validator(array), entry, path)


def validate_by_entry(document: dict) -> list[str]:
    """``validate`` in bounded memory: the skeleton, then each entry of the long arrays."""
    poam = document.get(ROOT) if isinstance(document, dict) else None
    if not isinstance(poam, dict):
        return validate(document)
    arrays = {name: poam[name] for name in ENTRY_DEFINITIONS
              if isinstance(poam.get(name), list) and poam[name]}
    skeleton = {**document, ROOT: {**poam, **{name: entries[:1]
                                             for name, entries in arrays.items()}}}
    errors = validate(skeleton)  # the first entry of each array is checked here
    for name, entries in arrays.items():
        for index in range(1, len(entries)):
            if len(errors) >= MAX_ERRORS:
                break
            errors += validate_entry(name, index, entries[index])
    return errors[:MAX_ERRORS]


def _errors(validator, instance: object, prefix: tuple) -> list[str]:
    if validator.is_valid(instance):
        return []
    errors = []
    for error in validator.iter_errors(instance):
        errors.append(f"{json_path((*prefix, *error.instance_path))}: {_short(error.message)}")
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def fedramp_violations(document: dict) -> list[str]:
    """FedRAMP's structural rules for a POA&M, as readable warnings.

    - every poam-item has exactly one risk and at least one observation;
    - every risk has a deadline, a planned remediation and at least one milestone, and
      each milestone has an on-date;
    - an open risk's deadline is within 30/90/180 days of detection for
      Critical+High/Moderate/Low risk.
    """
    poam = document.get(ROOT, {})
    risks = {r.get("uuid"): r for r in poam.get("risks", [])}
    observations = {o.get("uuid"): o for o in poam.get("observations", [])}
    out: list[str] = []
    for index, item in enumerate(poam.get("poam-items", [])):
        out.extend(item_violations(item, index, risks, observations))
    return out


def item_violations(item: dict, index: int, risks: dict, observations: dict) -> list[str]:
    """FedRAMP's rules for one poam-item; ``risks`` and ``observations`` by uuid."""
    out: list[str] = []
    name = _item_name(item, index)
    related_risks = item.get("related-risks", [])
    related_obs = item.get("related-observations", [])
    if len(related_risks) != 1:
        out.append(f"{name}: has {len(related_risks)} risks; FedRAMP requires exactly one")
    if not related_obs:
        out.append(f"{name}: has no observation; FedRAMP requires at least one")
    for ref in related_risks[:1]:
        risk = risks.get(ref.get("risk-uuid"))
        if risk is None:
            out.append(f"{name}: its risk {ref.get('risk-uuid')} is not in the document")
            continue
        found = [observations[o["observation-uuid"]] for o in related_obs
                 if o.get("observation-uuid") in observations]
        out.extend(_risk_violations(name, risk, found))
    return out


def _item_name(item: dict, index: int) -> str:
    for p in item.get("props", []):
        if p.get("name") == "POAM-ID":
            return f"POA&M item {p.get('value')}"
    return f"POA&M item {index + 1} ({item.get('title', '')})"


def _risk_violations(name: str, risk: dict, observations: list[dict]) -> list[str]:
    out = []
    deadline = risk.get("deadline")
    if not deadline:
        out.append(f"{name}: the risk has no deadline")
    planned = [r for r in risk.get("remediations", []) if r.get("lifecycle") == "planned"]
    if not planned:
        out.append(f"{name}: the risk has no planned remediation")
    elif not any(r.get("tasks") for r in planned):
        out.append(f"{name}: the planned remediation has no milestone")
    for response in planned:
        for number, task in enumerate(response.get("tasks", []), start=1):
            # FedRAMP POA&M guide 4.3.1: every milestone is timed with an on-date.
            if task.get("type") == "milestone" and "on-date" not in task.get("timing", {}):
                out.append(f"{name}: milestone {number} has no date (FedRAMP times each "
                           "milestone with an on-date)")
    level = _risk_level(risk)
    detected = _detected(observations)
    if deadline and level and detected and risk.get("status") in OPEN_RISK_STATES:
        allowed = DEADLINE_DAYS[level]
        days = (parse_day(deadline) - detected).days
        if days > allowed:
            out.append(f"{name}: the deadline {deadline[:10]} is {days} days after detection "
                       f"({detected.isoformat()}); FedRAMP allows {allowed} days for "
                       f"{level} risk")
    return out


def _risk_level(risk: dict) -> str:
    """The adjusted risk when there is one, else the initial risk, else impact."""
    levels: dict[str, str] = {}
    for characterization in risk.get("characterizations", []):
        for facet in characterization.get("facets", []):
            value = str(facet.get("value", "")).lower()
            if value not in DEADLINE_DAYS:
                continue
            if facet.get("name") == "risk":
                state = next((p.get("value") for p in facet.get("props", [])
                              if p.get("name") == "state"), "initial")
                levels[state] = value
            elif facet.get("name") == "impact":
                levels.setdefault("impact", value)
    return levels.get("adjusted") or levels.get("initial") or levels.get("impact", "")


def _detected(observations: list[dict]) -> date | None:
    days = []
    for obs in observations:
        if obs.get("collected") and "finding" in obs.get("types", ["finding"]):
            try:
                days.append(parse_day(obs["collected"]))
            except ValueError:
                continue
    return min(days) if days else None
